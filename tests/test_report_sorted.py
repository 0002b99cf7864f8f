"""Tests for reading a report's numbers from sorted parts without merging them.

Every answer is compared with what the merged, stably sorted values give,
which is what the report computed before it kept the parts apart.
"""

from __future__ import annotations

import math
import random
from array import array
from itertools import chain

import pytest

from logmoji.report import Distribution
from logmoji.report._aggregate import Group
from logmoji.report._model import LATENCY_EDGES_MS, histogram, histogram_of_parts, quantile
from logmoji.report._sorted import MAX_PARTS, compact, count_below, select


def _parts(rng: random.Random, count: int, pool: list[float]) -> list[array[float]]:
    """Return ``count`` sorted parts of random sizes (some empty) drawn from ``pool``."""
    return [
        array("d", sorted(rng.choice(pool) for _ in range(rng.choice((0, 1, 2, 7, 50, 300)))))
        for _ in range(count)
    ]


def _same(a: float, b: float) -> bool:
    """Return whether two floats are the same value, sign of zero included."""
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


# Few distinct values (many ties), signed zeros, and wide floats.
POOLS = {
    "ties": [1.0, 2.0, 2.0, 3.0, 5.0],
    "zeros": [-0.0, 0.0, -1.5, 2.5],
    "wide": [random.Random(7).uniform(-1e6, 1e6) for _ in range(1000)],
}


@pytest.mark.parametrize("pool", POOLS.values(), ids=POOLS.keys())
def test_select_is_the_stable_merge(pool: list[float]) -> None:
    rng = random.Random(11)
    for count in (1, 2, 3, 5, 12):
        for _ in range(20):
            parts = _parts(rng, count, pool)
            merged = sorted(chain.from_iterable(parts))  # stable: ties in part order
            kept = [part for part in parts if part]
            for rank in range(1, len(merged) + 1, max(1, len(merged) // 40)):
                assert _same(select(kept, rank), merged[rank - 1]), (count, rank)
            if merged:
                assert _same(select(kept, len(merged)), merged[-1])


def test_select_out_of_range() -> None:
    parts = [array("d", [1.0, 2.0]), array("d", [3.0])]
    for rank in (0, 4):
        with pytest.raises(IndexError):
            select(parts, rank)
    with pytest.raises(IndexError):
        select([array("d", [1.0])], 0)


@pytest.mark.parametrize("pool", POOLS.values(), ids=POOLS.keys())
def test_distribution_and_histogram_of_parts(pool: list[float]) -> None:
    rng = random.Random(5)
    scaled = [v * 5000 for v in pool]  # across the latency buckets
    for count in (0, 1, 2, 4, 9, MAX_PARTS + 3):
        for _ in range(10):
            parts = _parts(rng, count, scaled)
            merged = sorted(chain.from_iterable(parts))
            got, want = Distribution.of_parts(parts), Distribution.of(merged)
            assert got == want
            for field in ("p50", "p95", "p99", "max"):
                a, b = getattr(got, field), getattr(want, field)
                assert (a is None and b is None) or _same(a, b), field
            assert histogram_of_parts(parts, LATENCY_EDGES_MS) == histogram(
                merged, LATENCY_EDGES_MS
            )
            assert count_below(parts, 0.0) == sum(v < 0.0 for v in merged)
            assert quantile(merged, 99) == got.p99


def test_mean_overflow_of_parts() -> None:
    parts = [array("d", [1e308]), array("d", [1e308, 1e308])]
    assert Distribution.of_parts(parts).mean == Distribution.of([1e308] * 3).mean == 1e308


def test_compact() -> None:
    few = [array("d", [2.0]), array("d"), array("d", [1.0])]
    assert compact(few) == [few[0], few[2]]
    many = [array("d", [float(i % 7)]) for i in range(MAX_PARTS + 1)]
    (one,) = compact(many)
    assert list(one) == sorted(float(i % 7) for i in range(MAX_PARTS + 1))


def test_group_keeps_sorted_parts() -> None:
    """sort() seals what was added; merge() takes the other's parts; nothing is lost."""
    a, b = Group(), Group()
    a.latency.extend([3.0, 1.0])
    b.latency.extend([2.0])
    b.ttft.extend([9.0, 8.0])
    a.merge(b)
    a.latency.append(0.5)  # added after a merge: sealed by the next sort()
    a.sort()
    a.sort()  # nothing new: no empty part
    latency, ttft, tps = a.sorted
    assert [list(p) for p in latency] == [[2.0], [0.5, 1.0, 3.0]]
    assert [list(p) for p in ttft] == [[8.0, 9.0]]
    assert tps == []
    assert (len(a.latency), len(a.ttft), len(a.tps)) == (0, 0, 0)
    assert Distribution.of_parts(latency) == Distribution.of([0.5, 1.0, 2.0, 3.0])
