"""Per-model state of :class:`~logmoji.llm.monitor.PerformanceMonitor`: a sliding window.

The window is a ring of :data:`SLICES` slices, each holding the sketches and
counts of ``window_seconds / SLICES`` seconds. When a slice falls out of the
window it is merged into the model's all-time ("retired") sketches and
reused, so a model costs the same memory after a thousand requests as after a
billion. Running window totals (count, sum, errors, requests over the p99
threshold) are kept beside the ring, so alerts cost a few comparisons per
request; percentiles merge the live slices on demand.

Not thread-safe by itself: the monitor's lock guards every call.
"""

from __future__ import annotations

import math

from logmoji.llm.monitor._snapshot import Snapshot
from logmoji.llm.monitor.sketch import DDSketch

__all__ = ["SLICES", "ModelWindow", "Slice"]

SLICES = 10
_NO_SLICE = -(1 << 62)


class Slice:
    """One slice of the sliding window: the requests of ``slice_seconds`` seconds."""

    __slots__ = ("errors", "id", "latency", "over_p99", "ttft")

    def __init__(self) -> None:
        self.id = _NO_SLICE
        self.latency = DDSketch()
        self.ttft: DDSketch | None = None
        self.errors = 0
        self.over_p99 = 0


class ModelWindow:
    """Everything the monitor knows about one model: its window, totals and alert state."""

    __slots__ = (
        "avg_alert",
        "current",
        "error_alert",
        "head",
        "last_emit",
        "p99_alert",
        "pending",
        "retired_errors",
        "retired_latency",
        "retired_ttft",
        "slices",
        "window_count",
        "window_errors",
        "window_over",
        "window_sum",
    )

    def __init__(self, now: float) -> None:
        self.retired_latency = DDSketch()
        self.retired_ttft = DDSketch()
        self.retired_errors = 0
        self.slices = [Slice() for _ in range(SLICES)]
        self.head = _NO_SLICE
        self.window_count = 0
        self.window_errors = 0
        self.window_sum = 0.0
        self.window_over = 0
        self.pending = 0
        self.last_emit = now
        self.current = self.slices[0]
        self.avg_alert = self.p99_alert = self.error_alert = False

    def live(self) -> list[Slice]:
        """Return the slices inside the window ending at ``head``."""
        return [s for s in self.slices if s.id > self.head - SLICES]

    def advance(self, slice_id: int) -> None:
        """Move the window's end to ``slice_id``, retiring slices that fall out of it."""
        if slice_id <= self.head:
            return  # same slice, or a clock that stepped back: keep counting in the newest
        self.head = slice_id
        for s in self.slices:
            if s.id != _NO_SLICE and s.id <= slice_id - SLICES:
                self.retired_latency.merge(s.latency)
                if s.ttft is not None:
                    self.retired_ttft.merge(s.ttft)
                    s.ttft.clear()
                self.retired_errors += s.errors
                s.latency.clear()
                s.id, s.errors, s.over_p99 = _NO_SLICE, 0, 0
        self.current = self.slices[slice_id % SLICES]
        self.current.id = slice_id
        # Recomputing from the live slices keeps the float sum from drifting.
        live = self.live()
        self.window_count = sum(s.latency.count for s in live)
        self.window_sum = math.fsum(s.latency.sum for s in live)
        self.window_errors = sum(s.errors for s in live)
        self.window_over = sum(s.over_p99 for s in live)

    def collect(self, latency: DDSketch, ttft: DDSketch, *, window: bool) -> int:
        """Merge this model's sketches into ``latency`` and ``ttft``; return its error count."""
        errors = 0
        if not window:
            latency.merge(self.retired_latency)
            ttft.merge(self.retired_ttft)
            errors = self.retired_errors
        for s in self.live():
            latency.merge(s.latency)
            if s.ttft is not None:
                ttft.merge(s.ttft)
            errors += s.errors
        return errors

    def window_snapshot(self, model: str) -> Snapshot:
        """Return the snapshot of the window ending at ``head``."""
        latency, ttft = DDSketch(), DDSketch()
        errors = self.collect(latency, ttft, window=True)
        return Snapshot.of(model, latency, ttft, errors)
