"""OpenTelemetry export (the ``otel`` extra): logs, LLM call spans and GenAI metrics over OTLP.

Turned on by :func:`~logmoji.setup.setup_telemetry` with
``TelemetryConfig(otel=OTelConfig(...))`` or by the standard environment
(``OTEL_EXPORTER_OTLP_ENDPOINT`` alone is enough); ``docs/opentelemetry.md``
describes what is exported. This module adds what an application may need
beyond that: flush before a short-lived process ends, the observers to pass
when choosing ``instrument(observers=...)`` by hand, the tracer provider to
make global, and what export has lost.

Importing it needs the extra: ``pip install 'logmoji[otel]'``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from logmoji.otel import _setup
from logmoji.otel._health import ExportStatus

if TYPE_CHECKING:
    from opentelemetry.sdk.trace import TracerProvider

    from logmoji.llm._record import CallObserver

__all__ = ["ExportStatus", "export_status", "force_flush", "observers", "tracer_provider"]


def force_flush(timeout_s: float = 5.0) -> bool:
    """Export every queued record, span and metric point now.

    Waits at most ``timeout_s``; returns whether everything was sent in time
    and accepted (``False`` also when export is off). Useful before a short script or a serverless
    function ends; ``reset()`` and interpreter exit flush on their own.
    """
    pipeline = _setup.current()
    return False if pipeline is None else pipeline.force_flush(timeout_s)


def observers() -> tuple[CallObserver, ...]:
    """Return the span and metrics observers, for ``instrument(client, observers=[...])``.

    Instrumented clients get them by default; pass them along when giving
    ``observers=`` yourself. Empty when export is off.
    """
    pipeline = _setup.current()
    return () if pipeline is None else pipeline.observers


def tracer_provider() -> TracerProvider | None:
    """Return logmoji's tracer provider (``None`` when traces are not exported).

    logmoji never sets the global provider; to send the application's own spans
    the same way, call ``opentelemetry.trace.set_tracer_provider()`` with it.
    """
    pipeline = _setup.current()
    return None if pipeline is None else pipeline.tracer_provider


def export_status() -> ExportStatus:
    """Return what export has lost since set-up (all zero when nothing failed or it is off)."""
    pipeline = _setup.current()
    return ExportStatus() if pipeline is None else pipeline.health.status()
