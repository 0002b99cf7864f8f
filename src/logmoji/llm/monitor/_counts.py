"""The bucket counts of one measure at one moment: :class:`Counts`.

A :class:`~logmoji.llm.monitor._series.Series` hands these out under the
monitor's lock: two arrays copied over the buckets between the minimum's and
the maximum's (a copy of a few hundred machine integers), whose sum bucket by
bucket is the sketch's counts. A quantile walks them without the lock and
without building a :class:`~logmoji.llm.monitor.sketch.DDSketch`, in C
(``itertools`` over the arrays), from the nearer end: a p99 visits only the top
buckets. :meth:`Counts.sketch` builds the sketch when one is asked for.
"""

from __future__ import annotations

from array import array
from itertools import accumulate, compress, count, repeat
from operator import add, lt

from logmoji.llm.monitor.sketch import DDSketch, _nonzero_range

__all__ = ["Counts"]

_PROTOTYPE = DDSketch()  # the bucket mapping every series uses


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
        done, current = self.done, self.current
        # The answer is the lowest bucket whose running count (zeros included) passes rank.
        if rank < total // 2:
            passed = rank - self.zeros  # what the buckets must pass once the zeros are counted
            if passed < 0:
                return min(max(0.0, low), high)
            running = accumulate(map(add, done, current))
            index = next(compress(count(), map(lt, repeat(passed), running)))
        else:
            # From the top: the first bucket whose running count passes the values above rank.
            above = total - 1 - rank
            running = accumulate(map(add, reversed(done), reversed(current)))
            found = next(compress(count(len(done) - 1, -1), map(lt, repeat(above), running)), None)
            if found is None:
                return min(max(0.0, low), high)  # every bucket was passed: a zero
            index = found
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
