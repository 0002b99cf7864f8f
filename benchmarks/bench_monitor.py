"""Time the latency monitor's hot path and queries, and measure its memory.

Per record: ``DDSketch.add``, ``PerformanceMonitor.record_request`` (without
and with the default emission cadence, logging JSON to a null sink),
``observe(CallRecord)``, beside the spec's ``LLMPerformanceMonitor`` (a deque
of the last 100 latencies, sorted three times per request, without logging).

Per query: ``snapshot(model)`` over all time and over the window, and
``snapshot()`` of ten models combined, each giving p50/p95/p99.

Memory: ``tracemalloc``'s count of what the monitor holds after 10^3 ... 10^6
lognormal samples over ten models, on a simulated clock spanning an hour,
so window slices rotate as in production.

Against ddsketch (the reference DDSketch package; ``make bench`` installs it,
and this script prints those rows when it is installed): ``record_request``
beside ``ddsketch.DDSketch.add``, the p99 query after 300k records over an
hour beside ddsketch's ``get_quantile_value(0.99)`` on the same values, and
the monitor's memory with 300k records for each of ten models.

Run: ``python benchmarks/bench_monitor.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import os
import random
import sys
import time
import tracemalloc
from collections import defaultdict, deque
from collections.abc import Callable

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, table

import logmoji
from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry
from logmoji.llm._record import CallRecord
from logmoji.llm.monitor import PerformanceMonitor
from logmoji.llm.monitor.sketch import DDSketch

MODELS = [f"model-{i}" for i in range(10)]


class SpecMonitor:
    """The spec's LLMPerformanceMonitor, its logging left out: only the bookkeeping."""

    def __init__(self, window_size: int = 100) -> None:
        self.response_times: defaultdict[str, deque[float]] = defaultdict(
            lambda: deque(maxlen=window_size)
        )
        self.request_counts: defaultdict[str, int] = defaultdict(int)
        self.error_counts: defaultdict[str, int] = defaultdict(int)

    def record_request(self, model: str, duration_ms: float, success: bool = True) -> None:
        self.response_times[model].append(duration_ms)
        self.request_counts[model] += 1
        if not success:
            self.error_counts[model] += 1
        if len(self.response_times[model]) >= 10:
            times = list(self.response_times[model])
            sum(times) / len(times)
            sorted(times)[len(times) // 2]
            sorted(times)[int(len(times) * 0.95)]
            sorted(times)[int(len(times) * 0.99)]


class Clock:
    """A simulated clock, moved by the caller."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def quiet_monitor(clock: Callable[[], float]) -> PerformanceMonitor:
    return PerformanceMonitor(
        clock=clock,
        emit_every_requests=None,
        emit_every_seconds=None,
        latency_threshold_ms=None,
        error_rate_threshold_percent=None,
    )


def latencies(n: int, seed: int = 1) -> list[float]:
    rng = random.Random(seed)
    return [rng.lognormvariate(6.5, 0.8) for _ in range(n)]


def per_record(number: int) -> list[tuple[str, str]]:
    """Return rows of ns per recorded request."""
    values = latencies(4096)
    state = {"i": 0}

    def next_value() -> float:
        state["i"] = (state["i"] + 1) & 4095
        return values[state["i"]]

    sketch = DDSketch()
    quiet = quiet_monitor(Clock())
    emitting = PerformanceMonitor(clock=Clock())
    spec = SpecMonitor()
    record = CallRecord("openai", "chat", "gpt-4o", duration_ms=812.5, ttft_ms=95.0)
    cases = {
        "DDSketch.add": lambda: sketch.add(next_value()),
        "record_request (no emission)": lambda: quiet.record_request("gpt-4o", next_value()),
        "record_request + ttft_ms": lambda: quiet.record_request(
            "gpt-4o", next_value(), ttft_ms=95.0
        ),
        "record_request (default cadence)": lambda: emitting.record_request("gpt-4o", next_value()),
        "observe(CallRecord)": lambda: quiet.observe(record),
        "spec's deque + sorted": lambda: spec.record_request("gpt-4o", next_value()),
        "(drawing the value alone)": next_value,
    }
    results = compare(cases, number=number)
    return [(name, f"{ns:,.0f}") for name, ns in results.items()]


def per_query(number: int) -> list[tuple[str, str]]:
    """Return rows of ns per snapshot (p50/p95/p99) of a monitor holding 100k requests."""
    clock = Clock()
    monitor = quiet_monitor(clock)
    for i, value in enumerate(latencies(100_000)):
        clock.now += 0.05
        monitor.record_request(MODELS[i % 10], value, i % 50 != 0, ttft_ms=value / 5)
    sketch = monitor.snapshot("model-0").latency
    cases = {
        "snapshot(model)": lambda: monitor.snapshot("model-0"),
        "snapshot(model, window=True)": lambda: monitor.snapshot("model-0", window=True),
        "snapshot() of 10 models": monitor.snapshot,
        "DDSketch.quantiles(p50, p95, p99)": lambda: sketch.quantiles((0.5, 0.95, 0.99)),
    }
    results = compare(cases, number=number, repeats=5)
    return [(name, f"{ns / 1000:,.1f}") for name, ns in results.items()]


def memory(samples: int) -> list[tuple[str, str, str]]:
    """Return rows of the monitor's traced memory as samples accumulate."""
    values = latencies(100_000, seed=2)
    checkpoints = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= samples]
    rows = []
    clock = Clock()
    step = 3600.0 / samples  # the samples spread over one simulated hour
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    monitor = quiet_monitor(clock)
    record = monitor.record_request
    done = 0
    for checkpoint in checkpoints:
        for i in range(done, checkpoint):
            clock.now += step
            value = values[i % 100_000]
            record(MODELS[i % 10], value, i % 50 != 0, ttft_ms=value / 5)
        done = checkpoint
        held = tracemalloc.get_traced_memory()[0] - base
        rows.append((f"{checkpoint:,}", f"{held / 1024:,.0f} KiB", f"{held / 10 / 1024:,.1f} KiB"))
    tracemalloc.stop()
    return rows


def peer_figures(quick: bool) -> dict[str, float]:
    """Return the issue's three monitor rows and their ddsketch peers (ns, bytes).

    ``record``/``ddsketch add``: ns per value, interleaved, median of rounds.
    ``p99 query``: ``snapshot(model).p99_ms`` after 300k records of one model
    spread over one simulated hour, and ``quantile(0.99, model)``, beside
    ddsketch's query on a sketch holding the same values. ``memory``: bytes
    the monitor holds (tracemalloc) after 300k records for each of ten models,
    with TTFT, over one hour; ``memory models`` and ``memory records`` say how
    many.
    """
    from ddsketch import DDSketch as PeerSketch

    values = latencies(4096)
    state = {"i": 0}

    def next_value() -> float:
        state["i"] = (state["i"] + 1) & 4095
        return values[state["i"]]

    peer = PeerSketch(relative_accuracy=0.01)
    quiet = quiet_monitor(time.monotonic)  # the default clock, as in production
    results = compare(
        {
            "ddsketch add": lambda: peer.add(next_value()),
            "record_request": lambda: quiet.record_request("gpt-4o", next_value()),
            "draw": next_value,
        },
        number=5_000 if quick else 50_000,
        repeats=7 if quick else 15,
    )
    figures = {
        "ddsketch add": results["ddsketch add"] - results["draw"],
        "record_request": results["record_request"] - results["draw"],
    }
    records = 30_000 if quick else 300_000
    clock = Clock()
    monitor = quiet_monitor(clock)
    peer = PeerSketch(relative_accuracy=0.01)
    step = 3600.0 / records
    for value in latencies(records, seed=3):
        clock.now += step
        monitor.record_request("gpt-4o", value)
        peer.add(value)
    quantile = getattr(monitor, "quantile", None)  # absent before round two
    queries = {
        "ddsketch p99 query": lambda: peer.get_quantile_value(0.99),
        "p99 query": lambda: monitor.snapshot("gpt-4o").p99_ms,
    }
    if quantile is not None:
        queries["quantile(0.99)"] = lambda: quantile(0.99, "gpt-4o")
    figures |= compare(queries, number=100 if quick else 500, repeats=7 if quick else 15)
    per_model = 30_000 if quick else 300_000
    figures["memory"] = float(_held(per_model))
    figures["memory models"], figures["memory records"] = 10.0, float(per_model)
    return figures


def _held(per_model: int) -> int:
    """Return the bytes a monitor holds after ``per_model`` records for each of ten models."""
    values = latencies(100_000, seed=2)
    clock = Clock()
    step = 3600.0 / (per_model * 10)
    tracemalloc.start()
    base = tracemalloc.get_traced_memory()[0]
    monitor = quiet_monitor(clock)
    record = monitor.record_request
    for i in range(per_model * 10):
        clock.now += step
        value = values[i % 100_000]
        record(MODELS[i % 10], value, i % 50 != 0, ttft_ms=value / 5)
    held = tracemalloc.get_traced_memory()[0] - base
    tracemalloc.stop()
    del monitor
    return held


def main() -> None:
    quick = "--quick" in sys.argv
    logmoji.reset()
    null = open(os.devnull, "wb")  # noqa: SIM115
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(formatter="json", stream=null)), environ={}
    )
    print("Per record (ns per call, median of 7 interleaved runs)")
    print(table(per_record(5_000 if quick else 50_000), ("operation", "ns/record")))
    print()
    print("Per query (µs per call; 10 models, 100k requests with TTFT, window of 300 s)")
    print(table(per_query(50 if quick else 300), ("query (p50/p95/p99)", "µs/query")))
    print()
    print("Memory held by the monitor (tracemalloc), 10 models, latency + TTFT sketches")
    print(table(memory(100_000 if quick else 1_000_000), ("samples", "monitor", "per model")))
    try:
        figures = peer_figures(quick)
    except ImportError:
        print("\n(ddsketch is not installed: no rows against it)")
        return
    print()
    print("Against ddsketch (ns; memory in bytes)")
    print(table([(name, f"{value:,.0f}") for name, value in figures.items()], ("case", "value")))


if __name__ == "__main__":
    main()
