"""Trace LLM calls: a span per instrumented call, and the trace context on every log line.

:class:`SpanObserver` is an observer for ``instrument()`` with ``start_call``:
each call gets a client span named ``{operation} {model}`` (``chat gpt-4o``),
child of whatever span is current when the call starts (the application's
own, from any tracer provider). The call's events are logged with the span
current, so they carry its ids; retries and the first streamed token become
span events (``logmoji.retry``, ``logmoji.first_token``); a failure sets the
error status and ``error.type``. A streamed call's span ends when the stream
does (completed, failed, closed or abandoned), in whatever thread that is.

The span is only made current around logmoji's own code, each time with an
attach and a detach in the same ``with`` block, never across the caller's
code: a stream consumed in another task or thread cannot leave a context
attached in the wrong place.

:func:`add_trace_context` adds ``trace_id`` and ``span_id`` (hex, as the W3C
``traceparent`` header writes them) to events logged while a valid span is
current, logmoji's or the application's.
"""

from __future__ import annotations

import time
from collections.abc import Mapping
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from logmoji.llm._record import CallRecord
from logmoji.llm._runs import current_run
from logmoji.logger.redact import SecretTextMasker
from logmoji.otel._semconv import (
    agent_end_attributes,
    agent_span_attributes,
    call_attributes,
    end_attributes,
    operation_name,
    request_attributes,
    run_attributes,
)

__all__ = ["SpanObserver", "add_trace_context"]

_SCOPE = "logmoji"
_RETRY_FIELDS = (
    ("attempt", "logmoji.llm.attempt", int),
    ("status_code", "http.response.status_code", int),
    ("retry_reason", "logmoji.llm.retry_reason", str),
    ("retry_after", "logmoji.llm.retry_after_s", (int, float)),
)


def add_trace_context(logger: Any, method_name: str, event_dict: Any) -> Any:
    """Add ``trace_id`` and ``span_id`` of the current span, when one is current."""
    span_context = trace.get_current_span().get_span_context()
    if span_context.is_valid:
        event_dict.setdefault("trace_id", format(span_context.trace_id, "032x"))
        event_dict.setdefault("span_id", format(span_context.span_id, "016x"))
    return event_dict


class _Attached:
    """Make a context current for one ``with`` block (attach, then detach)."""

    __slots__ = ("_context", "_token")

    def __init__(self, context: otel_context.Context) -> None:
        self._context = context
        self._token: object = None

    def __enter__(self) -> None:
        self._token = otel_context.attach(self._context)

    def __exit__(self, *exc_info: object) -> None:
        otel_context.detach(self._token)  # type: ignore[arg-type]


class _SpanScope:
    """One call's span: made current for the call's events, ended with the call."""

    __slots__ = ("_context", "_masker", "_span", "_start_ns")

    def __init__(self, span: trace.Span, start_ns: int, masker: SecretTextMasker | None) -> None:
        self._span = span
        self._start_ns = start_ns
        self._masker = masker
        self._context = trace.set_span_in_context(span)

    def activate(self) -> _Attached:
        """Return a context manager making the span current."""
        return _Attached(self._context)

    def note(self, event: str, fields: Mapping[str, object]) -> None:
        """Set the request's settings (and captured content); add a ``logmoji.retry`` per retry."""
        if event == "request_started":
            self._span.set_attributes(request_attributes(fields))
            return
        if event != "request_retried":
            return
        attributes: dict[str, AttributeValue] = {}
        for key, name, kind in _RETRY_FIELDS:
            value = fields.get(key)
            if isinstance(value, kind) and not isinstance(value, bool):
                attributes[name] = value
        self._span.add_event("logmoji.retry", attributes)

    def end(self, record: CallRecord, fields: Mapping[str, object]) -> None:
        """Set what the call's end taught (usage, model, error) and end the span."""
        span = self._span
        span.set_attributes(end_attributes(record, fields))
        if record.ttft_ms is not None:
            span.add_event(
                "logmoji.first_token",
                {"logmoji.llm.ttft_ms": record.ttft_ms},
                timestamp=self._start_ns + int(record.ttft_ms * 1_000_000),
            )
        if not record.success and record.error_category != "cancelled":
            span.set_status(Status(StatusCode.ERROR, self._description(record, fields)))
        span.end()

    def _description(self, record: CallRecord, fields: Mapping[str, object]) -> str:
        label = fields.get("error")
        message = fields.get("error_message")
        text = label if isinstance(label, str) else record.error_category or "error"
        if isinstance(message, str) and message:
            text = f"{text}: {message[:300]}"
        return self._masker.mask(text) if self._masker is not None else text


class _AgentSpan:
    """An agent run's or a tool's span: current while its body runs, ended with its event."""

    __slots__ = ("_context", "_masker", "_span", "_token")

    def __init__(self, span: trace.Span, masker: SecretTextMasker | None) -> None:
        self._span = span
        self._masker = masker
        self._context = trace.set_span_in_context(span)
        self._token: object = None

    def attach(self) -> None:
        """Make the span current: the calls and tools inside become its children."""
        self._token = otel_context.attach(self._context)

    def detach(self) -> None:
        """Restore the context that was current before :meth:`attach`."""
        if self._token is not None:
            token, self._token = self._token, None
            otel_context.detach(token)  # type: ignore[arg-type]

    def end(self, fields: Mapping[str, object], *, failed: bool) -> None:
        """Set the totals or the error of the ending event and end the span."""
        span = self._span
        span.set_attributes(agent_end_attributes(fields, failed=failed))
        if failed:
            label = fields.get("error")
            message = fields.get("error_message")
            text = label if isinstance(label, str) else "error"
            if isinstance(message, str) and message:
                text = f"{text}: {message[:300]}"
            if self._masker is not None:
                text = self._masker.mask(text)
            span.set_status(Status(StatusCode.ERROR, text))
        span.end()


class SpanObserver:
    """Open a client span per instrumented LLM call; an observer for ``instrument()``.

    Args:
        provider: The tracer provider spans go to.
        masker: Masks secrets in error descriptions (``None`` when redaction is off).
    """

    def __init__(self, provider: TracerProvider, *, masker: SecretTextMasker | None = None) -> None:
        from logmoji import __version__

        self._tracer = provider.get_tracer(_SCOPE, __version__)
        self._masker = masker
        self.closed = False

    def observe(self, record: CallRecord) -> None:
        """Add nothing to the completed event: the span learns the call's end in its scope."""

    def start_call(self, provider: str, operation: str, model: str) -> _SpanScope | None:
        """Start the call's span, child of the current one; ``None`` once shut down."""
        if self.closed:
            return None
        start_ns = time.time_ns()
        attributes = call_attributes(provider, operation, model)
        run = current_run.get()
        if run is not None:
            attributes.update(run_attributes(run.agent, run.conversation_id))
        span = self._tracer.start_span(
            f"{operation_name(operation)} {model}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            start_time=start_ns,
        )
        return _SpanScope(span, start_ns, self._masker)

    def start_agent_span(
        self, operation: str, name: str, fields: Mapping[str, object]
    ) -> _AgentSpan | None:
        """Start an ``invoke_agent {name}`` or ``execute_tool {name}`` span under the current."""
        if self.closed:
            return None
        attributes = agent_span_attributes(operation, name, fields)
        run = current_run.get()
        if run is not None and operation == "execute_tool":
            attributes.update(run_attributes(run.agent, run.conversation_id))
        span = self._tracer.start_span(
            f"{operation} {name}", kind=SpanKind.INTERNAL, attributes=attributes
        )
        return _AgentSpan(span, self._masker)
