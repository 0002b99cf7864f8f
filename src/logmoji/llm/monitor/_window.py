"""Per-model state of :class:`~logmoji.llm.monitor.PerformanceMonitor`: :class:`ModelWindow`.

A model's window is a ring of :data:`~logmoji.llm.monitor._series.SLICES`
slices, each holding the requests of ``window_seconds / SLICES`` seconds; its
measures (latency, time to first token) are
:class:`~logmoji.llm.monitor._series.Series` over that ring. Running window
totals (count, sum, errors, requests over the p99 threshold) are kept beside
the ring, so alerts cost a few comparisons per request, and the time at which
the current slice ends, so a request that falls in it compares one number.

Not thread-safe by itself: the monitor's lock guards every call.
"""

from __future__ import annotations

import math

from logmoji.llm.monitor._series import SLICES, Series
from logmoji.llm.monitor._snapshot import Snapshot
from logmoji.llm.monitor.sketch import DDSketch

__all__ = ["ModelWindow"]

_NO_SLICE = -(1 << 62)
_INF = math.inf


class ModelWindow:
    """Everything the monitor knows about one model: its window, totals and alert state."""

    __slots__ = (
        "avg_alert",
        "error_alert",
        "errors",
        "head",
        "ids",
        "last_emit",
        "latency",
        "next_at",
        "over_p99",
        "p99_alert",
        "pending",
        "retired_errors",
        "slice_seconds",
        "slot",
        "ttft",
        "window_count",
        "window_errors",
        "window_over",
        "window_sum",
    )

    def __init__(self, now: float, slice_seconds: float) -> None:
        self.latency = Series(0)
        self.ttft: Series | None = None
        self.ids = [_NO_SLICE] * SLICES
        self.errors = [0] * SLICES
        self.over_p99 = [0] * SLICES
        self.slot = 0
        self.retired_errors = 0
        self.head = _NO_SLICE
        self.slice_seconds = slice_seconds
        self.next_at = -_INF  # the first request starts a slice
        self.window_count = 0
        self.window_errors = 0
        self.window_sum = 0.0
        self.window_over = 0
        self.pending = 0
        self.last_emit = now
        self.avg_alert = self.p99_alert = self.error_alert = False

    def ttft_series(self) -> Series:
        """Return the TTFT series, created on the first request that reports one."""
        if self.ttft is None:
            self.ttft = Series(self.slot)
        return self.ttft

    def move(self, now: float) -> None:
        """Move the window's end to the slice of ``now`` (seconds), if that is a later one."""
        slice_id = math.floor(now / self.slice_seconds)
        if slice_id <= self.head:
            return  # same slice, or a clock that stepped back: keep counting in the newest
        self._advance(slice_id)
        # The first time of the next slice, rounded down: requests before it need no move.
        edge = (slice_id + 1) * self.slice_seconds
        while math.floor(edge / self.slice_seconds) > slice_id:
            edge = math.nextafter(edge, -_INF)
        self.next_at = edge

    def _advance(self, slice_id: int) -> None:
        """Make ``slice_id`` (later than ``head``) current, retiring slices that fall out."""
        self.head = slice_id
        ids = self.ids
        for slot in range(SLICES):
            if ids[slot] != _NO_SLICE and ids[slot] <= slice_id - SLICES:
                self.latency.retire(slot)
                if self.ttft is not None:
                    self.ttft.retire(slot)
                self.retired_errors += self.errors[slot]
                ids[slot], self.errors[slot], self.over_p99[slot] = _NO_SLICE, 0, 0
        slot = self.slot = slice_id % SLICES
        ids[slot] = slice_id
        self.latency.move_to(slot)
        if self.ttft is not None:
            self.ttft.move_to(slot)
        # Slots outside the window were emptied above, so the window's totals are every
        # slot's; recomputing them keeps the float sum from drifting.
        self.latency.flush()
        self.window_count = sum(self.latency.counts)
        self.window_sum = math.fsum(self.latency.sums)
        self.window_errors = sum(self.errors)
        self.window_over = sum(self.over_p99)

    def quantile(self, q: float, *, window: bool) -> float | None:
        """Return one latency quantile of the window or of all time, without a snapshot."""
        return self.latency.copy(window=window).quantile(q)

    def sketches(self, *, window: bool) -> tuple[DDSketch, DDSketch, int]:
        """Return new latency and TTFT sketches of the window or all time, and the error count."""
        latency = self.latency.copy(window=window).sketch()
        ttft = DDSketch() if self.ttft is None else self.ttft.copy(window=window).sketch()
        return latency, ttft, self._errors(window=window)

    def snapshot(self, model: str | None, *, window: bool) -> Snapshot:
        """Return the snapshot of the window ending at ``head``, or of all time.

        Its percentiles and sketches are computed from copied counts when first read.
        """
        latency = self.latency.copy(window=window)
        ttft = None if self.ttft is None else self.ttft.copy(window=window)
        return Snapshot.deferred(model, latency, ttft, self._errors(window=window))

    def _errors(self, *, window: bool) -> int:
        errors = sum(self.errors)  # slots outside the window hold none
        return errors if window else errors + self.retired_errors
