"""Keep export trouble away from the application: count it, say it once, stay quiet.

When the collector is down or slow, the SDK's exporters retry in the batch
processors' threads and log each failure through the standard ``logging``
module. Those messages would come back through logmoji's bridge, be exported
in turn, fail, and be logged again. So while export is on:

* :class:`SDKMessages`, a handler on the ``opentelemetry`` logger (which then
  stops propagating), keeps the export path's messages as the reason of the
  next failure, and passes every other OpenTelemetry message on to the root
  logger as before;
* :class:`CountingExporter` wraps each exporter and counts failed exports and
  the records, spans and points they lost; :class:`QueueDropCounter` wraps
  each batch processor and counts what its full queue drops (the SDK says so
  only once in 20 s);
* :class:`ExportHealth` logs the first failure once, as the warning
  ``telemetry_export_failed`` on the logger ``logmoji.otel``, and keeps the
  counts for :func:`logmoji.otel.export_status`;
* :func:`drop_export_traffic` drops the events that exporting itself causes
  (urllib3's request logs, say): those logged on an export thread while the
  SDK has set OpenTelemetry's "suppress instrumentation" key. Exported, they
  would feed a loop of exports; written, they would be noise about telemetry.
"""

from __future__ import annotations

import contextlib
import inspect
import logging
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from opentelemetry import context as otel_context
from opentelemetry.context import _SUPPRESS_INSTRUMENTATION_KEY
from structlog import DropEvent

__all__ = [
    "CountingExporter",
    "ExportHealth",
    "ExportStatus",
    "QueueDropCounter",
    "SDKMessages",
    "drop_export_traffic",
]

# The loggers of the export path: exporters, batch processors, the metric reader.
_EXPORT_LOGGERS = (
    "opentelemetry.exporter",
    "opentelemetry.sdk._shared_internal",
    "opentelemetry.sdk._logs._internal.export",
    "opentelemetry.sdk.trace.export",
    "opentelemetry.sdk.metrics._internal.export",
)
_MAX_REASON = 300
# The SDK's batch and metric-reader threads, and logmoji's flush and shutdown helpers.
_EXPORT_THREADS = ("Otel", "logmoji-otel")


def drop_export_traffic(logger: Any, method_name: str, event_dict: Any) -> Any:
    """Drop an event logged by the export machinery itself (on an export thread, suppressed)."""
    if otel_context.get_value(_SUPPRESS_INSTRUMENTATION_KEY) and (
        threading.current_thread().name.startswith(_EXPORT_THREADS)
    ):
        raise DropEvent
    return event_dict


@dataclass(frozen=True, slots=True)
class ExportStatus:
    """What export has lost since set-up.

    Attributes:
        failed_exports: Export requests that failed (after the exporter's retries).
        lost: Log records, spans and metric points lost with them, or dropped
            from a full queue, per signal.
        last_error: What the exporter said about the last failure.
    """

    failed_exports: int = 0
    lost: Mapping[str, int] = field(default_factory=dict)
    last_error: str | None = None


class ExportHealth:
    """Count failed exports and report the first one once, as a warning."""

    def __init__(self, endpoints: Mapping[str, str]) -> None:
        self._endpoints = dict(endpoints)
        self._lock = threading.Lock()
        self._local = threading.local()
        self._failed = 0
        self._lost: dict[str, int] = {}
        self._last_error: str | None = None
        self._reported = False

    def close(self) -> None:
        """Report nothing more: the pipeline has shut down (an export may still be ending)."""
        with self._lock:
            self._reported = True

    def heard(self, message: str) -> None:
        """Keep an export-path message as the reason of this thread's next failure."""
        if getattr(self._local, "reason", None) is None:
            self._local.reason = message[:_MAX_REASON]
        if message.startswith("Queue full"):  # counted by QueueDropCounter
            self._report("logs" if "log" in message.lower() else "traces", 0, message)

    def begin(self) -> None:
        """Forget the messages of this thread's previous export."""
        self._local.reason = None

    def failed(self, signal: str, lost: int, reason: str | None = None) -> None:
        """Count one failed export of ``signal`` that lost ``lost`` items."""
        reason = reason or getattr(self._local, "reason", None) or "the exporter gave up"
        with self._lock:
            self._failed += 1
            self._lost[signal] = self._lost.get(signal, 0) + lost
            self._last_error = reason
        self._report(signal, lost, reason)

    def dropped(self, signal: str) -> None:
        """Count one item of ``signal`` dropped by a full queue."""
        with self._lock:
            self._lost[signal] = self._lost.get(signal, 0) + 1
        if not self._reported:
            self._report(signal, 0, "the export queue is full: the collector is not keeping up")

    def conversion_failed(self, exc: BaseException) -> None:
        """Count an event that could not become a log record (a logmoji bug)."""
        self.failed("logs", 1, f"event not converted: {type(exc).__name__}: {exc}"[:_MAX_REASON])

    def status(self) -> ExportStatus:
        """Return the counts so far."""
        with self._lock:
            return ExportStatus(self._failed, dict(self._lost), self._last_error)

    def _report(self, signal: str, lost: int, reason: str) -> None:
        with self._lock:
            if self._reported:
                return
            self._reported = True
        from logmoji.logger.core import get_logger

        # Reported from an export thread: lift the SDK's suppression for this one event.
        token = otel_context.attach(otel_context.set_value(_SUPPRESS_INSTRUMENTATION_KEY, False))
        # Nobody is left to tell if logging itself fails here.
        with contextlib.suppress(Exception):
            get_logger("logmoji.otel").warning(
                "telemetry_export_failed",
                signal=signal,
                endpoint=self._endpoints.get(signal),
                lost=lost if lost else "the oldest queued items",
                reason=reason,
                note="telemetry is dropped while this lasts; the application is not slowed; "
                "this is reported once (see logmoji.otel.export_status())",
            )
        otel_context.detach(token)


class SDKMessages(logging.Handler):
    """Take the OpenTelemetry SDK's log messages off the application's log while export is on."""

    def __init__(self, health: ExportHealth) -> None:
        super().__init__(logging.NOTSET)
        self._health = health
        self._saved: bool | None = None

    def emit(self, record: logging.LogRecord) -> None:
        """Keep an export-path message as a failure reason; pass any other one to the root."""
        try:
            if record.name.startswith(_EXPORT_LOGGERS):
                if record.levelno >= logging.WARNING:
                    self._health.heard(record.getMessage())
                return
            logging.getLogger().callHandlers(record)
        except Exception:  # logging.Handler's own contract: report, never raise
            self.handleError(record)

    def install(self) -> None:
        """Put the handler on the ``opentelemetry`` logger and stop it propagating."""
        logger = logging.getLogger("opentelemetry")
        # A previous pipeline's handler may still be there, waiting for its last export.
        others = [h for h in logger.handlers if isinstance(h, SDKMessages) and h is not self]
        self._saved = others[0]._saved if others else logger.propagate
        logger.addHandler(self)
        logger.propagate = False

    def uninstall(self) -> None:
        """Restore the ``opentelemetry`` logger as it was (once no other such handler is on it)."""
        logger = logging.getLogger("opentelemetry")
        logger.removeHandler(self)
        others = any(isinstance(h, SDKMessages) for h in logger.handlers)
        if self._saved is not None and not others:
            logger.propagate = self._saved
        self._saved = None


def _count(batch: Any) -> int:
    """Return how many items a batch holds: records, spans, or metric points."""
    resource_metrics = getattr(batch, "resource_metrics", None)
    if resource_metrics is None:
        return len(batch)
    return sum(
        len(getattr(metric.data, "data_points", ()))
        for rm in resource_metrics
        for sm in rm.scope_metrics
        for metric in sm.metrics
    )


class CountingExporter:
    """Wrap an OTLP exporter: count its failures; otherwise it is the exporter itself."""

    def __init__(self, inner: Any, signal: str, health: ExportHealth) -> None:
        self._inner = inner
        self._signal = signal
        self._health = health

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def export(self, batch: Any, *args: Any, **kwargs: Any) -> Any:
        """Export ``batch``; count it as lost if the exporter fails."""
        self._health.begin()
        try:
            result = self._inner.export(batch, *args, **kwargs)
        except Exception as exc:
            self._health.failed(self._signal, _count(batch), f"{type(exc).__name__}: {exc}")
            raise
        if getattr(result, "name", None) == "FAILURE":
            self._health.failed(self._signal, _count(batch))
        return result

    def shutdown(self, timeout_millis: float | None = None, **kwargs: Any) -> None:
        """Shut the exporter down, passing the time left if it takes one."""
        params = inspect.signature(self._inner.shutdown).parameters
        if timeout_millis is not None and "timeout_millis" in params:
            kwargs["timeout_millis"] = timeout_millis
        self._inner.shutdown(**{k: v for k, v in kwargs.items() if k in params})


class QueueDropCounter:
    """Wrap a batch processor: count what its full queue drops; otherwise it is the processor.

    The SDK's batch queue drops its oldest item when full and says so once in
    20 s, so the count is taken here, from the queue's length before each item
    goes in (the SDK's private ``_batch_processor._queue``; without it nothing
    is counted).
    """

    def __init__(self, inner: Any, signal: str, health: ExportHealth) -> None:
        self._inner = inner
        self._signal = signal
        self._health = health
        queue = getattr(getattr(inner, "_batch_processor", None), "_queue", None)
        maxlen = getattr(queue, "maxlen", None)
        self._queue: Any = queue if isinstance(maxlen, int) else None
        self._max: int = maxlen if isinstance(maxlen, int) else 0

    def __getattr__(self, name: str) -> Any:
        return getattr(self._inner, name)

    def _count(self) -> None:
        queue = self._queue
        if queue is not None and len(queue) >= self._max:
            self._health.dropped(self._signal)

    def on_emit(self, log_record: Any) -> None:
        """Queue a log record, counting the one a full queue drops."""
        self._count()
        self._inner.on_emit(log_record)

    def on_end(self, span: Any) -> None:
        """Queue a finished span (if sampled), counting the one a full queue drops."""
        context = getattr(span, "context", None)
        if context is not None and context.trace_flags.sampled:
            self._count()
        self._inner.on_end(span)
