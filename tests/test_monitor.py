"""Tests for logmoji.llm.monitor: PerformanceMonitor and Snapshot."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
import pickle
import random
import threading
from fractions import Fraction
from typing import Any

import pytest

from logmoji.exceptions import ConfigurationError
from logmoji.llm._record import CallObserver, CallRecord
from logmoji.llm.monitor import OTHER_MODEL, PerformanceMonitor, Snapshot
from logmoji.llm.monitor.sketch import DDSketch
from logmoji.testing import capture_logs

SLACK = 1e-9  # see tests/test_sketch.py: rounding at bucket boundaries


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = 1000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def quiet(clock: FakeClock | None = None, **options: Any) -> PerformanceMonitor:
    """Return a monitor that emits nothing unless the test turns something on."""
    defaults: dict[str, Any] = {
        "emit_every_requests": None,
        "emit_every_seconds": None,
        "latency_threshold_ms": None,
        "error_rate_threshold_percent": None,
    }
    return PerformanceMonitor(clock=clock or FakeClock(), **{**defaults, **options})


def exact(ordered: list[float], q: float) -> float:
    """Return the element at index floor(q * (n - 1)), the sketch's rank convention."""
    return ordered[int(q * (len(ordered) - 1))]


def lognormal(n: int, seed: int) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(6.0, 1.0) for _ in range(n)]


class TestSnapshotStatistics:
    def test_quantiles_within_one_percent_of_exact(self) -> None:
        """p50, p95 and p99 of a known distribution are within 1% of the exact values."""
        values = lognormal(20_000, seed=5)
        monitor = quiet()
        for value in values:
            monitor.record_request("gpt-4o", value)
        snap = monitor.snapshot("gpt-4o")
        ordered = sorted(values)
        for q, got in ((0.5, snap.p50_ms), (0.95, snap.p95_ms), (0.99, snap.p99_ms)):
            assert got is not None
            assert abs(got - exact(ordered, q)) / exact(ordered, q) <= 0.01 + SLACK
        assert snap.avg_ms == pytest.approx(sum(values) / len(values))
        assert snap.count == 20_000

    def test_counts_errors_and_error_rate(self) -> None:
        """count, errors and error_rate_percent follow the success flags."""
        monitor = quiet()
        for i in range(40):
            monitor.record_request("claude", 100.0 + i, i % 8 != 0)
        snap = monitor.snapshot("claude")
        assert (snap.model, snap.count, snap.errors) == ("claude", 40, 5)
        assert snap.error_rate_percent == 12.5

    def test_spec_call_signature_keeps_working(self) -> None:
        """record_request(model, duration_ms, success) with positional arguments works."""
        monitor = quiet()
        monitor.record_request("gpt-4", 1250.0, False)
        monitor.record_request("gpt-4", 750, True)
        snap = monitor.snapshot("gpt-4")
        assert (snap.count, snap.errors, snap.avg_ms) == (2, 1, 1000.0)

    def test_ttft_percentiles_only_where_recorded(self) -> None:
        """TTFT percentiles come from the calls that reported one, and are None otherwise."""
        monitor = quiet()
        monitor.record_request("streamer", 900.0, ttft_ms=120.0)
        monitor.record_request("streamer", 950.0, ttft_ms=80.0)
        monitor.record_request("streamer", 975.0, ttft_ms=100.0)
        monitor.record_request("streamer", 1000.0)
        monitor.record_request("plain", 500.0)
        streamer, plain = monitor.snapshot("streamer"), monitor.snapshot("plain")
        assert (streamer.count, streamer.ttft.count) == (4, 3)
        assert streamer.ttft_p50_ms == pytest.approx(100.0, rel=0.01)
        assert streamer.ttft.quantile(1.0) == 120.0
        assert (plain.ttft_p50_ms, plain.ttft_p95_ms, plain.ttft_p99_ms) == (None, None, None)

    def test_snapshot_of_all_models_combines_them(self) -> None:
        """snapshot() without a model counts every model's requests."""
        monitor = quiet()
        for model, duration in (("a", 100.0), ("b", 200.0), ("b", 300.0)):
            monitor.record_request(model, duration, model == "a")
        total = monitor.snapshot()
        assert (total.model, total.count, total.errors, total.avg_ms) == (None, 3, 2, 200.0)
        assert monitor.models() == ("a", "b")

    def test_unknown_model_gives_an_empty_snapshot(self) -> None:
        """A model never seen has zero counts and no percentiles."""
        snap = quiet().snapshot("never")
        assert (snap.count, snap.errors, snap.error_rate_percent) == (0, 0, 0.0)
        assert (snap.avg_ms, snap.p50_ms, snap.p99_ms) == (None, None, None)

    def test_snapshot_is_independent_of_later_requests(self) -> None:
        """A snapshot does not change when the monitor records more."""
        monitor = quiet()
        monitor.record_request("m", 10.0)
        snap = monitor.snapshot("m")
        monitor.record_request("m", 10_000.0)
        assert (snap.count, snap.latency.count, snap.p99_ms) == (1, 1, 10.0)


class TestQuantilesAgainstExactValues:
    @pytest.mark.parametrize("seed", range(6))
    def test_window_and_all_time_quantiles_match_the_sketch_of_the_same_values(
        self, seed: int
    ) -> None:
        """On random data and clocks, every quantile equals DDSketch's and is within 1%."""
        rng = random.Random(seed)
        clock = FakeClock(rng.uniform(0, 1e6))
        monitor = quiet(clock, window_seconds=rng.choice((1.0, 60.0, 300.0)))
        scale = 10.0 ** rng.uniform(-3, 6)
        seen: list[tuple[float, float]] = []  # (time, value)
        for _ in range(rng.randrange(1, 4000)):
            clock.advance(rng.expovariate(1.0 / rng.choice((0.001, 0.05, 0.5))))
            value = 0.0 if rng.random() < 0.02 else rng.lognormvariate(0.0, 2.0) * scale
            monitor.record_request("m", value)
            seen.append((clock.now, value))
        slice_seconds = monitor.window_seconds / 10
        head = math.floor(clock.now / slice_seconds)
        in_window = [v for t, v in seen if math.floor(t / slice_seconds) > head - 10]
        for window, values in ((False, [v for _, v in seen]), (True, in_window)):
            snap = monitor.snapshot("m", window=window)
            expected = DDSketch.of(values)
            assert snap.latency.bins() == expected.bins()
            assert (snap.count, snap.latency.min, snap.latency.max) == (
                expected.count,
                expected.min,
                expected.max,
            )
            ordered = sorted(values)
            for q in (0.0, 0.01, 0.25, 0.5, 0.9, 0.95, 0.99, 0.999, 1.0):
                got = monitor.quantile(q, "m", window=window)
                assert got == expected.quantile(q) == snap.quantile(q)
                if ordered:
                    assert got is not None
                    assert abs(got - exact(ordered, q)) <= 0.01 * exact(ordered, q) + SLACK

    def test_quantile_of_an_unknown_model_is_none(self) -> None:
        """quantile() of a model never seen is None, and q outside 0..1 is refused."""
        monitor = quiet()
        assert monitor.quantile(0.99, "never") is None
        with pytest.raises(ValueError, match="between 0 and 1"):
            monitor.quantile(1.5, "never")


SUMMARY_FIELDS = (
    "model",
    "count",
    "errors",
    "error_rate_percent",
    "avg_ms",
    "p50_ms",
    "p95_ms",
    "p99_ms",
    "ttft_p50_ms",
    "ttft_p95_ms",
    "ttft_p99_ms",
)


def fed(seed: int, *, ttft: bool) -> PerformanceMonitor:
    """Return a monitor fed a few thousand lognormal requests over ten minutes."""
    rng = random.Random(seed)
    clock = FakeClock()
    monitor = quiet(clock, window_seconds=120.0)
    for drawn in lognormal(rng.randrange(1, 5000), seed=seed):
        clock.advance(rng.expovariate(10.0))
        value = 0.0 if rng.random() < 0.01 else drawn
        monitor.record_request("m", value, rng.random() > 0.1, ttft_ms=value / 7 if ttft else None)
    return monitor


class TestDeferredSnapshot:
    @pytest.mark.parametrize("seed", range(4))
    @pytest.mark.parametrize("window", [False, True])
    def test_fields_read_in_any_order_equal_the_eager_snapshot(
        self, seed: int, *, window: bool
    ) -> None:
        """Each field of a monitor's snapshot equals Snapshot.of its sketches, read in any order."""
        monitor = fed(seed, ttft=seed % 2 == 0)
        order = list(SUMMARY_FIELDS)
        random.Random(seed).shuffle(order)
        lazy, other = monitor.snapshot("m", window=window), monitor.snapshot("m", window=window)
        values = {name: getattr(lazy, name) for name in order}  # fields before the sketches
        eager = Snapshot.of("m", other.latency.copy(), other.ttft.copy(), other.errors)
        assert values == {name: getattr(eager, name) for name in order}
        assert (lazy.latency, lazy.ttft) == (eager.latency, eager.ttft)
        assert other == eager == lazy
        assert repr(other) == repr(eager)
        assert hash(other) == hash(eager)
        assert other.to_dict() == eager.to_dict()

    def test_dataclass_functions_copies_and_pickles_see_every_value(self) -> None:
        """asdict, replace, copy and pickle of an unread snapshot give the computed values."""
        monitor = fed(11, ttft=True)
        eager = Snapshot.of("m", *monitor._models["m"].sketches(window=False))
        assert dataclasses.asdict(monitor.snapshot("m"))["p99_ms"] == eager.p99_ms
        assert dataclasses.replace(monitor.snapshot("m"), model="x").p95_ms == eager.p95_ms
        assert copy.copy(monitor.snapshot("m")) == eager
        assert pickle.loads(pickle.dumps(monitor.snapshot("m"))) == eager
        with pytest.raises(dataclasses.FrozenInstanceError):
            monitor.snapshot("m").p99_ms = 1.0  # type: ignore[misc]

    def test_quantile_is_the_same_before_and_after_the_sketch_is_built(self) -> None:
        """snapshot.quantile() walks the counts, or asks the sketch once built: the same values."""
        monitor = fed(12, ttft=False)
        snap = monitor.snapshot("m")
        qs = [i / 200 for i in range(201)]
        walked = [snap.quantile(q) for q in qs]
        assert walked == [snap.latency.quantile(q) for q in qs] == [snap.quantile(q) for q in qs]
        with pytest.raises(ValueError, match="between 0 and 1"):
            monitor.snapshot("m").quantile(-0.1)

    @pytest.mark.parametrize("q", [0.001, 0.1, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999])
    def test_percentiles_within_one_percent_of_exact_on_a_wide_distribution(self, q: float) -> None:
        """Quantiles of 50k values over six decades, with zeros, are within 1% of the exact ones."""
        rng = random.Random(21)
        values = [0.0 if rng.random() < 0.005 else 10 ** rng.uniform(-2, 4) for _ in range(50_000)]
        monitor = quiet()
        for value in values:
            monitor.record_request("m", value)
        ordered = sorted(values)
        for got in (monitor.snapshot("m").quantile(q), monitor.quantile(q, "m")):
            assert got is not None
            assert abs(got - exact(ordered, q)) <= 0.01 * exact(ordered, q) + SLACK

    def test_requests_at_slice_edges_fall_in_the_slice_of_their_time(self) -> None:
        """Requests just before, at and after each slice's first instant count in that slice."""
        clock = FakeClock(0.0)
        monitor = quiet(clock, window_seconds=0.7)  # slices of 0.07 s: edges are inexact floats
        slice_seconds = monitor.window_seconds / 10
        times = []
        for k in range(1, 60):
            edge = k * slice_seconds
            times += [math.nextafter(edge, -math.inf), edge, math.nextafter(edge, math.inf)]
        for now in times:
            clock.now = now
            monitor.record_request("m", now + 1.0)
            head = math.floor(now / slice_seconds)
            expected = [t for t in times if head - 10 < math.floor(t / slice_seconds) <= head]
            expected = [t for t in expected if t <= now]
            assert monitor.snapshot("m", window=True).count == len(expected), now


class TestSnapshotMerge:
    def test_merged_snapshots_equal_one_monitor_fed_both_streams(self) -> None:
        """Merging two monitors' snapshots equals one monitor that saw every request."""
        first, second, both = quiet(), quiet(), quiet()
        rng = random.Random(9)
        for i, value in enumerate(lognormal(3000, seed=1) + lognormal(3000, seed=2)):
            ok, ttft = rng.random() > 0.05, value / 4
            (first if i < 3000 else second).record_request("gpt-4o", value, ok, ttft_ms=ttft)
            both.record_request("gpt-4o", value, ok, ttft_ms=ttft)
        merged = first.snapshot("gpt-4o").merge(second.snapshot("gpt-4o"))
        expected = both.snapshot("gpt-4o")
        for name in SUMMARY_FIELDS:
            if name != "avg_ms":  # a float sum, in another order: compared approximately below
                assert getattr(merged, name) == getattr(expected, name), name
        assert merged.latency.bins() == expected.latency.bins()
        assert merged.avg_ms == pytest.approx(expected.avg_ms)

    def test_merge_across_processes_via_json(self) -> None:
        """Snapshots serialized to JSON and read back merge as the originals do."""
        first, second = quiet(), quiet()
        for value in lognormal(500, seed=3):
            first.record_request("m", value)
        for value in lognormal(500, seed=4):
            second.record_request("m", value, False)
        direct = first.snapshot("m").merge(second.snapshot("m"))
        shipped = [Snapshot.from_json(s.snapshot("m").to_json()) for s in (first, second)]
        via_json = shipped[0].merge(shipped[1])
        assert via_json == direct
        assert (via_json.count, via_json.errors) == (1000, 500)

    @pytest.mark.parametrize(
        ("a", "b", "merged"), [("m", "m", "m"), ("m", "n", None), (None, "m", None)]
    )
    def test_merge_keeps_the_model_only_when_both_agree(
        self, a: str | None, b: str | None, merged: str | None
    ) -> None:
        """Merging snapshots of different models gives a combined (model None) snapshot."""
        monitor = quiet()
        for model in ("m", "n"):
            monitor.record_request(model, 5.0)
        assert monitor.snapshot(a).merge(monitor.snapshot(b)).model == merged

    def test_dict_round_trip(self) -> None:
        """to_dict() is JSON-serializable and from_dict() rebuilds an equal snapshot."""
        monitor = quiet()
        for value in lognormal(200, seed=8):
            monitor.record_request("m", value, value < 1000, ttft_ms=value / 3)
        snap = monitor.snapshot("m")
        data = json.loads(json.dumps(snap.to_dict()))
        assert data["p99_ms"] == snap.p99_ms
        rebuilt = Snapshot.from_dict(data)
        assert rebuilt == snap
        assert rebuilt.latency == snap.latency
        assert rebuilt.ttft == snap.ttft

    @pytest.mark.parametrize(
        "change",
        [
            lambda d: d.pop("latency_sketch"),
            lambda d: d.update(ttft_sketch=None),
            lambda d: d.update(model=3),
            lambda d: d.update(errors=5),
            lambda d: d.update(errors="0"),
        ],
    )
    def test_from_dict_rejects_broken_data(self, change: Any) -> None:
        """A dict that is not a snapshot, or with more errors than requests, raises ValueError."""
        monitor = quiet()
        monitor.record_request("m", 10.0)
        data = monitor.snapshot("m").to_dict()
        change(data)
        with pytest.raises(ValueError):  # noqa: PT011  # messages differ per broken field
            Snapshot.from_dict(data)


class TestBadInput:
    @pytest.mark.parametrize(
        "duration",
        [math.nan, -1.0, -0.001, math.inf, -math.inf, True, False, "100", None, [1.0], 10**400],
    )
    def test_bad_duration_raises_value_error(self, duration: Any) -> None:
        """NaN, negative, infinite, bool and non-numbers raise ValueError; nothing is counted."""
        monitor = quiet()
        with pytest.raises(ValueError, match="duration_ms must be"):
            monitor.record_request("m", duration)
        assert monitor.snapshot().count == 0

    @pytest.mark.parametrize("ttft", [math.nan, -5.0, math.inf, "5", True])
    def test_bad_ttft_raises_value_error(self, ttft: Any) -> None:
        """A bad ttft_ms raises ValueError and the request is not counted."""
        monitor = quiet()
        with pytest.raises(ValueError, match="ttft_ms must be"):
            monitor.record_request("m", 100.0, ttft_ms=ttft)
        assert monitor.snapshot().count == 0

    @pytest.mark.parametrize("model", ["", None, 42])
    def test_bad_model_raises_value_error(self, model: Any) -> None:
        """The model must be a non-empty string."""
        with pytest.raises(ValueError, match="model must be"):
            quiet().record_request(model, 100.0)

    @pytest.mark.parametrize("duration", [0, 0.0, 7, Fraction(3, 2)])
    def test_zero_and_other_real_numbers_are_accepted(self, duration: Any) -> None:
        """Zero, ints and other real numbers are valid latencies."""
        monitor = quiet()
        monitor.record_request("m", duration)
        assert monitor.snapshot("m").avg_ms == float(duration)

    @pytest.mark.parametrize(
        "options",
        [
            {"window_seconds": 0},
            {"window_seconds": math.inf},
            {"emit_every_requests": 0},
            {"emit_every_requests": 2.5},
            {"emit_every_seconds": -1},
            {"latency_threshold_ms": 0},
            {"p99_threshold_ms": math.nan},
            {"error_rate_threshold_percent": 150},
            {"min_requests_for_alerts": 0},
            {"max_models": 0},
            {"max_models": True},
        ],
    )
    def test_bad_options_raise_configuration_error(self, options: dict[str, Any]) -> None:
        """Out-of-range options raise ConfigurationError (a ValueError) naming the option."""
        with pytest.raises(ConfigurationError, match=next(iter(options))):
            PerformanceMonitor(**options)


class TestEmission:
    def test_metrics_every_n_requests(self) -> None:
        """performance_metrics is logged after every N requests of a model, not each one."""
        monitor = quiet(emit_every_requests=5)
        with capture_logs() as logs:
            for i in range(12):
                monitor.record_request("m", 100.0 + i)
        metrics = logs.named("performance_metrics")
        assert [e["request_count"] for e in metrics] == [5, 10]

    def test_metrics_every_t_seconds(self) -> None:
        """With only a time cadence, a model's metrics are logged once T seconds have passed."""
        clock = FakeClock()
        monitor = quiet(clock, emit_every_seconds=10.0)
        with capture_logs() as logs:
            for _ in range(25):
                monitor.record_request("m", 100.0)
                clock.advance(1.0)
        assert [e["request_count"] for e in logs.named("performance_metrics")] == [11, 21]

    def test_defaults_do_not_log_on_every_request(self) -> None:
        """With default settings, 99 quick requests log no metrics; the 100th does."""
        monitor = PerformanceMonitor(clock=FakeClock())
        with capture_logs() as logs:
            for _ in range(99):
                monitor.record_request("m", 100.0)
            assert logs.named("performance_metrics") == []
            monitor.record_request("m", 100.0)
        assert len(logs.named("performance_metrics")) == 1

    def test_metrics_fields_follow_the_spec(self) -> None:
        """The event has the spec's fields, rounded, with the ⏱️ emoji, at info."""
        monitor = quiet(emit_every_requests=4)
        with capture_logs() as logs:
            for duration, ok in ((100.0, True), (200.0, True), (300.0, False), (400.0, True)):
                monitor.record_request("gpt-4o", duration, ok)
        (event,) = logs.named("performance_metrics")
        assert event["emoji"] == "⏱️"
        assert event["log_level"] == "info"
        assert event["logger"] == "llm.performance"
        assert event["model"] == "gpt-4o"
        assert event["request_count"] == 4
        assert event["avg_latency_ms"] == 250.0
        assert event["p50_latency_ms"] == pytest.approx(200.0, rel=0.01)
        assert event["p50_latency_ms"] == round(event["p50_latency_ms"], 2)
        assert event["p99_latency_ms"] == pytest.approx(300.0, rel=0.01)
        assert event["error_rate_percent"] == 25.0
        assert "ttft_p50_ms" not in event

    def test_metrics_include_ttft_when_reported(self) -> None:
        """TTFT percentiles join the event when calls reported a time to first token."""
        monitor = quiet(emit_every_requests=3)
        with capture_logs() as logs:
            for ttft in (50.0, 60.0, 70.0):
                monitor.record_request("m", 500.0, ttft_ms=ttft)
        (event,) = logs.named("performance_metrics")
        assert event["ttft_p50_ms"] == pytest.approx(60.0, rel=0.01)
        assert event["ttft_p95_ms"] == event["ttft_p99_ms"] == event["ttft_p50_ms"]

    def test_cadence_is_per_model(self) -> None:
        """Each model counts its own requests towards its next emission."""
        monitor = quiet(emit_every_requests=3)
        with capture_logs() as logs:
            for model in ("a", "b", "a", "b", "a"):
                monitor.record_request(model, 10.0)
        assert [e["model"] for e in logs.named("performance_metrics")] == ["a"]

    def test_log_metrics_emits_now(self) -> None:
        """log_metrics() logs every model with requests in the window, and resets the count."""
        monitor = quiet(emit_every_requests=3)
        with capture_logs() as logs:
            monitor.record_request("a", 10.0)
            monitor.record_request("b", 20.0)
            monitor.log_metrics()
            monitor.log_metrics("unknown")
            monitor.record_request("a", 10.0)
            monitor.record_request("a", 10.0)
        assert [e["model"] for e in logs.named("performance_metrics")] == ["a", "b"]


class TestAlerts:
    def test_average_latency_alert_once_per_crossing_with_rearm(self) -> None:
        """high_average_latency fires once when crossing, recovers, and can fire again."""
        monitor = quiet(latency_threshold_ms=1000.0, min_requests_for_alerts=5)
        with capture_logs() as logs:
            for _ in range(20):
                monitor.record_request("m", 3000.0)  # fires once at the 5th request
            for _ in range(100):
                monitor.record_request("m", 10.0)  # average falls below: recovered
            for _ in range(200):
                monitor.record_request("m", 3000.0)  # crosses again
        events = [(e["event"], e.get("alert")) for e in logs if e["event"] != "performance_metrics"]
        assert events == [
            ("high_average_latency", None),
            ("performance_recovered", "high_average_latency"),
            ("high_average_latency", None),
        ]
        first = logs.named("high_average_latency")[0]
        assert (first["log_level"], first["emoji"]) == ("warning", "⏱️")
        assert (first["avg_latency_ms"], first["threshold_ms"]) == (3000.0, 1000.0)
        assert first["window_request_count"] == 5

    def test_error_rate_alert_once_per_crossing_with_rearm(self) -> None:
        """high_error_rate fires once above the threshold and again only after recovering."""
        monitor = quiet(error_rate_threshold_percent=10.0, min_requests_for_alerts=10)
        pattern = [True] * 9 + [False] * 3 + [True] * 30 + [False] * 20
        with capture_logs() as logs:
            for ok in pattern:
                monitor.record_request("m", 100.0, ok)
        assert logs.events() == ["high_error_rate", "performance_recovered", "high_error_rate"]
        first = logs.named("high_error_rate")[0]
        assert (first["error_rate_percent"], first["threshold_percent"]) == (18.18, 10.0)  # 2 of 11

    def test_p99_alert_when_more_than_one_percent_is_slow(self) -> None:
        """high_p99_latency fires when the window's p99 passes the threshold, once."""
        monitor = quiet(p99_threshold_ms=2000.0, min_requests_for_alerts=10)
        with capture_logs() as logs:
            for _ in range(200):
                monitor.record_request("m", 100.0)
            monitor.record_request("m", 5000.0)
            monitor.record_request("m", 5000.0)
            assert logs.events() == []  # 2 of 202: p99 is still fast
            for _ in range(5):
                monitor.record_request("m", 5000.0)
        (event,) = logs.named("high_p99_latency")
        assert event["p99_latency_ms"] == pytest.approx(5000.0, rel=0.01)
        assert event["threshold_ms"] == 2000.0
        assert monitor.snapshot("m", window=True).p99_ms == pytest.approx(5000.0, rel=0.01)

    def test_no_alert_before_min_requests(self) -> None:
        """Alerts wait until the window holds min_requests_for_alerts requests."""
        monitor = quiet(
            latency_threshold_ms=100.0, error_rate_threshold_percent=1.0, min_requests_for_alerts=10
        )
        with capture_logs() as logs:
            for _ in range(9):
                monitor.record_request("m", 500.0, False)
            assert logs.events() == []
            monitor.record_request("m", 500.0, False)
        assert sorted(logs.events()) == ["high_average_latency", "high_error_rate"]

    def test_alerts_are_per_model(self) -> None:
        """A slow model alerts without a fast one doing so."""
        monitor = quiet(latency_threshold_ms=1000.0, min_requests_for_alerts=1)
        with capture_logs() as logs:
            monitor.record_request("slow", 2000.0)
            monitor.record_request("fast", 10.0)
            monitor.record_request("slow", 2000.0)
        assert [(e["event"], e["model"]) for e in logs] == [("high_average_latency", "slow")]


class TestWindow:
    def test_old_requests_leave_the_window_but_stay_in_totals(self) -> None:
        """After window_seconds, old requests are gone from the window and kept all-time."""
        clock = FakeClock()
        monitor = quiet(clock, window_seconds=60.0)
        for _ in range(10):
            monitor.record_request("m", 5000.0, False)
        clock.advance(61.0)
        for _ in range(5):
            monitor.record_request("m", 100.0)
        window, total = monitor.snapshot("m", window=True), monitor.snapshot("m")
        assert (window.count, window.errors, window.p99_ms) == (5, 0, 100.0)
        assert (total.count, total.errors) == (15, 10)
        assert total.p99_ms == pytest.approx(5000.0, rel=0.01)

    def test_window_empties_without_new_requests(self) -> None:
        """A window snapshot taken after a quiet window_seconds is empty."""
        clock = FakeClock()
        monitor = quiet(clock, window_seconds=10.0)
        monitor.record_request("m", 100.0)
        clock.advance(5.0)
        assert monitor.snapshot("m", window=True).count == 1
        clock.advance(6.0)
        assert monitor.snapshot("m", window=True).count == 0
        assert monitor.snapshot("m").count == 1

    def test_window_slides_slice_by_slice(self) -> None:
        """Requests leave the window one slice (a tenth of it) at a time."""
        clock = FakeClock(0.0)
        monitor = quiet(clock, window_seconds=100.0)
        for _ in range(10):
            monitor.record_request("m", 100.0)
            clock.advance(10.0)
        counts = []
        for _ in range(10):
            counts.append(monitor.snapshot("m", window=True).count)
            clock.advance(10.0)
        assert counts == [9, 8, 7, 6, 5, 4, 3, 2, 1, 0]

    def test_error_alert_recovers_when_errors_age_out(self) -> None:
        """Errors that leave the window stop counting towards the error rate."""
        clock = FakeClock()
        monitor = quiet(clock, window_seconds=60.0, error_rate_threshold_percent=5.0)
        with capture_logs() as logs:
            for _ in range(10):
                monitor.record_request("m", 100.0, False)
            clock.advance(120.0)
            for _ in range(10):
                monitor.record_request("m", 100.0)
        assert logs.events() == ["high_error_rate", "performance_recovered"]
        assert logs.named("performance_recovered")[0]["error_rate_percent"] == 0.0

    def test_metrics_report_the_window(self) -> None:
        """performance_metrics gives window latencies and the all-time request count."""
        clock = FakeClock()
        monitor = quiet(clock, window_seconds=60.0, emit_every_requests=5)
        with capture_logs() as logs:
            for _ in range(5):
                monitor.record_request("m", 9000.0)
            clock.advance(100.0)
            for _ in range(5):
                monitor.record_request("m", 100.0)
        last = logs.named("performance_metrics")[-1]
        assert (last["request_count"], last["window_request_count"]) == (10, 5)
        assert last["p99_latency_ms"] == 100.0

    def test_clock_stepping_back_keeps_counting(self) -> None:
        """A clock that goes backwards does not lose requests."""
        clock = FakeClock(500.0)
        monitor = quiet(clock, window_seconds=60.0)
        monitor.record_request("m", 10.0)
        clock.advance(-300.0)
        monitor.record_request("m", 20.0)
        assert monitor.snapshot("m", window=True).count == 2


class TestObserve:
    def test_call_records_feed_the_monitor(self) -> None:
        """observe() records model, duration, TTFT and success from a CallRecord."""
        monitor = quiet()
        observer: CallObserver = monitor
        assert (
            observer.observe(
                CallRecord("openai", "chat", "gpt-4o", duration_ms=120.0, ttft_ms=30.0)
            )
            is None
        )
        observer.observe(CallRecord("openai", "chat", "gpt-4o", duration_ms=80.0, success=False))
        snap = monitor.snapshot("gpt-4o")
        assert (snap.count, snap.errors, snap.ttft_p50_ms) == (2, 1, 30.0)

    def test_records_without_duration_are_skipped_quietly(self) -> None:
        """A record with no duration is ignored without a warning."""
        monitor = quiet()
        with capture_logs() as logs:
            monitor.observe(CallRecord("openai", "chat", "gpt-4o"))
        assert logs == []
        assert monitor.snapshot().count == 0

    @pytest.mark.parametrize(
        "record",
        [
            CallRecord("openai", "chat", "gpt-4o", duration_ms=math.nan),
            CallRecord("openai", "chat", "gpt-4o", duration_ms=-3.0),
            CallRecord("openai", "chat", "gpt-4o", duration_ms=math.inf),
            CallRecord("openai", "chat", "gpt-4o", duration_ms=100.0, ttft_ms=-1.0),
            CallRecord("openai", "chat", "gpt-4o", duration_ms="fast"),  # type: ignore[arg-type]
            CallRecord("openai", "chat", None, duration_ms=100.0),  # type: ignore[arg-type]
            object(),
            None,
        ],
    )
    def test_garbage_warns_once_and_never_raises(self, record: Any) -> None:
        """A bad record gives one invalid_latency warning, no exception, and is not counted."""
        monitor = quiet()
        with capture_logs() as logs:
            monitor.observe(record)
        (event,) = logs
        assert (event["event"], event["log_level"], event["emoji"]) == (
            "invalid_latency",
            "warning",
            "⏱️",
        )
        assert event["reason"]
        assert monitor.snapshot().count == 0

    def test_instrumented_client_feeds_the_monitor(self) -> None:
        """A client instrumented with the monitor as observer records every call, failed too."""
        from logmoji.llm.instrumentation import instrument
        from logmoji.testing import FakeLLMProvider

        monitor = quiet()
        hello: Any = [{"role": "user", "content": "hello"}]
        with FakeLLMProvider(latency=0.0) as fake, capture_logs():
            client = fake.openai_client(max_retries=0)
            with instrument(client, observers=[monitor]):
                for _ in range(3):
                    client.chat.completions.create(model="gpt-4o", messages=hello)
                stream = client.chat.completions.create(model="gpt-4o", messages=hello, stream=True)
                for _ in stream:
                    pass
                fake.inject("server_error")
                with pytest.raises(Exception, match="500"):
                    client.chat.completions.create(model="gpt-4o", messages=hello)
        snap = monitor.snapshot("gpt-4o")
        assert (snap.count, snap.errors) == (5, 1)
        assert snap.ttft.count >= 1
        assert snap.p50_ms is not None
        assert snap.p50_ms > 0


class TestBoundedMemory:
    def test_million_requests_over_ten_models_keep_bounded_buckets(self) -> None:
        """One million requests spanning 18 decades keep every sketch within max_buckets."""
        clock = FakeClock(0.0)
        monitor = quiet(clock, window_seconds=10.0)
        record = monitor.record_request
        models = [f"model-{i}" for i in range(10)]
        for i in range(1_000_000):
            # 10**(i mod 18 decades), spread so every slice sees the whole range.
            record(models[i % 10], 10.0 ** ((i * 7919) % 18_000 / 1000.0 - 6.0))
            if i % 1000 == 0:
                clock.advance(0.25)
        assert monitor.snapshot().count == 1_000_000
        # White-box: the monitor's internal sketches are what memory is made of.
        series = [s.latency for s in monitor._models.values()]
        arrays = [a for s in series for a in (s.done, s.window_done, *s.slices)]
        assert len(arrays) == 10 * 12
        assert max(len(a) for a in arrays) <= 2048
        assert monitor.snapshot().latency.bucket_count == 2048

    def test_max_models_caps_tracked_models(self) -> None:
        """Models beyond max_models are counted as OTHER_MODEL after one warning."""
        monitor = quiet(max_models=3)
        with capture_logs() as logs:
            for i in range(10):
                monitor.record_request(f"model-{i}", 100.0)
        assert monitor.models() == ("model-0", "model-1", "model-2", OTHER_MODEL)
        assert monitor.snapshot(OTHER_MODEL).count == 7
        assert monitor.snapshot().count == 10
        (event,) = logs
        assert (event["event"], event["model"], event["max_models"]) == (
            "performance_model_limit_reached",
            "model-3",
            3,
        )


class TestThreads:
    def test_concurrent_records_are_all_counted(self) -> None:
        """Eight threads recording at once lose no request."""
        monitor = quiet(emit_every_requests=50)

        def work(n: int) -> None:
            for i in range(2000):
                monitor.record_request(f"m{n % 2}", float(i), i % 10 != 0)

        with capture_logs():
            threads = [threading.Thread(target=work, args=(n,)) for n in range(8)]
            for thread in threads:
                thread.start()
            for thread in threads:
                thread.join()
        snap = monitor.snapshot()
        assert (snap.count, snap.errors) == (16_000, 1600)
