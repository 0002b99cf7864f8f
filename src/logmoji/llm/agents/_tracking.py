"""What agent runs and tool executions share: logging that never raises, a clock, spans.

:class:`Tracked` is the base of :class:`~logmoji.llm.agents.AgentRun` and
:class:`~logmoji.llm.agents.ToolExecution`. It opens the OpenTelemetry spans
of the export's observers that have ``start_agent_span`` (see
:mod:`logmoji.otel._traces`), keeps them current for the body (a run's model
calls become its children) and ends them with the ending event's fields.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import Protocol

from logmoji.llm._defaults import llm_settings, telemetry_observers
from logmoji.llm.instrumentation._outcome import truncate
from logmoji.llm.instrumentation.errors import classify_error
from logmoji.llm.lifecycle import _AlsoAsync
from logmoji.logger.core import Logger

__all__ = ["Tracked", "TrackedSpan", "error_fields", "safely"]

_MAX_ERROR_CHARS = 300


class TrackedSpan(Protocol):
    """A span around an agent run or a tool execution, current while its body runs."""

    def attach(self) -> None:
        """Make the span current in this context."""
        ...

    def detach(self) -> None:
        """Undo :meth:`attach`."""
        ...

    def end(self, fields: Mapping[str, object], *, failed: bool) -> None:
        """Set what the ending event says (totals, error) and end the span."""
        ...


@contextmanager
def safely(log: Logger, where: str) -> Iterator[None]:
    """Run the block; a failure (a logmoji bug) is reported, never raised into the app."""
    try:
        yield
    except Exception as exc:  # the application's run must go on whatever logmoji does
        with contextlib.suppress(Exception):  # a broken logger leaves nobody to tell
            log.warning(
                "instrumentation_error",
                where=where,
                error_type=type(exc).__name__,
                error_message=str(exc)[:200],
            )


def error_fields(exc: Exception, log: Logger) -> dict[str, object]:
    """Return the classified error fields of ``exc`` (``error``, ``error_type``, message)."""
    fields: dict[str, object] = {"error": "client_error", "error_type": type(exc).__name__}
    with safely(log, "classify_error"):
        info = classify_error(exc)
        fields["error"] = info.error
        if info.status_code is not None:
            fields["status_code"] = info.status_code
        message = info.message or str(exc)
        if message:
            fields["error_message"] = truncate(message, _MAX_ERROR_CHARS)
    return fields


class Tracked(_AlsoAsync):
    """Log a start and one ending safely, time the body, and hold its spans."""

    def __init__(self, log: Logger) -> None:
        self._log = log
        self._clock = time.perf_counter
        self._started = 0.0
        self._spans: list[TrackedSpan] = []

    def _log_safely(self, level: str, event: str, fields: dict[str, object]) -> None:
        with safely(self._log, event):
            getattr(self._log, level)(event, **fields)

    def _start_clock(self) -> None:
        self._started = self._clock()

    def _duration_ms(self) -> float:
        return round((self._clock() - self._started) * 1000.0, 2)

    def _content(self, value: object) -> str:
        """Return ``value`` as text for a captured field, masked and cut."""
        text = value if isinstance(value, str) else repr(value)
        return truncate(text, llm_settings().max_content_chars)

    def _open_spans(self, operation: str, name: str, fields: Mapping[str, object]) -> None:
        """Start and attach a span per telemetry observer that makes agent spans."""
        self._spans = []
        for observer in telemetry_observers():
            start = getattr(observer, "start_agent_span", None)
            if start is None:
                continue
            with safely(self._log, "agent_span"):
                span = start(operation, name, fields)
                if span is not None:
                    span.attach()
                    self._spans.append(span)

    def _close_spans(self, fields: Mapping[str, object], *, failed: bool) -> None:
        spans, self._spans = self._spans, []
        for span in reversed(spans):
            with safely(self._log, "agent_span"):
                span.detach()
            with safely(self._log, "agent_span"):
                span.end(fields, failed=failed)
