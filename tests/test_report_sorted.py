"""Tests for reading a report's numbers from sorted parts without merging them.

Every answer is compared with what the merged, stably sorted values give,
which is what the report computed before it kept the parts apart.
"""

from __future__ import annotations

import json
import math
import random
import subprocess
import sys
from array import array
from itertools import chain
from pathlib import Path

import pytest

from logmoji.report import Distribution
from logmoji.report._aggregate import Group
from logmoji.report._model import LATENCY_EDGES_MS, histogram, histogram_of_parts, quantile
from logmoji.report._sorted import MAX_PARTS, MIN_MEAN_PART, compact, count_below, select


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
    big = [array("d", [2.0] * MIN_MEAN_PART), array("d"), array("d", [1.0] * MIN_MEAN_PART)]
    assert compact(big) == [big[0], big[2]]  # parts worth reading apart, empty ones dropped
    small = [array("d", [2.0]), array("d", [1.0] * (2 * MIN_MEAN_PART - 2))]
    (merged,) = compact(small)  # under MIN_MEAN_PART values a part on average
    assert list(merged) == [1.0] * (2 * MIN_MEAN_PART - 2) + [2.0]
    many = [array("d", [float(i % 7)] * MIN_MEAN_PART) for i in range(MAX_PARTS + 1)]
    (one,) = compact(many)
    assert list(one) == sorted(chain.from_iterable(many))
    assert compact([array("d", [3.0])]) == [array("d", [3.0])]


def test_group_seals_in_order() -> None:
    """sort() seals what came so far; merge() keeps the order the values came in."""
    a, b = Group(), Group()
    a.latency.extend([3.0, 1.0])
    b.latency.extend([2.0])
    b.sort()
    b.ttft.extend([9.0, 8.0])
    a.merge(b)  # a's values, then b's part, then b's values
    a.latency.append(0.5)
    a.sort()
    a.sort()  # nothing new: no empty part
    assert a.sorted is not None
    latency, ttft, tps = a.sorted
    assert [list(p) for p in latency] == [[1.0, 3.0], [2.0], [0.5]]
    assert [list(p) for p in ttft] == [[8.0, 9.0]]
    assert tps == []
    assert (len(a.latency), len(a.ttft), len(a.tps)) == (0, 0, 0)
    assert Distribution.of_parts(latency) == Distribution.of([0.5, 1.0, 2.0, 3.0])


def test_small_series_stay_values() -> None:
    """A series under ``at_least`` values is not sealed; merged, its values follow ours."""
    a, b = Group(), Group()
    a.latency.extend([5.0] * 3)
    b.latency.extend([1.0, 0.0])
    b.sort(at_least=3)
    assert b.sorted is None
    a.merge(b)
    assert (list(a.latency), a.sorted) == ([5.0, 5.0, 5.0, 1.0, 0.0], None)


def test_signed_zeros_across_sources(tmp_path: Path) -> None:
    """Zeros of both signs from a file and from standard input, in the order read."""
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    line = '{"event":"chat_request_completed","model":"m","provider":"p","duration_ms":%s}\n'
    first.write_text(line % "-0.0" + line % "-0.0" * 299)
    second.write_text(line % "0.0" * 300)
    with open(second, "rb") as stdin:
        out = subprocess.run(
            [sys.executable, "-m", "logmoji.cli", "report", str(first), "-", "--json"],
            stdin=stdin,
            capture_output=True,
            check=True,
        )
    latency = json.loads(out.stdout)["total"]["latency_ms"]
    # Stably sorted, the 300 negative zeros come first: p50 is one, the maximum a 0.0.
    assert [math.copysign(1.0, latency[k]) for k in ("p50", "max")] == [-1.0, 1.0]
