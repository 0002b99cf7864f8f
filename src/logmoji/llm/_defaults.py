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
from typing import TYPE_CHECKING, Any

from logmoji.llm._runtime import Settings
from logmoji.logger.config import LLMConfig, ResolvedLLMConfig

if TYPE_CHECKING:
    from collections.abc import Callable, Sequence

    from logmoji.llm._record import CallObserver
    from logmoji.llm.costs import CostTracker
    from logmoji.llm.monitor import PerformanceMonitor

__all__ = [
    "configure",
    "cost_tracker",
    "default_observers",
    "instrument_settings",
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


def instrument_settings(
    *,
    logger: Any,
    capture_content: bool | None,
    max_content_chars: int | None,
    observers: Sequence[CallObserver] | None,
    progress_every: int,
    rate_limit_warning_ratio: float,
    clock: Callable[[], float],
) -> Settings:
    """Return the settings of one ``instrument()`` call: its options, defaults filled in.

    Raises:
        ValueError: For an option out of range or an observer without ``observe``.
    """
    defaults = llm_settings()
    if capture_content is None:
        capture_content = defaults.capture_content
    if max_content_chars is None:
        max_content_chars = defaults.max_content_chars
    if observers is None:
        observers = default_observers()
    if max_content_chars < 1:
        raise ValueError(f"max_content_chars must be at least 1, not {max_content_chars}")
    if progress_every < 1:
        raise ValueError(f"progress_every must be at least 1 token, not {progress_every}")
    if not 0.0 <= rate_limit_warning_ratio <= 1.0:
        raise ValueError(
            "rate_limit_warning_ratio is a fraction between 0 and 1, "
            f"not {rate_limit_warning_ratio}"
        )
    for observer in observers:
        if not callable(getattr(observer, "observe", None)):
            raise ValueError(
                f"observer {observer!r} needs an observe(record) method (see CallObserver)"
            )
    return Settings(
        logger=logger,
        capture_content=capture_content,
        max_content_chars=max_content_chars,
        progress_every=progress_every,
        rate_limit_warning_ratio=rate_limit_warning_ratio,
        observers=tuple(observers),
        clock=clock,
    )


def telemetry_observers() -> tuple[CallObserver, ...]:
    """Return the OpenTelemetry export's observers (empty while export is off)."""
    return _State.telemetry
