"""One measure of one model, over a sliding window and all time: :class:`Series`.

The window of :class:`~logmoji.llm.monitor._window.ModelWindow` is a ring of
:data:`SLICES` slices, each holding the counts of ``window_seconds / SLICES``
seconds. Each measure of a model (latency, time to first token) is a
:class:`Series`: the DDSketch bucket counts of every slice, of the whole
window and of all time, in arrays that share one key range, so a request is
one array increment at one index. When a slice falls out of the window its
counts are taken off the window's and the slice is reused: the window's
counts are always ready, and a quantile is one walk over two arrays, not a
merge of ten sketches. A model costs the same memory after a thousand
requests as after a billion.

Bucket keys are those of :class:`~logmoji.llm.monitor.sketch.DDSketch` with the
default ``alpha``, so snapshots are exactly the sketches of the same values.
At most ``max_buckets`` consecutive keys are kept, counted down from the
highest key the series has ever seen: lower keys are folded into the lowest
kept one, as DDSketch folds. For all time that is DDSketch's own rule; the
window folds by the same all-time key, which matters only for the lowest
quantiles of values spanning more than 17 decades.

Not thread-safe by itself: the monitor's lock guards every call.
"""

from __future__ import annotations

import math
from array import array
from operator import add, sub

from logmoji.llm.monitor._counts import Counts
from logmoji.llm.monitor.sketch import DDSketch

__all__ = ["SLICES", "Series"]

SLICES = 10
_INF = math.inf
_PROTOTYPE = DDSketch()  # the bucket mapping every series uses
_MULTIPLIER = _PROTOTYPE._multiplier
MAX_BUCKETS = _PROTOTYPE.max_buckets
_log, _ceil = math.log, math.ceil
# A slice counts in 4 bytes a bucket; one that reaches 2**32 in a bucket is widened.
_SLICE_CODE, _WIDE_CODE = "I", "q"


def _zeros(code: str, size: int) -> array[int]:
    return array(code, bytes(array(code).itemsize * size))


class Series:
    """The bucket counts of one measure of one model: per slice, over the window, all time.

    A request is counted once, in the current slice (``current``, ring slot
    ``slot``). When that slice stops being current its counts are added to
    ``done`` (every slice but the current one, all time) and ``window_done``
    (the window's slices but the current one); when a slice leaves the window
    they are taken off ``window_done``. So the window's counts are
    ``window_done + current`` and all time's ``done + current``, both ready
    whenever asked. Statistics of each slice (count, zeros, sum, min, max) are
    kept in lists by slot, those of the current slice in ``now_*`` attributes
    until it changes; those of retired slices are folded into ``retired_*``.
    """

    __slots__ = (
        "counts",
        "current",
        "done",
        "maxs",
        "mins",
        "now_count",
        "now_max",
        "now_min",
        "now_sum",
        "offset",
        "retired_count",
        "retired_max",
        "retired_min",
        "retired_sum",
        "retired_zeros",
        "size",
        "slices",
        "slot",
        "sums",
        "window_done",
        "zeros",
    )

    def __init__(self, slot: int) -> None:
        self.slot = slot
        self.offset = self.size = 0
        self.done: array[int] = array(_WIDE_CODE)
        self.window_done: array[int] = array(_WIDE_CODE)
        self.slices: list[array[int]] = [array(_SLICE_CODE) for _ in range(SLICES)]
        self.current = self.slices[slot]
        self.now_count = 0
        self.now_sum = 0.0
        self.now_min, self.now_max = _INF, -_INF
        self.counts = [0] * SLICES
        self.zeros = [0] * SLICES
        self.sums = [0.0] * SLICES
        self.mins = [_INF] * SLICES
        self.maxs = [-_INF] * SLICES
        self.retired_count = self.retired_zeros = 0
        self.retired_sum = 0.0
        self.retired_min, self.retired_max = _INF, -_INF

    def add(self, value: float) -> None:
        """Count ``value`` (finite, non-negative: the caller checked) in the current slice."""
        if value > 0.0:
            index = _ceil(_log(value) * _MULTIPLIER) - self.offset
            if 0 <= index < self.size:
                try:
                    self.current[index] += 1
                except OverflowError:  # 2**32 in one bucket of one slice: widen it
                    self.current = self.slices[self.slot] = array(_WIDE_CODE, self.current)
                    self.current[index] += 1
            else:
                self._add_key(index + self.offset)
        else:
            self.zeros[self.slot] += 1
        self.now_count += 1
        self.now_sum += value
        # Plain comparisons: min() and max() calls cost more on this hot path.
        if value < self.now_min:  # noqa: PLR1730
            self.now_min = value
        if value > self.now_max:  # noqa: PLR1730
            self.now_max = value

    def flush(self) -> None:
        """Move the current slice's statistics into the lists by slot."""
        count = self.now_count
        if count:
            slot = self.slot
            self.counts[slot] += count
            self.sums[slot] += self.now_sum
            self.mins[slot] = min(self.mins[slot], self.now_min)
            self.maxs[slot] = max(self.maxs[slot], self.now_max)
            self.now_count, self.now_sum = 0, 0.0
            self.now_min, self.now_max = _INF, -_INF

    def move_to(self, slot: int) -> None:
        """Count in slice ``slot`` from now on; the current slice joins ``done`` counts."""
        self.flush()
        if self.counts[self.slot] > self.zeros[self.slot]:
            self.done = array(_WIDE_CODE, map(add, self.done, self.current))
            self.window_done = array(_WIDE_CODE, map(add, self.window_done, self.current))
        self.slot = slot
        self.current = self.slices[slot]

    def retire(self, slot: int) -> None:
        """Move slice ``slot``'s counts out of the window into the all-time totals; empty it."""
        self.flush()
        count = self.counts[slot]
        if not count:
            return
        counts = self.slices[slot]
        if count > self.zeros[slot]:
            if slot == self.slot:  # still current: never added to the done counts
                self.done = array(_WIDE_CODE, map(add, self.done, counts))
            else:
                self.window_done = array(_WIDE_CODE, map(sub, self.window_done, counts))
            self.slices[slot] = _zeros(_SLICE_CODE, self.size)
            if slot == self.slot:
                self.current = self.slices[slot]
        self.retired_count += count
        self.retired_zeros += self.zeros[slot]
        self.retired_sum += self.sums[slot]
        self.retired_min = min(self.retired_min, self.mins[slot])
        self.retired_max = max(self.retired_max, self.maxs[slot])
        self.counts[slot] = self.zeros[slot] = 0
        self.sums[slot] = 0.0
        self.mins[slot], self.maxs[slot] = _INF, -_INF

    def copy(self, *, window: bool) -> Counts:
        """Return a copy of the counts of the window or of all time.

        Slots outside the window hold nothing (:meth:`retire` empties them), so
        the window's statistics are those of every slot.
        """
        self.flush()
        count, zeros = sum(self.counts), sum(self.zeros)
        low, high = min(self.mins), max(self.maxs)
        total = math.fsum(self.sums)
        if window:
            done = self.window_done
        else:
            done = self.done
            count += self.retired_count
            zeros += self.retired_zeros
            total += self.retired_sum
            low, high = min(low, self.retired_min), max(high, self.retired_max)
        # Buckets outside the min's and the max's are empty: only those between are copied.
        if high > 0.0:
            top = min(_PROTOTYPE.key(high) - self.offset, self.size - 1) + 1
            bottom = max(_PROTOTYPE.key(low) - self.offset, 0) if low > 0.0 else 0
        else:
            bottom = top = 0
        return Counts(
            self.offset + bottom,
            done[bottom:top],
            self.current[bottom:top],
            count=count,
            zeros=zeros,
            total=total,
            low=low,
            high=high,
        )

    def _add_key(self, key: int) -> None:
        """Count a value of bucket ``key``, which lies outside the arrays: refit them first."""
        # The top bucket is the maximum's, as in DDSketch: folding never touches it.
        highest = max(self.retired_max, self.now_max, *self.maxs)
        top = max(key, _PROTOTYPE.key(highest)) if highest > 0.0 else key
        floor = top - MAX_BUCKETS + 1
        if self.size:
            low, high = self.offset, self.offset + self.size - 1
            # Room to spare in the direction of growth: ever new keys refit rarely.
            spare = max(self.size // 2, 16)
            if key < low:
                low = key - spare
            if key > high:
                high = key + spare
        else:
            low, high = key - 16, key + 16
        low = max(low, floor)
        high = max(min(high, low + MAX_BUCKETS - 1), low)
        if (low, high - low + 1) != (self.offset, self.size):
            self._refit(low, high - low + 1)
        index = key - self.offset
        self.current[max(index, 0)] += 1  # below the floor: folded into the lowest bucket

    def _refit(self, offset: int, size: int) -> None:
        """Move every array to keys ``offset .. offset + size - 1``, folding lower keys."""
        old = self.offset
        self.done = _moved(self.done, old, offset, size)
        self.window_done = _moved(self.window_done, old, offset, size)
        self.slices = [_moved(s, old, offset, size) for s in self.slices]
        self.current = self.slices[self.slot]
        self.offset, self.size = offset, size


def _moved(counts: array[int], old: int, offset: int, size: int) -> array[int]:
    """Return ``counts`` (from key ``old``) placed from key ``offset`` in ``size`` buckets."""
    into = _zeros(counts.typecode, size)
    start = old - offset
    folded = 0
    if start < 0:  # keys below the new floor fold into its lowest bucket
        folded = sum(counts[:-start])
        counts = counts[-start:]
        start = 0
    counts = counts[: size - start]  # only empty spare room can lie past the end
    into[start : start + len(counts)] = counts
    into[0] += folded
    return into
