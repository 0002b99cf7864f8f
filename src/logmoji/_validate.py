"""Checks for option values: a wrong type or range raises a ValueError naming the option."""

from __future__ import annotations

import math

from logmoji.exceptions import ConfigurationError

__all__ = ["require_int", "require_number"]


def require_int(name: str, value: object, *, minimum: int) -> int:
    """Return ``value`` if it is an int (not a bool) of at least ``minimum``."""
    if isinstance(value, bool) or not isinstance(value, int) or value < minimum:
        raise ConfigurationError(f"{name} must be an int of at least {minimum}, not {value!r}")
    return value


def require_number(
    name: str,
    value: object,
    *,
    minimum: float = 0.0,
    allow_none: bool = False,
    strictly_above: bool = False,
) -> float | None:
    """Return ``value`` if it is a finite real number of at least (or above) ``minimum``."""
    if value is None and allow_none:
        return None
    ok = (
        isinstance(value, int | float)
        and not isinstance(value, bool)
        and math.isfinite(value)
        and (value > minimum if strictly_above else value >= minimum)
    )
    if not ok:
        bound = f"above {minimum:g}" if strictly_above else f"at least {minimum:g}"
        extra = " or None" if allow_none else ""
        raise ConfigurationError(f"{name} must be a number {bound}{extra}, not {value!r}")
    return float(value)  # type: ignore[arg-type]
