"""Latency and error monitoring per model: :class:`PerformanceMonitor`.

The monitor keeps, per model, a :class:`~logmoji.llm.monitor.sketch.DDSketch` of
latencies (and of time to first token, when reported) with 1% relative error,
plus request and error counts, over all time and over a sliding window. The
window is a ring of ten slices (:mod:`logmoji.llm.monitor._window`); a slice older
than the window is folded into the all-time totals and reused, so memory
stays bounded however many requests pass.

It logs (logger ``llm.performance``, ⏱️):

- ``performance_metrics`` (info) every ``emit_every_requests`` requests or
  ``emit_every_seconds`` seconds per model, with the window's latency
  percentiles and error rate and the all-time ``request_count``;
- ``high_average_latency``, ``high_p99_latency``, ``high_error_rate``
  (warning) when the window's value crosses its threshold upward, once per
  crossing, and ``performance_recovered`` (info) when it falls back, which
  re-arms the alert;
- ``invalid_latency`` (warning) when an instrumented call reports a latency
  that is not a finite non-negative number; the call is skipped.

Pass it to ``logmoji.llm.instrument(client, observers=[monitor])`` and every
call is recorded; or call :meth:`PerformanceMonitor.record_request` yourself.
"""

from __future__ import annotations

import math
import numbers
import threading
import time
from collections.abc import Callable, Iterable
from typing import Any

from logmoji.exceptions import ConfigurationError
from logmoji.llm._record import CallRecord
from logmoji.llm.monitor._series import SLICES
from logmoji.llm.monitor._snapshot import Snapshot
from logmoji.llm.monitor._window import ModelWindow
from logmoji.llm.monitor.sketch import DDSketch
from logmoji.logger.core import Logger, get_logger

__all__ = ["OTHER_MODEL", "PerformanceMonitor", "Snapshot"]

OTHER_MODEL = "__other__"
"""The model name requests are counted under once ``max_models`` models are known."""

_P99 = 0.99
_INF = math.inf

_Event = tuple[str, str, dict[str, Any]]


def _check_ms(name: str, value: object) -> float:
    """Return ``value`` as a float of milliseconds, or raise ``ValueError``."""
    kind = type(value)
    # The exact type checks come first: they are the common case and the cheapest.
    if (
        kind is not float
        and kind is not int
        and (kind is bool or not isinstance(value, numbers.Real))
    ):
        raise ValueError(f"{name} must be a number of milliseconds, got {value!r}")
    try:
        number = float(value)  # type: ignore[arg-type]  # checked to be a real number above
    except OverflowError:
        number = math.inf
    if not 0.0 <= number < math.inf:
        raise ValueError(
            f"{name} must be a finite, non-negative number of milliseconds, got {value!r}"
        )
    return number


def _positive(name: str, value: float | None, *, optional: bool = True) -> None:
    if value is None and optional:
        return
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 < value < math.inf:
        raise ConfigurationError(
            f"{name} must be a positive number{' or None' * optional}, got {value!r}"
        )


class PerformanceMonitor:
    """Track latency, time to first token and errors per model; log metrics and alerts.

    Args:
        window_seconds: span of the sliding window that metrics and alerts use;
            it is cut into ten slices, so it covers the last 90–100% of it.
        emit_every_requests: log ``performance_metrics`` for a model after this
            many of its requests (``None``: never by count).
        emit_every_seconds: ... or on its first request this many seconds after
            the last emission (``None``: never by time).
        latency_threshold_ms: warn when the window's average latency exceeds it.
        p99_threshold_ms: warn when the window's p99 latency exceeds it.
        error_rate_threshold_percent: warn when the window's error rate exceeds it.
        min_requests_for_alerts: no alert fires before the window holds this many requests.
        logger: where events go (default ``get_logger("llm.performance")``).
        clock: seconds, monotonic; pass a fake one in tests.
        max_models: models tracked by name; later ones are counted as
            :data:`OTHER_MODEL`, so memory stays bounded.

    Every threshold may be ``None`` to turn its alert off.
    """

    def __init__(
        self,
        *,
        window_seconds: float = 300.0,
        emit_every_requests: int | None = 100,
        emit_every_seconds: float | None = 60.0,
        latency_threshold_ms: float | None = 5000.0,
        p99_threshold_ms: float | None = None,
        error_rate_threshold_percent: float | None = 5.0,
        min_requests_for_alerts: int = 10,
        logger: Logger | None = None,
        clock: Callable[[], float] = time.monotonic,
        max_models: int = 1000,
    ) -> None:
        _positive("window_seconds", window_seconds, optional=False)
        _positive("emit_every_seconds", emit_every_seconds)
        _positive("latency_threshold_ms", latency_threshold_ms)
        _positive("p99_threshold_ms", p99_threshold_ms)
        for name, count in (
            ("emit_every_requests", emit_every_requests),
            ("min_requests_for_alerts", min_requests_for_alerts),
            ("max_models", max_models),
        ):
            if count is None and name == "emit_every_requests":
                continue
            if isinstance(count, bool) or not isinstance(count, int) or count < 1:
                raise ConfigurationError(f"{name} must be an integer of at least 1, got {count!r}")
        rate = error_rate_threshold_percent
        if rate is not None and (
            isinstance(rate, bool) or not isinstance(rate, numbers.Real) or not 0 <= rate < 100
        ):
            raise ConfigurationError(
                f"error_rate_threshold_percent must be between 0 and 100 or None, got {rate!r}"
            )
        self.window_seconds = float(window_seconds)
        self.emit_every_requests = emit_every_requests
        self.emit_every_seconds = emit_every_seconds
        self.latency_threshold_ms = latency_threshold_ms
        self.p99_threshold_ms = p99_threshold_ms
        self.error_rate_threshold_percent = error_rate_threshold_percent
        self.min_requests_for_alerts = min_requests_for_alerts
        self.max_models = max_models
        self._slice_seconds = self.window_seconds / SLICES
        self._log = logger if logger is not None else get_logger("llm.performance")
        self._clock = clock
        self._lock = threading.Lock()
        self._models: dict[str, ModelWindow] = {}

    def record_request(
        self, model: str, duration_ms: float, success: bool = True, *, ttft_ms: float | None = None
    ) -> None:
        """Record one request to ``model`` that took ``duration_ms`` milliseconds.

        Raises:
            ValueError: if ``model`` is not a non-empty string, or a latency is
                not a finite, non-negative number (NaN, inf, bool and strings too).
        """
        if not isinstance(model, str) or not model:
            raise ValueError(f"model must be a non-empty string, got {model!r}")
        # The common case, a float in range, skips the checking function's call.
        if type(duration_ms) is float and 0.0 <= duration_ms < _INF:
            duration = duration_ms
        else:
            duration = _check_ms("duration_ms", duration_ms)
        ttft = None if ttft_ms is None else _check_ms("ttft_ms", ttft_ms)
        events = self._record(model, duration, success is True or bool(success), ttft)
        if events:
            self._write(events)

    def observe(self, record: CallRecord) -> None:
        """Record a finished instrumented call; skip it with a warning if its times are bad.

        Records without ``duration_ms`` are skipped silently, and so are calls
        that failed in the calling process before the provider was reached
        (``client_error``): they say nothing of the provider's latency or
        error rate. Never raises.
        """
        try:
            duration_ms = record.duration_ms
            if duration_ms is None or record.error_category == "client_error":
                return
            model = record.model
            if not isinstance(model, str) or not model:
                raise ValueError(f"model must be a non-empty string, got {model!r}")
            duration = _check_ms("duration_ms", duration_ms)
            ttft = None if record.ttft_ms is None else _check_ms("ttft_ms", record.ttft_ms)
            success = bool(record.success)
        # Monitoring must never break the call it observes: any bad record is skipped.
        except Exception as exc:
            self._log.warning(
                "invalid_latency", model=str(getattr(record, "model", None)), reason=str(exc)
            )
            return
        events = self._record(model, duration, success, ttft)
        if events:
            self._write(events)

    def snapshot(self, model: str | None = None, *, window: bool = False) -> Snapshot:
        """Return the statistics of ``model`` (``None``: all models combined).

        With ``window=True`` only the requests of the sliding window count.
        An unknown model gives an empty snapshot.
        """
        with self._lock:
            now = self._clock()
            if model is None:
                states = list(self._models.values())
            else:
                states = [self._models[model]] if model in self._models else []
            if len(states) == 1:
                state = states[0]
                state.move(now)
                return state.snapshot(model, window=window)
            latency, ttft, errors = DDSketch(), DDSketch(), 0
            for state in states:
                state.move(now)
                one_latency, one_ttft, one_errors = state.sketches(window=window)
                latency.merge(one_latency)
                ttft.merge(one_ttft)
                errors += one_errors
        return Snapshot.of(model, latency, ttft, errors)

    def quantile(self, q: float, model: str, *, window: bool = False) -> float | None:
        """Return one latency quantile (``0 <= q <= 1``) of ``model``, or ``None`` when empty.

        The same value as ``snapshot(model, window=window).quantile(q)``, without
        building a snapshot: a few microseconds however many requests were seen.

        Raises:
            ValueError: if ``q`` is not between 0 and 1.
        """
        if not 0.0 <= q <= 1.0:
            raise ValueError(f"quantiles are between 0 and 1, got {q!r}")
        with self._lock:
            state = self._models.get(model)
            if state is None:
                return None
            state.move(self._clock())
            return state.quantile(q, window=window)

    def models(self) -> tuple[str, ...]:
        """Return the names of the models seen so far, in order of first request."""
        with self._lock:
            return tuple(self._models)

    def log_metrics(self, model: str | None = None) -> None:
        """Log ``performance_metrics`` now for ``model`` (``None``: each recently used model)."""
        events: list[_Event] = []
        with self._lock:
            now = self._clock()
            names = list(self._models) if model is None else [model]
            for name in names:
                state = self._models.get(name)
                if state is None:
                    continue
                state.move(now)
                if state.window_count:
                    events.append(self._metrics_event(name, state, now))
        self._write(events)

    def _state(self, model: str, now: float, events: list[_Event]) -> tuple[str, ModelWindow]:
        state = self._models.get(model)
        if state is not None:
            return model, state
        if len(self._models) >= self.max_models and model != OTHER_MODEL:
            if OTHER_MODEL not in self._models:
                events.append(
                    (
                        "warning",
                        "performance_model_limit_reached",
                        {"model": model, "max_models": self.max_models, "counted_as": OTHER_MODEL},
                    )
                )
            return self._state(OTHER_MODEL, now, events)
        state = self._models[model] = ModelWindow(now, self._slice_seconds)
        return model, state

    def _record(
        self, model: str, duration: float, success: bool, ttft: float | None
    ) -> list[_Event] | None:
        """Count one request; return the events to log, or ``None`` (the common case)."""
        events: list[_Event] | None = None
        lock = self._lock
        # acquire/release rather than a with-block: this is the hot path, and it is cheaper.
        lock.acquire()
        try:
            now = self._clock()
            state = self._models.get(model)
            if state is None:
                events = []
                model, state = self._state(model, now, events)
            if now >= state.next_at:
                state.move(now)
            state.latency.add(duration)
            if ttft is not None:
                state.ttft_series().add(ttft)
            count = state.window_count = state.window_count + 1
            state.window_sum += duration
            if not success:
                state.errors[state.slot] += 1
                state.window_errors += 1
            p99_limit = self.p99_threshold_ms
            if p99_limit is not None and duration > p99_limit:
                state.over_p99[state.slot] += 1
                state.window_over += 1
            if count >= self.min_requests_for_alerts:
                # Cross-multiplied comparisons: no division on the common, unchanged path.
                limit = self.latency_threshold_ms
                if limit is not None and (state.window_sum > limit * count) != state.avg_alert:
                    state.avg_alert = not state.avg_alert
                    events = [*(events or ()), self._avg_event(model, state, limit)]
                # The exact p99 (rank floor(0.99 * (n - 1))) is above the limit exactly when
                # at least n - rank requests are, so one comparison per request tells.
                if (
                    p99_limit is not None
                    and (state.window_over >= count - int(_P99 * (count - 1))) != state.p99_alert
                ):
                    state.p99_alert = not state.p99_alert
                    events = [*(events or ()), self._p99_event(model, state, p99_limit)]
                limit = self.error_rate_threshold_percent
                if (
                    limit is not None
                    and (100.0 * state.window_errors > limit * count) != state.error_alert
                ):
                    state.error_alert = not state.error_alert
                    events = [*(events or ()), self._error_event(model, state, limit)]
            state.pending += 1
            every_n, every_t = self.emit_every_requests, self.emit_every_seconds
            if (every_n is not None and state.pending >= every_n) or (
                every_t is not None and now - state.last_emit >= every_t
            ):
                events = [*(events or ()), self._metrics_event(model, state, now)]
        finally:
            lock.release()
        return events

    @staticmethod
    def _avg_event(model: str, state: ModelWindow, limit: float) -> _Event:
        avg = state.window_sum / state.window_count
        fields = {"model": model, "avg_latency_ms": round(avg, 2), "threshold_ms": limit}
        return _alert_event("high_average_latency", state.avg_alert, fields, state)

    @staticmethod
    def _p99_event(model: str, state: ModelWindow, limit: float) -> _Event:
        p99 = state.quantile(_P99, window=True)
        fields = {"model": model, "p99_latency_ms": _round(p99), "threshold_ms": limit}
        return _alert_event("high_p99_latency", state.p99_alert, fields, state)

    @staticmethod
    def _error_event(model: str, state: ModelWindow, limit: float) -> _Event:
        rate = 100.0 * state.window_errors / state.window_count
        fields = {"model": model, "error_rate_percent": round(rate, 2), "threshold_percent": limit}
        return _alert_event("high_error_rate", state.error_alert, fields, state)

    def _metrics_event(self, model: str, state: ModelWindow, now: float) -> _Event:
        state.pending = 0
        state.last_emit = now
        snap = state.snapshot(model, window=True)
        fields: dict[str, Any] = {
            "model": model,
            "request_count": state.latency.retired_count + state.window_count,
            "window_request_count": snap.count,
            "window_seconds": self.window_seconds,
            "avg_latency_ms": _round(snap.avg_ms),
            "p50_latency_ms": _round(snap.p50_ms),
            "p95_latency_ms": _round(snap.p95_ms),
            "p99_latency_ms": _round(snap.p99_ms),
            "error_rate_percent": round(snap.error_rate_percent, 2),
        }
        if snap.ttft_p50_ms is not None:
            fields["ttft_p50_ms"] = _round(snap.ttft_p50_ms)
            fields["ttft_p95_ms"] = _round(snap.ttft_p95_ms)
            fields["ttft_p99_ms"] = _round(snap.ttft_p99_ms)
        return ("info", "performance_metrics", fields)

    def _write(self, events: Iterable[_Event]) -> None:
        # Logged after the lock is released, so a slow sink never blocks other threads.
        for level, event, fields in events:
            getattr(self._log, level)(event, **fields)


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


def _alert_event(alert: str, fired: bool, fields: dict[str, Any], state: ModelWindow) -> _Event:
    """Return the warning for an alert that just fired, or the all-clear for one that ended."""
    fields["window_request_count"] = state.window_count
    if fired:
        return ("warning", alert, fields)
    return ("info", "performance_recovered", {"alert": alert, **fields})
