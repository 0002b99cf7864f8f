"""The bucket counts of one measure at one moment: :class:`Counts`.

A :class:`~logmoji.llm.monitor._series.Series` hands these out under the
monitor's lock: two arrays copied over the buckets between the minimum's and
the maximum's (a copy of a few hundred machine integers), whose sum bucket by
bucket is the sketch's counts. A quantile walks them without the lock and
without building a :class:`~logmoji.llm.monitor.sketch.DDSketch`, from the top,
block by block (``sum()`` of array slices, in C): a p99 adds up the top
buckets in a few blocks and walks one of them. :meth:`Counts.sketch` builds the
sketch when one is asked for.
"""

from __future__ import annotations

from array import array
from operator import add

from logmoji.llm.monitor.sketch import DDSketch, _nonzero_range

__all__ = ["Counts"]

_PROTOTYPE = DDSketch()  # the bucket mapping every series uses
# Buckets added up at a time by a walk: sum() over a slice costs what a few steps do.
_BLOCK = 32


class Counts:
    """The counts of one measure (window or all time) copied at one moment; never changed.

    Args:
        offset: the bucket key of index 0 of both arrays.
        done, current: counts by bucket, the same length; a bucket holds their sum.
        count, zeros, total, low, high: values counted, zeros among them, their
            sum, minimum and maximum.
    """

    __slots__ = ("count", "current", "done", "high", "low", "offset", "total", "zeros")

    def __init__(
        self,
        offset: int,
        done: array[int],
        current: array[int],
        *,
        count: int,
        zeros: int,
        total: float,
        low: float,
        high: float,
    ) -> None:
        self.offset = offset
        self.done = done
        self.current = current
        self.count = count
        self.zeros = zeros
        self.total = total
        self.low = low
        self.high = high

    def quantile(self, q: float) -> float | None:
        """Return the ``q``-quantile (``0 <= q <= 1``, unchecked), or ``None`` when empty.

        The same answer as :meth:`DDSketch.quantile` of the same values.
        """
        total = self.count
        if not total:
            return None
        rank = int(q * (total - 1))
        low, high = self.low, self.high
        if rank == 0:
            return low
        index = _highest_passing(self.done, self.current, total - 1 - rank)
        if index is None:
            return min(max(0.0, low), high)  # every bucket was passed: a zero
        value = _PROTOTYPE.bucket_value(self.offset + index)
        return min(max(value, low), high)

    def sketch(self) -> DDSketch:
        """Return a new DDSketch holding these counts."""
        counts = list(map(add, self.done, self.current))
        first, last = _nonzero_range(counts)
        sketch = DDSketch()
        if first <= last:
            sketch._counts = counts[first : last + 1]
            sketch._offset = self.offset + first
        sketch._zero_count = self.zeros
        sketch.count = self.count
        sketch.sum = self.total
        if self.count:
            sketch.min, sketch.max = self.low, self.high
        return sketch


def _highest_passing(done: array[int], current: array[int], above: int) -> int | None:
    """Return the highest index where the counts from the top, it included, exceed ``above``.

    That bucket holds the value of rank ``count - 1 - above``: the lowest bucket
    whose running count from the bottom (zeros included) passes that rank.
    ``None`` when the buckets hold no more than ``above`` values: the answer is
    a zero. Blocks of buckets are added up by ``sum()`` over array slices, in
    C; only the block that holds the answer is walked bucket by bucket.
    """
    running, top = 0, len(done)
    while top > 0:
        bottom = top - _BLOCK if top > _BLOCK else 0
        block = sum(done[bottom:top]) + sum(current[bottom:top])
        if running + block > above:
            for index in range(top - 1, bottom - 1, -1):
                running += done[index] + current[index]
                if running > above:
                    return index
        running += block
        top = bottom
    return None
