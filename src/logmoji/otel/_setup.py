"""Build and tear down the OpenTelemetry pipeline: providers, exporters, resource.

:func:`start` makes an :class:`OTelPipeline` from resolved settings: one
provider per exported signal, each with its own OTLP exporter (HTTP/protobuf
or gRPC) behind a batching processor or periodic reader with a bounded queue.
:func:`~logmoji.setup.setup_telemetry` installs its processors in logmoji's
chain and its observers as instrumentation defaults, then calls
:func:`replace`; :func:`~logmoji.setup.reset` calls :func:`stop`.

logmoji's providers are its own: it never sets OpenTelemetry's global
providers, so it neither fights an application that set them nor leaves a
provider behind that ``reset()`` cannot take back. Context is shared
nonetheless (it belongs to the API, not to a provider): an LLM call made
inside the application's span gets a child span in the same trace, and log
lines carry the ids of whatever span is current.

Flushing and shutting down run in helper threads and are waited for at most
the given time, because the SDK's own waits are not bounded.
"""

from __future__ import annotations

import atexit
import importlib
import threading
import time
from collections.abc import Callable
from typing import Any, cast

try:
    from opentelemetry.sdk._logs import LoggerProvider
    from opentelemetry.sdk._logs.export import BatchLogRecordProcessor, LogRecordExporter
    from opentelemetry.sdk.metrics import MeterProvider
    from opentelemetry.sdk.metrics.export import MetricExporter, PeriodicExportingMetricReader
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, SpanExporter
except ImportError as exc:  # pragma: no cover - depends on what is installed
    raise ImportError(
        "OpenTelemetry export needs the otel extra: pip install 'logmoji[otel]'"
    ) from exc

from logmoji.llm._record import CallObserver
from logmoji.logger._otel_config import ResolvedOTelConfig, SignalSettings
from logmoji.logger._pipeline import Processor
from logmoji.logger.config import ResolvedLoggingConfig
from logmoji.logger.redact import SecretTextMasker
from logmoji.otel._health import (
    CountingExporter,
    ExportHealth,
    QueueDropCounter,
    SDKMessages,
    drop_export_traffic,
)
from logmoji.otel._logs import OTelLogsExporter
from logmoji.otel._metrics import MetricsObserver
from logmoji.otel._traces import SpanObserver, add_trace_context

__all__ = ["OTelPipeline", "current", "replace", "start", "stop"]

_PACKAGES = {"http/protobuf": "http", "grpc": "grpc"}
_MODULES = {"logs": "_log_exporter", "traces": "trace_exporter", "metrics": "metric_exporter"}
_CLASSES = {
    "logs": "OTLPLogExporter",
    "traces": "OTLPSpanExporter",
    "metrics": "OTLPMetricExporter",
}
_BATCH_DELAY_MS = 1000  # records wait at most this long for a batch to fill
_MAX_BATCH = 512


def _exporter(signal: str, settings: SignalSettings) -> Any:
    """Make the OTLP exporter of ``signal``, importing its module only now."""
    package = _PACKAGES[settings.protocol]
    try:
        module = importlib.import_module(
            f"opentelemetry.exporter.otlp.proto.{package}.{_MODULES[signal]}"
        )
    except ImportError as exc:
        raise ImportError(
            f"OTLP export over {settings.protocol} needs "
            f"opentelemetry-exporter-otlp-proto-{package}: pip install 'logmoji[otel]'"
        ) from exc
    return getattr(module, _CLASSES[signal])(
        endpoint=settings.endpoint, headers=dict(settings.headers), timeout=settings.timeout_s
    )


def _bounded(
    tasks: list[Callable[[], object]], timeout_s: float
) -> tuple[bool, list[threading.Thread]]:
    """Run ``tasks`` in parallel daemon threads; wait at most ``timeout_s`` for them all.

    Returns:
        Whether every task ended without error in time, and the threads.
    """
    done = [False] * len(tasks)

    def run(index: int, task: Callable[[], object]) -> None:
        try:
            task()
            done[index] = True
        except Exception:  # the SDK reports its own trouble through SDKMessages
            pass

    threads = [
        threading.Thread(target=run, args=(i, t), name="logmoji-otel-flush", daemon=True)
        for i, t in enumerate(tasks)
    ]
    for thread in threads:
        thread.start()
    deadline = time.monotonic() + timeout_s
    for thread in threads:
        thread.join(max(0.0, deadline - time.monotonic()))
    return all(done), threads


def _when_ended(
    threads: list[threading.Thread], longest_s: float, then: Callable[[], object]
) -> None:
    """Call ``then`` once ``threads`` have ended (or after ``longest_s``), from a daemon thread."""

    def wait() -> None:
        deadline = time.monotonic() + longest_s
        for thread in threads:
            thread.join(max(0.0, deadline - time.monotonic()))
        then()

    threading.Thread(target=wait, name="logmoji-otel-quiet", daemon=True).start()


class OTelPipeline:
    """The providers, log processors and call observers of one set-up, shut down as one."""

    def __init__(self, config: ResolvedOTelConfig, logging_config: ResolvedLoggingConfig) -> None:
        self.config = config
        self.health = ExportHealth({s: c.endpoint for s, c in config.signals.items()})
        # Every exporter first: a missing package then fails before any thread starts.
        exporters = {
            signal: CountingExporter(_exporter(signal, settings), signal, self.health)
            for signal, settings in config.signals.items()
        }
        self._messages = SDKMessages(self.health)
        resource = Resource.create(dict(config.resource_attributes))
        masker = SecretTextMasker(logging_config.redact_patterns) if logging_config.redact else None
        batch = min(_MAX_BATCH, config.max_queue_size)
        processors: list[Processor] = [drop_export_traffic, add_trace_context]
        observers: list[CallObserver] = []
        self.logger_provider: LoggerProvider | None = None
        self.tracer_provider: TracerProvider | None = None
        self.meter_provider: MeterProvider | None = None
        self._span_observer: SpanObserver | None = None
        self._metrics_observer: MetricsObserver | None = None
        settings = config.signals.get("logs")
        if settings is not None:
            self.logger_provider = LoggerProvider(resource=resource, shutdown_on_exit=False)
            log_batches = BatchLogRecordProcessor(
                cast(LogRecordExporter, exporters["logs"]),
                schedule_delay_millis=_BATCH_DELAY_MS,
                max_export_batch_size=batch,
                export_timeout_millis=settings.timeout_s * 1000,
                max_queue_size=config.max_queue_size,
            )
            self.logger_provider.add_log_record_processor(
                cast(BatchLogRecordProcessor, QueueDropCounter(log_batches, "logs", self.health))
            )
            processors.append(
                OTelLogsExporter(
                    self.logger_provider,
                    max_value_chars=logging_config.max_value_chars,
                    masker=masker,
                    on_error=self.health.conversion_failed,
                )
            )
        settings = config.signals.get("traces")
        if settings is not None:
            self.tracer_provider = TracerProvider(resource=resource, shutdown_on_exit=False)
            span_batches = BatchSpanProcessor(
                cast(SpanExporter, exporters["traces"]),
                schedule_delay_millis=_BATCH_DELAY_MS,
                max_export_batch_size=batch,
                export_timeout_millis=settings.timeout_s * 1000,
                max_queue_size=config.max_queue_size,
            )
            self.tracer_provider.add_span_processor(
                cast(BatchSpanProcessor, QueueDropCounter(span_batches, "traces", self.health))
            )
            self._span_observer = SpanObserver(self.tracer_provider, masker=masker)
            observers.append(self._span_observer)
        settings = config.signals.get("metrics")
        if settings is not None:
            reader = PeriodicExportingMetricReader(
                cast(MetricExporter, exporters["metrics"]),
                export_interval_millis=config.metric_export_interval_s * 1000,
                export_timeout_millis=settings.timeout_s * 1000,
            )
            self.meter_provider = MeterProvider(
                resource=resource, metric_readers=[reader], shutdown_on_exit=False
            )
            self._metrics_observer = MetricsObserver(self.meter_provider)
            observers.append(self._metrics_observer)
        self.processors: tuple[Processor, ...] = tuple(processors)
        self.observers: tuple[CallObserver, ...] = tuple(observers)
        self._closed = False

    def quiet_sdk(self) -> None:
        """Take the SDK's messages off the application's log (see :mod:`._health`)."""
        self._messages.install()

    def force_flush(self, timeout_s: float) -> bool:
        """Export what is queued; return whether it all went, without a failure, in time."""
        if self._closed:
            return False
        failures = self.health.status().failed_exports
        tasks: list[Callable[[], object]] = [
            provider.force_flush
            for provider in (self.logger_provider, self.tracer_provider, self.meter_provider)
            if provider is not None
        ]
        done, _ = _bounded(tasks, timeout_s)
        return done and self.health.status().failed_exports == failures

    def shutdown(self, timeout_s: float | None = None) -> bool:
        """Stop exporting: send what is queued within the shutdown timeout, then let go."""
        if self._closed:
            return True
        self._closed = True
        for observer in (self._span_observer, self._metrics_observer):
            if observer is not None:
                observer.closed = True
        tasks: list[Callable[[], object]] = [
            provider.shutdown
            for provider in (self.logger_provider, self.tracer_provider, self.meter_provider)
            if provider is not None
        ]
        done, threads = _bounded(
            tasks, self.config.shutdown_timeout_s if timeout_s is None else timeout_s
        )
        self.health.close()
        if done:
            self._messages.uninstall()
        else:
            # An export the timeout cut short goes on retrying in its thread; its messages
            # stay off the application's stderr until it ends (at most its export timeout).
            longest = 2 * max(s.timeout_s for s in self.config.signals.values()) + 5
            _when_ended(threads, longest, self._messages.uninstall)
        return done


class _Current:
    lock = threading.Lock()
    pipeline: OTelPipeline | None = None
    atexit_registered = False


def start(config: ResolvedOTelConfig, logging_config: ResolvedLoggingConfig) -> OTelPipeline:
    """Build a pipeline for ``config`` (not yet the current one).

    Raises:
        ImportError: the ``otel`` extra (or the exporter of the protocol) is missing.
    """
    return OTelPipeline(config, logging_config)


def replace(pipeline: OTelPipeline | None) -> None:
    """Make ``pipeline`` the current one and shut the previous one down."""
    with _Current.lock:
        previous, _Current.pipeline = _Current.pipeline, pipeline
        if pipeline is not None and not _Current.atexit_registered:
            _Current.atexit_registered = True
            atexit.register(stop)
    if previous is not None and previous is not pipeline:
        previous.shutdown()
    if pipeline is not None and previous is not pipeline:
        pipeline.quiet_sdk()


def stop() -> None:
    """Shut the current pipeline down (sending what is queued, within its timeout)."""
    replace(None)


def current() -> OTelPipeline | None:
    """Return the pipeline in force, if export is on."""
    return _Current.pipeline
