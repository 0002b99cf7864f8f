"""The defaults of instrumented clients: cost tracker, monitor, content capture, options.

:func:`~logmoji.setup.setup_telemetry` sets them from ``TelemetryConfig.llm``
(or the environment); an ``instrument()`` call without ``observers=`` uses
:func:`default_observers`. The tracker and monitor are made on first use and
shared by every instrumented client, so their totals cover the whole process.
When OpenTelemetry export is on, its span and metrics observers come last,
so they see the fields (the cost) the others add.
"""

from __future__ import annotations

import importlib.util
import os
import threading
from typing import TYPE_CHECKING

from logmoji.logger.config import LLMConfig, ResolvedLLMConfig

if TYPE_CHECKING:
    from logmoji.llm._record import CallObserver
    from logmoji.llm.costs import CostTracker
    from logmoji.llm.monitor import PerformanceMonitor

__all__ = [
    "configure",
    "cost_tracker",
    "default_observers",
    "llm_settings",
    "performance_monitor",
    "telemetry_observers",
]


class _State:
    lock = threading.Lock()
    settings: ResolvedLLMConfig | None = None
    tracker: CostTracker | None = None
    monitor: PerformanceMonitor | None = None
    telemetry: tuple[CallObserver, ...] = ()


def configure(settings: ResolvedLLMConfig | None, telemetry: tuple[CallObserver, ...] = ()) -> None:
    """Install ``settings`` (``None``: the environment, on next use); drop shared objects.

    Args:
        settings: The LLM settings.
        telemetry: Observers of the OpenTelemetry export, added to the defaults.
    """
    with _State.lock:
        _State.settings = settings
        _State.tracker = None
        _State.monitor = None
        _State.telemetry = tuple(telemetry)


def llm_settings() -> ResolvedLLMConfig:
    """Return the LLM settings in force."""
    settings = _State.settings
    if settings is None:
        settings = _State.settings = LLMConfig().resolve(os.environ)
    return settings


def cost_tracker() -> CostTracker:
    """Return the process-wide :class:`~logmoji.llm.costs.CostTracker`."""
    with _State.lock:
        if _State.tracker is None:
            from logmoji.llm.costs import CostTracker

            _State.tracker = CostTracker()
        return _State.tracker


def performance_monitor() -> PerformanceMonitor:
    """Return the process-wide :class:`~logmoji.llm.monitor.PerformanceMonitor`."""
    with _State.lock:
        if _State.monitor is None:
            from logmoji.llm.monitor import PerformanceMonitor

            _State.monitor = PerformanceMonitor()
        return _State.monitor


def default_observers() -> tuple[CallObserver, ...]:
    """Return the observers instrumented clients use unless told otherwise.

    The cost tracker is left out when ``genai-prices`` is not installed, so
    instrumenting works without the ``prices`` extra. The OpenTelemetry
    observers are there while export is on.
    """
    settings = llm_settings()
    observers: list[CallObserver] = []
    if settings.cost_tracking and importlib.util.find_spec("genai_prices") is not None:
        observers.append(cost_tracker())
    if settings.performance_monitoring:
        observers.append(performance_monitor())
    observers.extend(_State.telemetry)
    return tuple(observers)


def telemetry_observers() -> tuple[CallObserver, ...]:
    """Return the OpenTelemetry export's observers (empty while export is off)."""
    return _State.telemetry
