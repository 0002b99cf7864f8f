"""Log levels: their names and numbers, and reading them from code or text.

A level is a name (``"info"``, any case, with the aliases ``WARN``, ``FATAL``
and ``TRACE``) or the standard library's number for it. The configuration,
:mod:`logmoji.pretty` and the CLI all read levels with :func:`parse_level`, so
they accept the same spellings.
"""

from __future__ import annotations

import logging

from logmoji.exceptions import ConfigurationError

__all__ = ["LEVELS", "parse_level", "parse_module_levels"]

#: Level names and their numbers (the standard library's).
LEVELS: dict[str, int] = {
    "DEBUG": logging.DEBUG,
    "INFO": logging.INFO,
    "WARNING": logging.WARNING,
    "ERROR": logging.ERROR,
    "CRITICAL": logging.CRITICAL,
}
_LEVEL_ALIASES = {"WARN": "WARNING", "FATAL": "CRITICAL", "TRACE": "DEBUG"}


def parse_level(value: object, what: str = "level") -> int:
    """Return the numeric level of ``value`` (a name such as ``"info"`` or a number).

    Raises:
        ConfigurationError: ``value`` is not a level.
    """
    if isinstance(value, bool):
        raise ConfigurationError(f"{what} must be a level name such as 'INFO', not {value!r}")
    if isinstance(value, int):
        if value in LEVELS.values():
            return value
        raise ConfigurationError(
            f"{what} must be one of {', '.join(LEVELS)} or their numbers "
            f"{sorted(LEVELS.values())}, not {value!r}"
        )
    if isinstance(value, str):
        name = value.strip().upper()
        name = _LEVEL_ALIASES.get(name, name)
        if name in LEVELS:
            return LEVELS[name]
    raise ConfigurationError(f"{what} must be one of {', '.join(LEVELS)} (any case), not {value!r}")


def parse_module_levels(text: str, variable: str) -> dict[str, int]:
    """Return the levels of comma-separated ``name=level`` pairs read from ``variable``.

    Raises:
        ConfigurationError: ``text`` is not such pairs, or a level is not a level.
    """
    out: dict[str, int] = {}
    for part in filter(None, (p.strip() for p in text.split(","))):
        name, sep, level = part.partition("=")
        if not sep or not name.strip():
            raise ConfigurationError(
                f"{variable} must look like 'llm.openai=debug,httpx=warning', not {text!r}"
            )
        out[name.strip()] = parse_level(level, f"{variable} entry {name.strip()!r}")
    return out
