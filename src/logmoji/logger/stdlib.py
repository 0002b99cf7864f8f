"""The bridge from the standard ``logging`` module: its records come out through logmoji.

A handler on the root logger turns each record into an event (the message as
``event``, ``extra=`` fields as fields, ``exc_info`` kept) and sends it
through the same processor chain and level rules as logmoji's own loggers, so
the SDKs' loggers, httpx and older code share one output.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

from logmoji.logger.render import safe_repr

__all__ = ["LogmojiHandler", "install", "method_of", "record_event"]

_RECORD_ATTRS = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {
    "message",
    "asctime",
    "taskName",
}
_METHOD = {
    logging.DEBUG: "debug",
    logging.INFO: "info",
    logging.WARNING: "warning",
    logging.ERROR: "error",
    logging.CRITICAL: "critical",
}


def method_of(levelno: int) -> str:
    """Return the logger method name of a numeric level (``25`` → ``"info"``)."""
    method = _METHOD.get(levelno)
    if method is not None:
        return method
    if levelno < logging.INFO:
        return "debug"
    if levelno < logging.WARNING:
        return "info"
    if levelno < logging.ERROR:
        return "warning"
    return "error" if levelno < logging.CRITICAL else "critical"


def record_event(record: logging.LogRecord) -> dict[str, Any]:
    """Return the event of ``record``: its message, its ``extra=`` fields and ``exc_info``."""
    try:
        message: Any = record.getMessage()
    except Exception:  # a bad %-format in someone else's log call
        message = f"{safe_repr(record.msg)} % {safe_repr(record.args)}"
    event: dict[str, Any] = {"event": message}
    for key, value in record.__dict__.items():
        if key not in _RECORD_ATTRS and not key.startswith("_"):
            event[key] = value
    if record.exc_info:
        event["exc_info"] = record.exc_info
    return event


class LogmojiHandler(logging.Handler):
    """Send standard-library records through logmoji's processor chain."""

    def __init__(self, level_for: Callable[[str], int]) -> None:
        super().__init__(logging.NOTSET)
        self._level_for = level_for

    def emit(self, record: logging.LogRecord) -> None:
        """Render ``record`` as a logmoji event, if its logger's level lets it through."""
        from logmoji.logger.core import run_chain

        try:
            if record.levelno < self._level_for(record.name):
                return
            run_chain(record.name, method_of(record.levelno), record_event(record))
        except Exception:  # logging.Handler's own contract: report, never raise
            self.handleError(record)


class _Bridge:
    """The one installed handler and the root level it replaced."""

    handler: LogmojiHandler | None = None
    saved_root_level: int | None = None


def install(enabled: bool, level_for: Callable[[str], int]) -> None:
    """Put the bridge on the root logger (or take it off); never adds it twice."""
    root = logging.getLogger()
    if _Bridge.handler is not None:
        root.removeHandler(_Bridge.handler)
        _Bridge.handler = None
        if _Bridge.saved_root_level is not None:
            root.setLevel(_Bridge.saved_root_level)
            _Bridge.saved_root_level = None
    if not enabled:
        return
    _Bridge.handler = LogmojiHandler(level_for)
    root.addHandler(_Bridge.handler)
    _Bridge.saved_root_level = root.level
    from logmoji.logger._pipeline import current_config

    config = current_config()
    root.setLevel(min([config.default_level, *config.module_levels.values()]))
