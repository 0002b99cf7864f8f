"""Exceptions raised by logmoji.

All of them derive from :class:`LogmojiError`::

    LogmojiError
    ├── ConfigurationError (also a ValueError): bad set-up, raised by setup_telemetry
    └── BudgetExceededError: a hard cost limit stops a request before it is sent

Logging calls themselves never raise; these come only from set-up and from
features the user opts into.
"""

from __future__ import annotations

__all__ = ["BudgetExceededError", "ConfigurationError", "LogmojiError"]


class LogmojiError(Exception):
    """Base class of every exception logmoji raises."""


class ConfigurationError(LogmojiError, ValueError):
    """A configuration value is wrong; the message says what to use instead."""


class BudgetExceededError(LogmojiError):
    """A hard budget would be exceeded; the request was not sent."""

    def __init__(
        self,
        message: str,
        *,
        key: str | None = None,
        spent_usd: object = None,
        limit_usd: object = None,
    ) -> None:
        super().__init__(message)
        self.key = key
        self.spent_usd = spent_usd
        self.limit_usd = limit_usd
