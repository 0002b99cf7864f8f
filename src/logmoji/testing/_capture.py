"""Capture log events in tests: :func:`capture_logs`."""

from __future__ import annotations

from collections.abc import Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

from structlog import DropEvent

from logmoji.logger import _pipeline
from logmoji.logger.config import LEVELS
from logmoji.logger.render import level_name

__all__ = ["CapturedEvents", "capture_logs"]


class CapturedEvents(list[dict[str, Any]]):
    """The events captured, in order; each a dict with ``event``, ``log_level``,
    ``logger``, ``emoji`` (when emojis are on) and the fields."""

    def named(self, event: str) -> list[dict[str, Any]]:
        """Return the events called ``event``."""
        return [e for e in self if e.get("event") == event]

    def events(self) -> list[str]:
        """Return the event names, in order."""
        return [str(e.get("event")) for e in self]


class _Collect:
    def __init__(self, into: CapturedEvents) -> None:
        self.into = into

    def __call__(
        self,
        logger: Any,
        method_name: str,
        event_dict: MutableMapping[str, Any],
    ) -> Any:
        event = dict(event_dict)
        event["log_level"] = level_name(method_name)
        event["logger"] = getattr(logger, "name", None)
        self.into.append(event)
        raise DropEvent


@contextmanager
def capture_logs(level: str = "DEBUG") -> Iterator[CapturedEvents]:
    """Capture every event from ``level`` up instead of writing it.

    The events keep the emoji they would have been rendered with, and fields
    with secret names are masked as in real output. Nothing is written while
    capturing.
    """
    config = _pipeline.current_config()
    captured = CapturedEvents()
    # The collector takes the renderer's place and drops the event after it.
    processors, _, _ = _pipeline.build_processors(config, renderer=_Collect(captured))
    with _pipeline.temporary_pipeline(processors, LEVELS[level.upper()]):
        yield captured
