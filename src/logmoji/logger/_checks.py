"""Small checks shared by the configuration classes."""

from __future__ import annotations

from logmoji.exceptions import ConfigurationError

__all__ = ["check_type", "parse_bool"]

_TRUE = frozenset({"1", "on", "true", "yes", "y"})
_FALSE = frozenset({"0", "off", "false", "no", "n", ""})


def parse_bool(value: str, variable: str, choices: str = "'on' or 'off'") -> bool:
    """Return the truth value of an on/off environment variable."""
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ConfigurationError(f"{variable} must be {choices} (or 1/0, true/false), not {value!r}")


def check_type(name: str, value: object, types: type | tuple[type, ...], expected: str) -> None:
    """Raise a ConfigurationError unless ``value`` is None or of ``types`` (bools only if asked)."""
    if value is not None and (
        not isinstance(value, types)
        or (
            isinstance(value, bool)
            and bool not in (types if isinstance(types, tuple) else (types,))
        )
    ):
        raise ConfigurationError(f"{name} must be {expected}, not {type(value).__name__} {value!r}")
