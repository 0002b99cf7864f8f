"""Follow one instrumented LLM call from request to result and log its events.

A :class:`Call` is made per SDK call. It logs ``{operation}_request_started``
💭, learns the response headers (request id, rate limits 🚦, retries) from the
client hooks through the :data:`current` context variable, then logs exactly one
ending: ``{operation}_request_completed`` ✨ / ``_failed`` / ``_cancelled``, or
for a stream ``stream_started`` 🌊 followed by ``stream_completed`` /
``stream_failed`` / ``stream_cancelled``. Every method that logs catches its
own errors: instrumentation must never change what the caller gets.

Observers with ``start_call`` open a scope per call (an OpenTelemetry span):
the call's events are logged inside it and it ends after the ending event.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar
from typing import TYPE_CHECKING

from logmoji.llm._record import CallRecord
from logmoji.llm._runs import RunState, current_run
from logmoji.llm.instrumentation._outcome import Outcome, Prompt, truncate
from logmoji.llm.instrumentation._runtime import CallScope, Runtime
from logmoji.llm.instrumentation.errors import classify_error
from logmoji.llm.instrumentation.ratelimits import (
    lowest_remaining_ratio,
    parse_rate_limit_headers,
    parse_retry_after,
)

if TYPE_CHECKING:
    from logmoji.llm.instrumentation.streams import StreamTracker

__all__ = ["Call", "current"]

current: ContextVar[Call | None] = ContextVar("logmoji_llm_call", default=None)
"""The call whose HTTP request is in flight in this context, for the client hooks."""

_DEBUG = 10  # logging.DEBUG
_RETRY_REASONS = {429: "rate_limit_exceeded", 408: "timeout", 529: "overloaded"}


class Call:
    """Track one SDK call and log its events; every public method is safe to call."""

    __slots__ = (
        "headers",
        "headers_at",
        "operation",
        "prompt",
        "rate_logged",
        "request_id",
        "retries",
        "rt",
        "run",
        "scopes",
        "started_at",
        "stream",
    )

    def __init__(self, rt: Runtime, operation: str, prompt: Prompt, *, stream: bool) -> None:
        self.rt = rt
        self.operation = operation
        self.prompt = prompt
        self.stream = stream
        self.started_at = 0.0
        self.headers_at: float | None = None
        self.headers: Mapping[str, str] | None = None
        self.request_id: str | None = None
        self.retries = 0
        self.rate_logged = False
        self.scopes: tuple[CallScope, ...] = ()
        self.run: RunState | None = current_run.get()

    def _emit(self, level: str, event: str, fields: dict[str, object]) -> None:
        """Log one event of the call, inside its scopes if it has any."""
        if not self.scopes:
            self.rt.emit(level, event, fields)
            return
        with self.rt.activate(self.scopes):
            self.rt.emit(level, event, fields)

    def _end_scopes(self, record: CallRecord | None, fields: dict[str, object]) -> None:
        """Close the call's scopes, once; without a record (a logmoji bug) as failed."""
        scopes, self.scopes = self.scopes, ()
        if scopes:
            if record is None:
                record = self._record(None, None, None, False, "instrumentation_error")
            self.rt.end_scopes(scopes, record, fields)

    def _base(self) -> dict[str, object]:
        if self.request_id is None and self.headers is not None:
            self.request_id = self.headers.get(self.rt.request_id_header)
        return {
            "provider": self.rt.provider,
            "operation": self.operation,
            "model": self.prompt.model,
        }

    def _elapsed_ms(self, until: float | None = None) -> float:
        end = self.rt.settings.clock() if until is None else until
        return round((end - self.started_at) * 1000.0, 2)

    def start(self) -> None:
        """Check budgets (may raise :class:`BudgetExceededError`), log 💭, start the clock."""
        self.rt.before_call(self.operation, self.prompt.model)
        try:
            if self.rt.settings.observers:
                self.scopes = self.rt.open_scopes(self.operation, self.prompt.model)
            prompt = self.prompt
            fields = self._base()
            fields["message_count"] = prompt.message_count
            fields["prompt_chars"] = prompt.chars
            fields["estimated_prompt_tokens"] = prompt.estimate.count
            fields["token_estimate"] = prompt.estimate.method
            fields["stream"] = self.stream
            if prompt.settings:
                fields.update(prompt.settings)
            if self.rt.server_address is not None:
                fields["server_address"] = self.rt.server_address
                fields["server_port"] = self.rt.server_port
            if prompt.text is not None:
                fields["prompt"] = truncate(prompt.text, self.rt.settings.max_content_chars)
            self._emit("info", f"{self.operation}_request_started", fields)
            if self.scopes:
                if prompt.content:
                    fields.update(prompt.content)
                self.rt.note_scopes(self.scopes, "request_started", fields)
            self.started_at = self.rt.settings.clock()
        except Exception as exc:  # logging must not stop the request
            self.rt.internal_error("start", exc)

    def on_response(self, headers: Mapping[str, str]) -> None:
        """Keep the latest response's headers; their request id is read when needed.

        A result or an error usually says its request id itself, so the header
        is looked up only for an event that still lacks one. An id read from an
        earlier response's headers (an attempt that was retried, seen through
        SDK middleware) is dropped: the latest response's id replaces it.
        """
        self.headers_at = self.rt.settings.clock()
        self.headers = headers
        self.request_id = None

    def _log_rate_limits(self, headers: Mapping[str, str] | None) -> None:
        """Log 🚦 once per call: debug, or warning when a budget runs low."""
        if self.rate_logged or headers is None:
            return
        self.rate_logged = True
        ratio = lowest_remaining_ratio(headers)
        low = ratio is not None and ratio < self.rt.settings.rate_limit_warning_ratio
        if not low and not self.rt.enabled(_DEBUG):
            return  # most calls: nothing to say above debug, so build nothing
        state = parse_rate_limit_headers(headers)
        if state is None:
            return
        fields = self._base()
        fields["request_id"] = self.request_id
        fields.update(state.to_fields())
        self._emit("warning" if low else "debug", "rate_limit_status", _drop_none(fields))

    def on_retry(self, status_code: int | None, headers: Mapping[str, str] | None) -> None:
        """Count a retry the SDK is about to make and log 🚦."""
        self.retries += 1
        try:
            fields = self._base()
            fields["attempt"] = self.retries + 1
            if status_code is not None:
                fields["status_code"] = status_code
                reason = _RETRY_REASONS.get(status_code)
                if reason is None and status_code >= 500:
                    reason = "server_error"
                fields["retry_reason"] = reason or "status_code"
            else:
                fields["retry_reason"] = "connection_error_or_timeout"
            retry_after = parse_retry_after(headers)
            if retry_after is not None:
                fields["retry_after"] = retry_after
            self._emit("info", "request_retried", fields)
            if self.scopes:
                self.rt.note_scopes(self.scopes, "request_retried", fields)
        except Exception as exc:  # the SDK's retry must go ahead regardless
            self.rt.internal_error("on_retry", exc)

    def _record(
        self,
        outcome: Outcome | None,
        duration_ms: float | None,
        ttft_ms: float | None,
        success: bool,
        error_category: str | None,
    ) -> CallRecord:
        o = outcome or Outcome()
        # Positional, in CallRecord's field order: its frozen __init__ with 18 keywords
        # cost a third more (36 against 27 thousand instructions, every observed call).
        return CallRecord(
            self.rt.provider,
            self.operation,
            self.prompt.model,
            o.response_model,
            o.prompt_tokens,
            o.completion_tokens,
            o.cached_tokens,
            o.cache_write_tokens,
            o.reasoning_tokens,
            duration_ms,
            ttft_ms,
            success,
            error_category,
            self.stream,
            self.retries,
            self.request_id,
            self.rt.server_address,
            self.rt.server_port,
        )

    def _finish(
        self,
        level: str,
        event: str,
        fields: dict[str, object],
        outcome: Outcome | None,
        category: str | None,
    ) -> None:
        """Add the observers' fields, log the call's one ending and close its scopes.

        ``fields`` holds no ``None`` value: the callers leave out what is unknown.
        """
        rt = self.rt
        if rt.server_address is not None:
            fields["server_address"] = rt.server_address
        if rt.server_port is not None:
            fields["server_port"] = rt.server_port
        record = None
        if rt.settings.observers or self.run is not None:
            duration = fields.get("duration_ms")
            ttft = fields.get("ttft_ms")
            record = self._record(
                outcome,
                duration if isinstance(duration, float) else None,
                ttft if isinstance(ttft, float) else None,
                category is None,
                category,
            )
            if rt.settings.observers:
                fields.update(rt.observe(record))
            if self.run is not None:
                self.run.add_call(record, fields.get("cost_usd"))
        self._emit(level, event, fields)
        self._end_scopes(record, fields)

    def _error_fields(self, exc: BaseException, fields: dict[str, object]) -> str:
        """Add the classified error of ``exc`` to ``fields``; return its category."""
        info = classify_error(exc)
        response = getattr(exc, "response", None)
        headers = getattr(response, "headers", None)
        self._log_rate_limits(headers if isinstance(headers, Mapping) else self.headers)
        fields["error"] = info.error
        fields["error_type"] = info.error_type
        _put(fields, "status_code", info.status_code)
        _put(fields, "request_id", info.request_id or self.request_id)
        _put(fields, "retry_after", info.retry_after)
        _put(fields, "error_message", info.message)
        return info.category

    def completed(self, outcome: Outcome) -> None:
        """Log ✨ for a finished non-streaming call."""
        try:
            self._log_rate_limits(self.headers)
            fields = self._base()
            _put(fields, "request_id", self.request_id)
            fields.update(outcome.fields())
            fields["duration_ms"] = self._elapsed_ms()
            fields["retries"] = self.retries
            if self.rt.settings.capture_content:
                fields.update(outcome.content_fields(self.rt.settings.max_content_chars))
            self._finish("info", f"{self.operation}_request_completed", fields, outcome, None)
        except Exception as exc:  # the caller's result must be returned regardless
            self.rt.internal_error("completed", exc)
            self._end_scopes(None, {})

    def failed(self, exc: BaseException) -> None:
        """Log the failure of a call, classified, or its cancellation (a ``BaseException``)."""
        try:
            fields = self._base()
            if isinstance(exc, Exception):
                category = self._error_fields(exc, fields)
                level, event = "error", f"{self.operation}_request_failed"
            else:  # asyncio.CancelledError, KeyboardInterrupt: nobody failed
                fields["reason"] = type(exc).__name__
                category, level = "cancelled", "warning"
                event = f"{self.operation}_request_cancelled"
            fields["duration_ms"] = self._elapsed_ms()
            fields["retries"] = self.retries
            self._finish(level, event, fields, None, category)
        except Exception as err:  # the caller's exception must propagate unchanged
            self.rt.internal_error("failed", err)
            self._end_scopes(None, {})

    def stream_started(self) -> None:
        """Log 🌊 once the stream's headers are in."""
        try:
            self._log_rate_limits(self.headers)
            fields = self._base()
            _put(fields, "request_id", self.request_id)
            if self.headers_at is not None:
                fields["time_to_headers_ms"] = self._elapsed_ms(self.headers_at)
            fields["retries"] = self.retries
            self._emit("info", "stream_started", fields)
        except Exception as exc:  # the caller's stream must be returned regardless
            self.rt.internal_error("stream_started", exc)

    def stream_progress(self, tracker: StreamTracker) -> None:
        """Log a debug 🌊 with the deltas received so far."""
        if not self.rt.enabled(_DEBUG):
            return
        fields = self._base()
        fields["tokens_streamed"] = tracker.deltas
        fields["chunks"] = tracker.chunks
        fields["elapsed_ms"] = self._elapsed_ms()
        self._emit("debug", "stream_progress", fields)

    def stream_ended(
        self, tracker: StreamTracker, kind: str, exc: BaseException | None, reason: str | None
    ) -> None:
        """Log the one ending of a stream: ``completed``, ``failed`` or ``cancelled``."""
        try:
            self._log_stream_end(tracker, kind, exc, reason)
        finally:
            self._end_scopes(None, {})  # closed already, unless logging the end failed

    def _log_stream_end(
        self, tracker: StreamTracker, kind: str, exc: BaseException | None, reason: str | None
    ) -> None:
        end = self.rt.settings.clock()
        outcome = tracker.outcome()
        fields = self._base()
        _put(fields, "request_id", self.request_id)
        fields.update(outcome.fields())
        fields["chunks"] = tracker.chunks
        fields["tokens_streamed"] = tracker.deltas
        fields["duration_ms"] = self._elapsed_ms(end)
        first = tracker.first_token_at
        if first is not None:
            fields["ttft_ms"] = self._elapsed_ms(first)
        fields["retries"] = self.retries
        if kind == "completed":
            completion = outcome.completion_tokens
            if completion is not None and first is not None and end > first:
                fields["tokens_per_second"] = round(completion / (end - first), 2)
            if self.rt.settings.capture_content:
                outcome.text = tracker.text()
                fields.update(outcome.content_fields(self.rt.settings.max_content_chars))
            self._finish("info", "stream_completed", fields, outcome, None)
        elif kind == "failed" and exc is not None:
            category = self._error_fields(exc, fields)
            self._finish("error", "stream_failed", fields, outcome, category)
        else:
            _put(fields, "reason", reason)
            self._finish("warning", "stream_cancelled", fields, outcome, "cancelled")


def _drop_none(fields: dict[str, object]) -> dict[str, object]:
    return {key: value for key, value in fields.items() if value is not None}


def _put(fields: dict[str, object], key: str, value: object) -> None:
    """Set ``fields[key]`` unless ``value`` is unknown (``None``): events leave it out."""
    if value is not None:
        fields[key] = value
