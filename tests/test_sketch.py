"""Tests for logmoji.llm.monitor.sketch: the DDSketch quantile sketch."""

from __future__ import annotations

import json
import math
import random
from collections.abc import Callable

import pytest
from hypothesis import given
from hypothesis import strategies as st

from logmoji.llm.monitor.sketch import DDSketch

QUANTILES = (0.0, 0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999, 1.0)
# Bucket boundaries are computed with floating-point logs; a value a rounding
# error away from a boundary may land in the neighbour bucket, whose answer is
# then off by alpha plus that rounding error.
SLACK = 1e-9


def exact_quantile(ordered: list[float], q: float) -> float:
    """Return the element DDSketch's rank convention names: index floor(q * (n - 1))."""
    return ordered[int(q * (len(ordered) - 1))]


def relative_error(estimate: float | None, exact: float) -> float:
    assert estimate is not None
    if exact == 0.0:
        return abs(estimate)
    return abs(estimate - exact) / exact


DISTRIBUTIONS: dict[str, Callable[[random.Random], float]] = {
    "uniform": lambda r: r.uniform(1.0, 10_000.0),
    "lognormal": lambda r: r.lognormvariate(6.0, 1.5),
    "pareto": lambda r: r.paretovariate(1.2) * 50.0,
    "exponential": lambda r: r.expovariate(1 / 800.0),
}


def sample(name: str, n: int = 20_000, seed: int = 7) -> list[float]:
    rng = random.Random(seed)
    draw = DISTRIBUTIONS[name]
    return [draw(rng) for _ in range(n)]


class TestAccuracy:
    @pytest.mark.parametrize("distribution", sorted(DISTRIBUTIONS))
    @pytest.mark.parametrize("alpha", [0.01, 0.05])
    def test_quantiles_within_alpha_of_exact(self, distribution: str, alpha: float) -> None:
        """Every quantile of a known distribution is within alpha of the exact sorted value."""
        values = sample(distribution)
        sketch = DDSketch.of(values, alpha=alpha)
        ordered = sorted(values)
        for q in QUANTILES:
            exact = exact_quantile(ordered, q)
            assert relative_error(sketch.quantile(q), exact) <= alpha + SLACK, q

    def test_extremes_are_exact(self) -> None:
        """Quantiles 0 and 1 return the exact minimum and maximum."""
        values = sample("lognormal", 1000)
        sketch = DDSketch.of(values)
        assert sketch.quantile(0.0) == min(values)
        assert sketch.quantile(1.0) == max(values)

    def test_count_sum_min_max_avg_are_exact(self) -> None:
        """count, min and max are exact; sum and avg are the float sums."""
        values = [3.0, 1.5, 400.25, 0.0, 12.0]
        sketch = DDSketch.of(values)
        assert (sketch.count, sketch.min, sketch.max) == (5, 0.0, 400.25)
        assert sketch.sum == pytest.approx(416.75)
        assert sketch.avg == pytest.approx(416.75 / 5)

    def test_zero_values_use_the_zero_bucket(self) -> None:
        """Zeros are answered as exactly 0 and take no bucket."""
        sketch = DDSketch.of([0.0] * 60 + [100.0] * 40)
        assert sketch.quantile(0.5) == 0.0
        assert sketch.quantile(0.9) == pytest.approx(100.0, rel=0.01)
        assert sketch.bucket_count == 1

    def test_several_quantiles_match_single_queries(self) -> None:
        """quantiles() answers as one quantile() call per q does."""
        sketch = DDSketch.of(sample("pareto", 5000))
        assert sketch.quantiles(QUANTILES) == [sketch.quantile(q) for q in QUANTILES]

    def test_empty_sketch_answers_none(self) -> None:
        """An empty sketch has no quantiles and no average."""
        sketch = DDSketch()
        assert sketch.quantile(0.5) is None
        assert sketch.avg is None
        assert sketch.count == 0

    @given(
        st.lists(st.floats(min_value=1e-3, max_value=1e9), min_size=1, max_size=300),
        st.floats(min_value=0.0, max_value=1.0),
    )
    def test_any_values_any_quantile(self, values: list[float], q: float) -> None:
        """For any values in range, any quantile is within alpha of the exact one."""
        sketch = DDSketch.of(values)
        assert relative_error(sketch.quantile(q), exact_quantile(sorted(values), q)) <= (
            0.01 + SLACK
        )


class TestBadInput:
    @pytest.mark.parametrize("value", [math.nan, -1.0, -1e-300, math.inf, -math.inf])
    def test_add_rejects_values_outside_the_domain(self, value: float) -> None:
        """NaN, negative and infinite values raise ValueError and change nothing."""
        sketch = DDSketch.of([1.0])
        with pytest.raises(ValueError, match="finite non-negative"):
            sketch.add(value)
        assert sketch.count == 1

    @pytest.mark.parametrize("q", [-0.1, 1.5, math.nan])
    def test_quantile_outside_zero_one_raises(self, q: float) -> None:
        """A quantile outside [0, 1] raises ValueError."""
        with pytest.raises(ValueError, match="between 0 and 1"):
            DDSketch.of([1.0]).quantile(q)

    @pytest.mark.parametrize(
        ("alpha", "max_buckets"),
        [(0.0, 2048), (1.0, 2048), (-0.01, 2048), (0.01, 1), (0.01, 0), (0.01, True), (0.01, 10.5)],
    )
    def test_constructor_rejects_bad_parameters(self, alpha: float, max_buckets: int) -> None:
        """alpha outside (0, 1) or max_buckets below 2 raise ValueError."""
        with pytest.raises(ValueError, match="must be"):
            DDSketch(alpha, max_buckets)


class TestMerge:
    def test_merge_equals_one_sketch_fed_both_streams(self) -> None:
        """Merging two sketches gives the same buckets and quantiles as one fed everything."""
        first, second = sample("lognormal", 5000, seed=1), sample("pareto", 5000, seed=2)
        merged = DDSketch.of(first)
        merged.merge(DDSketch.of(second))
        combined = DDSketch.of(first + second)
        assert merged.bins() == combined.bins()
        assert (merged.count, merged.min, merged.max) == (
            combined.count,
            combined.min,
            combined.max,
        )
        assert merged.quantiles(QUANTILES) == combined.quantiles(QUANTILES)
        assert merged.sum == pytest.approx(combined.sum)

    def test_merge_of_collapsed_sketches_is_order_independent(self) -> None:
        """With folding in play, merged sketches still equal one sketch fed both streams."""
        rng = random.Random(3)
        first = [10 ** rng.uniform(-6, 3) for _ in range(2000)]
        second = [10 ** rng.uniform(0, 12) for _ in range(2000)]
        merged = DDSketch.of(second, max_buckets=64)
        merged.merge(DDSketch.of(first, max_buckets=64))
        combined = DDSketch.of(first + second, max_buckets=64)
        assert merged.bins() == combined.bins()
        assert merged.quantiles(QUANTILES) == combined.quantiles(QUANTILES)

    @given(
        st.lists(st.floats(min_value=1e-6, max_value=1e9), max_size=200),
        st.integers(min_value=0, max_value=200),
        st.integers(min_value=2, max_value=64),
    )
    def test_any_split_any_order_gives_the_same_buckets(
        self, values: list[float], split: int, max_buckets: int
    ) -> None:
        """Any split of a stream, merged either way, and the stream reversed, agree exactly."""
        combined = DDSketch.of(values, max_buckets=max_buckets)
        first = DDSketch.of(values[:split], max_buckets=max_buckets)
        second = DDSketch.of(values[split:], max_buckets=max_buckets)
        forward, backward = first.copy(), second.copy()
        forward.merge(second)
        backward.merge(first)
        reversed_stream = DDSketch.of(values[::-1], max_buckets=max_buckets)
        for sketch in (forward, backward, reversed_stream):
            assert sketch.bins() == combined.bins()
            assert sketch.count == combined.count
            assert sketch.bucket_count <= max_buckets

    def test_merge_with_itself_doubles_every_count(self) -> None:
        """A sketch merged into itself counts everything twice."""
        sketch = DDSketch.of([1.0, 5.0, 100.0])
        sketch.merge(sketch)
        assert sketch == DDSketch.of([1.0, 5.0, 100.0] * 2)

    def test_merge_into_and_from_empty(self) -> None:
        """Merging with an empty sketch, either way round, keeps the other's contents."""
        full = DDSketch.of([1.0, 2.0, 3.0])
        empty = DDSketch()
        empty.merge(full)
        full.merge(DDSketch())
        assert empty == full

    def test_merge_leaves_the_other_sketch_unchanged(self) -> None:
        """The merged-in sketch keeps its own contents."""
        other = DDSketch.of([5.0, 50.0])
        before = other.copy()
        DDSketch.of([1.0]).merge(other)
        assert other == before

    def test_merge_requires_same_alpha(self) -> None:
        """Sketches with different accuracy cannot be merged."""
        with pytest.raises(ValueError, match="different alpha"):
            DDSketch(0.01).merge(DDSketch.of([1.0], alpha=0.02))


class TestSerialization:
    @pytest.mark.parametrize("values", [[], [0.0], [1.0, 2.5, 1e6, 0.0, 3.3], sample("pareto")])
    def test_round_trip_through_json(self, values: list[float]) -> None:
        """to_dict() survives JSON and from_dict() rebuilds an equal sketch."""
        sketch = DDSketch.of(values)
        text = json.dumps(sketch.to_dict())
        rebuilt = DDSketch.from_dict(json.loads(text))
        assert rebuilt == sketch
        assert rebuilt.quantiles(QUANTILES) == sketch.quantiles(QUANTILES)

    def test_dict_holds_only_non_empty_range(self) -> None:
        """The serialized counts start and end with non-empty buckets."""
        sketch = DDSketch.of([1.0, 1000.0])
        data = sketch.to_dict()
        assert data["counts"][0] == 1
        assert data["counts"][-1] == 1
        assert sum(data["counts"]) == 2

    @pytest.mark.parametrize(
        "change",
        [
            lambda d: d.pop("counts"),
            lambda d: d.update(count=99),
            lambda d: d.update(counts=[-1, 3]),
            lambda d: d.update(counts="abc"),
            lambda d: d.update(max_buckets=1),
        ],
    )
    def test_from_dict_rejects_broken_data(
        self,
        change: Callable[[dict[str, object]], object],
    ) -> None:
        """Missing keys, wrong types and counts that do not add up raise ValueError."""
        data = DDSketch.of([1.0, 2.0, 30.0]).to_dict()
        change(data)
        with pytest.raises(ValueError):  # noqa: PT011  # messages differ per broken field
            DDSketch.from_dict(data)


class TestBoundedBuckets:
    def test_bucket_count_never_exceeds_max_buckets(self) -> None:
        """Values spanning 600 orders of magnitude keep at most max_buckets buckets."""
        sketch = DDSketch(max_buckets=128)
        for exponent in range(-300, 300):
            sketch.add(10.0**exponent)
            assert sketch.bucket_count <= 128
        assert sketch.count == 600

    def test_high_quantiles_stay_accurate_after_folding(self) -> None:
        """Folding the lowest buckets leaves the quantiles in the kept range within alpha."""
        rng = random.Random(11)
        values = [10 ** rng.uniform(-9, 12) for _ in range(20_000)]
        sketch = DDSketch.of(values, max_buckets=512)
        ordered = sorted(values)
        assert sketch.bucket_count == 512
        # 512 buckets span gamma**512, about 4.4 decades: the top fifth of these 21.
        assert sketch.quantile(0.0) == min(values)  # the minimum is kept exactly
        for q in (0.85, 0.9, 0.99, 1.0):
            assert relative_error(sketch.quantile(q), exact_quantile(ordered, q)) <= 0.01 + SLACK

    def test_default_store_covers_latencies_without_folding(self) -> None:
        """From a microsecond to a day in milliseconds fits in the default 2048 buckets."""
        sketch = DDSketch.of([0.001, 86_400_000.0])
        assert sketch.quantile(0.0) == 0.001
        assert 0 < sketch.bucket_count <= 2048
        assert len(sketch.bins()) == 2

    def test_clear_forgets_everything(self) -> None:
        """clear() returns the sketch to empty, keeping its parameters."""
        sketch = DDSketch.of([1.0, 2.0], alpha=0.02)
        sketch.clear()
        assert sketch == DDSketch(0.02)
