"""A quantile sketch with bounded relative error: :class:`DDSketch`.

This follows DDSketch (Masson, Rim and Lee, VLDB 2019). A positive value
``x`` goes to bucket ``k = ceil(log_gamma(x))`` with
``gamma = (1 + alpha) / (1 - alpha)``, so bucket ``k`` holds the values in
``(gamma**(k-1), gamma**k]``. The bucket answers every quantile with
``2 * gamma**k / (gamma + 1)``, which is within a relative error ``alpha`` of
every value the bucket holds.

Rank convention: ``quantile(q)`` estimates the element at zero-based index
``floor(q * (count - 1))`` of the sorted values (the "lower" quantile, as the
reference DDSketch implementations do). Results are clamped to the exact
``min`` and ``max``, and rank 0 is answered with ``min``, so ``quantile(0)``
and ``quantile(1)`` are exact.

Buckets are kept in one dense list with a key offset. At most ``max_buckets``
consecutive keys are kept: when the range grows past that, the lowest buckets
are folded into the lowest kept one (DDSketch's "collapsing lowest" store),
which costs accuracy only for the lowest quantiles. Folding depends only on the
largest key ever seen, so merging sketches gives exactly the sketch of the
combined stream, in any order.
"""

from __future__ import annotations

import math
from bisect import bisect_right
from collections.abc import Iterable, Mapping, Sequence
from itertools import accumulate, compress
from operator import add
from typing import Any

__all__ = ["DDSketch"]

_INF = math.inf


class DDSketch:
    """Summarize non-negative values so any quantile is known within ``alpha``.

    Args:
        alpha: relative accuracy, ``0 < alpha < 1`` (``0.01`` is 1%).
        max_buckets: how many consecutive buckets to keep, at least 2.

    Raises:
        ValueError: if ``alpha`` or ``max_buckets`` is out of range.
    """

    __slots__ = (
        "_counts",
        "_factor",
        "_log_gamma",
        "_multiplier",
        "_offset",
        "_zero_count",
        "alpha",
        "count",
        "max",
        "max_buckets",
        "min",
        "sum",
    )

    __hash__ = None  # type: ignore[assignment]  # mutable, compared by content

    def __init__(self, alpha: float = 0.01, max_buckets: int = 2048) -> None:
        if not 0.0 < alpha < 1.0:
            raise ValueError(f"alpha must be between 0 and 1 (exclusive), got {alpha!r}")
        if isinstance(max_buckets, bool) or not isinstance(max_buckets, int) or max_buckets < 2:
            raise ValueError(f"max_buckets must be an integer of at least 2, got {max_buckets!r}")
        self.alpha = alpha
        self.max_buckets = max_buckets
        gamma = (1.0 + alpha) / (1.0 - alpha)
        self._log_gamma = math.log(gamma)
        # Multiplying by a precomputed reciprocal is cheaper than math.log(x, gamma).
        self._multiplier = 1.0 / self._log_gamma
        self._factor = 2.0 / (1.0 + gamma)
        self.clear()

    def clear(self) -> None:
        """Forget every value, keeping ``alpha``, ``max_buckets`` and the bucket list's room.

        The emptied list is kept so that a reused sketch, fed values like the
        ones before, does not grow its list again.
        """
        counts: list[int] = getattr(self, "_counts", [])
        self._counts = [0] * len(counts)
        if not counts:
            self._offset = 0
        self._zero_count = 0
        self.count = 0
        self.sum = 0.0
        self.min = _INF
        self.max = -_INF

    def add(self, value: float) -> None:
        """Count one ``value``.

        Raises:
            ValueError: if ``value`` is negative, NaN or infinite.
        """
        # One chained comparison rejects NaN (all comparisons false), negatives and inf.
        if not 0.0 <= value < _INF:
            raise ValueError(f"DDSketch takes finite non-negative values, got {value!r}")
        if value > 0.0:
            index = math.ceil(math.log(value) * self._multiplier) - self._offset
            if 0 <= index < len(self._counts):
                self._counts[index] += 1
            else:
                self._add_key(index + self._offset, 1)
        else:
            self._zero_count += 1
        self.count += 1
        self.sum += value
        # Plain comparisons: min() and max() calls cost more on this hot path.
        if value < self.min:  # noqa: PLR1730
            self.min = value
        if value > self.max:  # noqa: PLR1730
            self.max = value

    def key(self, value: float) -> int:
        """Return the bucket key ``value`` (positive) falls into, before any folding."""
        return math.ceil(math.log(value) * self._multiplier)

    def bucket_value(self, key: int) -> float:
        """Return the value bucket ``key`` answers quantiles with."""
        return math.exp(key * self._log_gamma) * self._factor

    @property
    def bucket_count(self) -> int:
        """Return the number of buckets held (memory is proportional to it)."""
        return len(self._counts)

    @property
    def avg(self) -> float | None:
        """Return the exact mean, or ``None`` when empty."""
        return self.sum / self.count if self.count else None

    def quantile(self, q: float) -> float | None:
        """Return the ``q``-quantile (``0 <= q <= 1``), or ``None`` when empty."""
        return self.quantiles((q,))[0]

    def quantiles(self, qs: Sequence[float]) -> list[float | None]:
        """Return several quantiles with one pass over the buckets."""
        for q in qs:
            if not 0.0 <= q <= 1.0:
                raise ValueError(f"quantiles are between 0 and 1, got {q!r}")
        if not self.count:
            return [None] * len(qs)
        cumulative = list(accumulate(self._counts, initial=self._zero_count))
        results: list[float | None] = []
        for q in qs:
            rank = int(q * (self.count - 1))
            if rank == 0:
                results.append(self.min)  # the smallest value is known exactly, folded or not
                continue
            # cumulative[i] counts the zero bucket and buckets before index i.
            index = bisect_right(cumulative, rank)
            value = 0.0 if index == 0 else self.bucket_value(self._offset + index - 1)
            results.append(min(max(value, self.min), self.max))
        return results

    def merge(self, other: DDSketch) -> None:
        """Add every value ``other`` holds to this sketch (exact, as if fed both streams).

        Raises:
            ValueError: if the sketches have different ``alpha``.
        """
        if other.alpha != self.alpha:
            raise ValueError(
                f"cannot merge sketches with different alpha ({self.alpha} and {other.alpha})"
            )
        if not other.count:
            return
        if other.max > 0.0:  # the other holds positive values, so buckets
            counts = other._counts
            if self.max <= 0.0 and len(counts) <= self.max_buckets:
                # Nothing in buckets here yet: take the other's list as it is.
                self._counts = counts.copy()
                self._offset = other._offset
            else:
                if other is self:
                    counts = counts.copy()
                high = self.key(other.max)  # the top bucket is never folded
                top = max(high, self.key(self.max)) if self.max > 0.0 else high
                self._fit(other._offset, high, top)
                if (other.count - other._zero_count) * 4 < len(counts):
                    self._place_sparse(self._counts, self._offset, other._offset, counts)
                else:
                    self._place(self._counts, self._offset, other._offset, counts)
        self._zero_count += other._zero_count
        self.count += other.count
        self.sum += other.sum
        self.min = min(self.min, other.min)
        self.max = max(self.max, other.max)

    def copy(self) -> DDSketch:
        """Return an independent copy."""
        clone = DDSketch.__new__(DDSketch)
        for name in DDSketch.__slots__:
            setattr(clone, name, getattr(self, name))
        clone._counts = self._counts.copy()
        return clone

    def bins(self) -> dict[int, int]:
        """Return the non-empty buckets as ``{key: count}`` (the zero bucket excluded)."""
        return {self._offset + i: c for i, c in enumerate(self._counts) if c}

    def to_dict(self) -> dict[str, Any]:
        """Return a JSON-serializable form that :meth:`from_dict` reads back exactly."""
        first, last = _nonzero_range(self._counts)
        return {
            "alpha": self.alpha,
            "max_buckets": self.max_buckets,
            "count": self.count,
            "sum": self.sum,
            "min": self.min if self.count else None,
            "max": self.max if self.count else None,
            "zero_count": self._zero_count,
            "offset": self._offset + first if first <= last else 0,
            "counts": self._counts[first : last + 1],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> DDSketch:
        """Rebuild a sketch from :meth:`to_dict` output.

        Raises:
            ValueError: if ``data`` is not a sketch's dict or its counts disagree.
        """
        try:
            sketch = cls(float(data["alpha"]), int(data["max_buckets"]))
            counts = [int(c) for c in data["counts"]]
            offset = int(data["offset"])
            zero_count = int(data["zero_count"])
            count = int(data["count"])
            total = float(data["sum"])
            low = _INF if data["min"] is None else float(data["min"])
            high = -_INF if data["max"] is None else float(data["max"])
        except (KeyError, TypeError) as exc:
            raise ValueError(
                f"not a DDSketch dict ({exc!r}); pass DDSketch.to_dict() output"
            ) from exc
        if any(c < 0 for c in counts) or zero_count < 0 or sum(counts) + zero_count != count:
            raise ValueError("DDSketch dict is inconsistent: bucket counts do not add up to count")
        if len(counts) > sketch.max_buckets:
            raise ValueError("DDSketch dict holds more buckets than its max_buckets")
        if any(counts) and not high > 0.0:
            raise ValueError("DDSketch dict is inconsistent: buckets are counted but max is not")
        sketch._counts = counts
        sketch._offset = offset
        sketch._zero_count = zero_count
        sketch.count = count
        sketch.sum = total
        sketch.min = low
        sketch.max = high
        return sketch

    @classmethod
    def of(cls, values: Iterable[float], alpha: float = 0.01, max_buckets: int = 2048) -> DDSketch:
        """Return a sketch holding ``values``."""
        sketch = cls(alpha, max_buckets)
        for value in values:
            sketch.add(value)
        return sketch

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, DDSketch):
            return NotImplemented
        return (
            self.alpha == other.alpha
            and self.max_buckets == other.max_buckets
            and self.count == other.count
            and self._zero_count == other._zero_count
            and self.sum == other.sum
            and self.min == other.min
            and self.max == other.max
            and self.bins() == other.bins()
        )

    def __repr__(self) -> str:
        return (
            f"DDSketch(alpha={self.alpha}, count={self.count}, "
            f"buckets={len(self._counts)}, min={self.min}, max={self.max})"
        )

    def _add_key(self, key: int, count: int) -> None:
        """Count ``count`` values in bucket ``key``, which lies outside the list."""
        # The highest key is the maximum's: folding never touches the top bucket.
        top = max(key, self.key(self.max)) if self.max > 0.0 else key
        self._fit(key, key, top)
        index = key - self._offset
        self._counts[index if index > 0 else 0] += count  # below the floor: folded

    def _fit(self, low: int, high: int, top: int) -> None:
        """Make the list cover keys ``low..high``, keeping no key below ``top - max_buckets + 1``.

        Keys below that floor are folded into the lowest bucket. The list grows
        with room to spare in the direction it grows, so a stream of ever new
        keys reallocates it a logarithmic number of times, not once per key.
        """
        floor = top - self.max_buckets + 1
        counts = self._counts
        old_low, old_high = self._offset, self._offset + len(counts) - 1
        if counts and self.max > 0.0:
            spare = max(len(counts), 8)
            if low < old_low:
                low = min(low, old_low - spare)
            if high > old_high:
                high = max(high, old_high + spare)
            low, high = min(low, old_low), max(high, old_high)
        elif len(counts) > high - low + 1:
            # An emptied list (see clear): keep its room, centred on the new keys.
            low -= (len(counts) - (high - low + 1)) // 2
            high = low + len(counts) - 1
        low = max(low, floor)
        # Above ``top`` the list holds only spare room, which may be dropped.
        high = min(high, low + self.max_buckets - 1)
        if counts and low == old_low and high == old_high:
            return
        new = [0] * (high - low + 1)
        self._place(new, low, self._offset, counts)
        self._counts = new
        self._offset = low

    @staticmethod
    def _place(into: list[int], low: int, offset: int, counts: list[int]) -> None:
        """Add ``counts`` (from key ``offset``) into ``into`` (from key ``low``), folding below."""
        start = offset - low
        if start < 0:
            into[0] += sum(counts[:-start])
            counts = counts[-start:]
            start = 0
        # Only spare (empty) room can lie past the end of ``into``.
        counts = counts[: len(into) - start]
        if counts:
            end = start + len(counts)
            into[start:end] = map(add, into[start:end], counts)

    @staticmethod
    def _place_sparse(into: list[int], low: int, offset: int, counts: list[int]) -> None:
        """Do as :meth:`_place`, visiting only the non-empty buckets of a mostly empty list."""
        shift = offset - low
        for i in compress(range(len(counts)), counts):
            index = i + shift
            into[index if index > 0 else 0] += counts[i]


def _nonzero_range(counts: list[int]) -> tuple[int, int]:
    """Return the first and last indexes of non-zero counts (first > last when none)."""
    # compress() walks the list in C: this runs on every merge.
    size = len(counts)
    first = next(compress(range(size), counts), size)
    last = next(compress(range(size - 1, -1, -1), reversed(counts)), -1)
    return first, last
