"""The spec's "Latency and Throughput Tracking" example, working, with ``PerformanceMonitor``.

What changed from the spec's snippet:

* ``from typing import defaultdict`` does not exist; the monitor keeps its
  own per-model state, so there is nothing to import but the monitor;
* it logged ``performance_metrics`` on every request once ten had passed;
  the monitor logs it every 100 requests or 60 seconds per model;
* it sorted the last 100 latencies on every request (three times) for
  p50/p95/p99; the monitor keeps DDSketches (1% relative error, bounded
  memory) over a sliding window and over all time, and sorts nothing;
* its ``high_average_latency`` / ``high_error_rate`` warnings repeated on
  every request while the value stayed high; they now fire once per
  crossing, and ``performance_recovered`` re-arms them;
* it mixed an all-time error rate with windowed latencies; both now come
  from the same window.

Part 1 replays a day of simulated traffic (seeded, on a simulated clock) with a
latency incident in the middle. Part 2 makes real SDK calls against logmoji's
local fake provider with the monitor as an instrumentation observer, and
merges two snapshots as two worker processes would.

Run: ``python examples/latency_monitoring.py``.
"""

from __future__ import annotations

import random

from logmoji.llm import instrument
from logmoji.llm.monitor import PerformanceMonitor, Snapshot
from logmoji.testing import FakeLLMProvider


class SimulatedClock:
    """A clock that moves only when the simulation says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def simulate_traffic(monitor: PerformanceMonitor, clock: SimulatedClock) -> None:
    """Send 3000 requests to two models; gpt-4o slows down and fails for a while."""
    rng = random.Random(2024)
    for i in range(3000):
        clock.now += 0.5  # two requests a second
        incident = 1200 <= i < 1800
        if rng.random() < 0.5:
            model, median_ms = "gpt-4o", 900.0
        else:
            model, median_ms = "claude-sonnet-4-5", 1400.0
        slow = incident and model == "gpt-4o"
        duration_ms = rng.lognormvariate(0.0, 0.4) * median_ms * (8.0 if slow else 1.0)
        success = rng.random() > (0.25 if slow else 0.01)
        monitor.record_request(model, duration_ms, success)


def print_snapshot(title: str, snap: Snapshot) -> None:
    """Print one line of a snapshot's figures."""
    figures = "  ".join(
        f"{name}={value:,.0f}ms"
        for name, value in (("p50", snap.p50_ms), ("p95", snap.p95_ms), ("p99", snap.p99_ms))
        if value is not None
    )
    print(
        f"{title:<28} {snap.count:>5} requests  {snap.error_rate_percent:5.1f}% errors  {figures}"
    )


def instrumented_calls() -> tuple[Snapshot, Snapshot]:
    """Make real calls from two 'workers', each with its own monitor; return their snapshots."""
    snapshots = []
    with FakeLLMProvider(latency=0.005, reply_tokens=12) as fake:
        for worker in range(2):
            monitor = PerformanceMonitor(emit_every_requests=5)
            client = fake.openai_client(max_retries=0)
            with instrument(client, observers=[monitor]):
                for question in range(5 + worker):
                    client.chat.completions.create(
                        model="gpt-4o-mini",
                        messages=[{"role": "user", "content": f"Question {question}?"}],
                    )
                stream = client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=[{"role": "user", "content": "Stream a short answer."}],
                    stream=True,
                )
                for _ in stream:
                    pass
            client.close()
            # A worker would ship this JSON to a collector; here it stays in memory.
            snapshots.append(Snapshot.from_json(monitor.snapshot("gpt-4o-mini").to_json()))
    return snapshots[0], snapshots[1]


def main() -> None:
    """Run the simulation, then the instrumented calls, and print the summaries."""
    clock = SimulatedClock()
    monitor = PerformanceMonitor(window_seconds=300.0, clock=clock)
    simulate_traffic(monitor, clock)
    monitor.log_metrics()  # a last report, as at shutdown
    print("Simulated traffic, all time:")
    for model in monitor.models():
        print_snapshot(model, monitor.snapshot(model))
    print_snapshot("all models", monitor.snapshot())

    first, second = instrumented_calls()
    print("Instrumented calls against the fake provider:")
    print_snapshot("worker 1", first)
    print_snapshot("worker 2", second)
    combined = first.merge(second)
    print_snapshot("workers merged", combined)
    if combined.ttft_p50_ms is not None:
        print(f"time to first token p50: {combined.ttft_p50_ms:.1f}ms")


if __name__ == "__main__":
    main()
