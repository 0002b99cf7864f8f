"""Count the instructions of the monitor's record and query paths under callgrind, and ddsketch's.

Like ``instructions.py``: each case runs once ``N`` and once ``N + EXTRA``
times under ``valgrind --tool=callgrind`` with ``PYTHONHASHSEED=0``, and the
difference over ``EXTRA`` is the cost of one operation, set-up cancelled out.
Instruction counts do not move with the machine's load, as timings do.

Cases: ``ddsketch-add`` (``ddsketch.DDSketch.add``), ``floor`` (the same
add under a lock with a ``time.monotonic()`` read: what any thread-safe
monitor with a time window adds to it), ``record`` (a quiet
``PerformanceMonitor.record_request``, one model), ``draw`` (taking the next
value alone, to subtract from both), and, after 300k records of one model over
a simulated hour, ``snapshot-p99`` (``snapshot(model).p99_ms``),
``quantile-p99`` (``quantile(0.99, model)``) and ``ddsketch-p99``
(``get_quantile_value(0.99)`` on a ddsketch of the same values).

``LOGMOJI_BENCH_RECORDS`` sets the records before a query (300k), as
valgrind makes them slow. Needs valgrind and ddsketch.

Run: ``python benchmarks/instructions_monitor.py [CASE ...]``; with
``PYTHONPATH=other/src`` it counts another checkout's code.
"""

from __future__ import annotations

import argparse
import gc
import os
import re
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

CASES = ("draw", "ddsketch-add", "floor", "record", "ddsketch-p99", "snapshot-p99", "quantile-p99")
RECORDS = int(os.environ.get("LOGMOJI_BENCH_RECORDS", "300000"))
EXTRA = {"draw": 20_000, "ddsketch-add": 20_000, "floor": 20_000, "record": 20_000}
QUERY_EXTRA = 1000


def _operation(case: str) -> Callable[[], object]:
    sys.path.insert(0, os.path.dirname(__file__))
    from bench_monitor import Clock, latencies, quiet_monitor
    from ddsketch import DDSketch as PeerSketch

    values = latencies(4096)
    state = {"i": 0}

    def draw() -> float:
        state["i"] = (state["i"] + 1) & 4095
        return values[state["i"]]

    if case == "draw":
        return draw
    if case == "ddsketch-add":
        peer = PeerSketch(relative_accuracy=0.01)
        return lambda: peer.add(draw())
    if case == "floor":  # what any thread-safe windowed monitor adds: a lock and a clock
        lock, peer = threading.Lock(), PeerSketch(relative_accuracy=0.01)

        def floor() -> None:
            value = draw()
            with lock:
                time.monotonic()
                peer.add(value)

        return floor
    if case == "record":  # the default clock, time.monotonic, as in production
        live = quiet_monitor(time.monotonic)
        return lambda: live.record_request("gpt-4o", draw())
    clock = Clock()
    monitor = quiet_monitor(clock)
    peer = PeerSketch(relative_accuracy=0.01)
    for value in latencies(RECORDS, seed=3):
        clock.now += 3600.0 / RECORDS
        monitor.record_request("gpt-4o", value)
        peer.add(value)
    if case == "ddsketch-p99":
        return lambda: peer.get_quantile_value(0.99)
    if case == "snapshot-p99":
        return lambda: monitor.snapshot("gpt-4o").p99_ms
    return lambda: monitor.quantile(0.99, "gpt-4o")  # type: ignore[attr-defined]


def run(case: str, times: int) -> None:
    """Do ``times`` operations of ``case`` after a warm-up (the child side of a count)."""
    operation = _operation(case)
    # A collection during the set-up of one run and not the other would swamp the difference.
    gc.collect()
    gc.disable()
    for _ in range(100 + times):
        operation()


def count(case: str, times: int) -> int:
    """Return the instructions callgrind counts for one child run."""
    command = ["valgrind", "--tool=callgrind", "--callgrind-out-file=/dev/null"]
    command += [sys.executable, __file__, "--run", case, str(times)]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def per_operation(cases: list[str]) -> dict[str, float]:
    """Return instructions per operation of each case (adds less the draw of its value)."""
    jobs = [(case, n) for case in cases for n in (0, EXTRA.get(case, QUERY_EXTRA))]
    with ThreadPoolExecutor(max_workers=2) as pool:
        totals = list(pool.map(lambda job: count(*job), jobs))
    result = {
        case: (totals[2 * i + 1] - totals[2 * i]) / EXTRA.get(case, QUERY_EXTRA)
        for i, case in enumerate(cases)
    }
    if "draw" in result:
        for case in ("ddsketch-add", "floor", "record"):
            if case in result:
                result[case] -= result["draw"]
    return result


def main() -> None:
    """Count every asked case and print instructions per operation."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"any of {', '.join(CASES)}")
    parser.add_argument("--run", nargs=2, metavar=("CASE", "TIMES"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run[0], int(args.run[1]))
        return
    cases: list[str] = args.cases or list(CASES)
    if {"record", "ddsketch-add", "floor"} & set(cases) and "draw" not in cases:
        cases.insert(0, "draw")
    for case, instructions in per_operation(cases).items():
        print(f"{case:14} {instructions / 1000:9.2f} kinstr")


if __name__ == "__main__":
    main()
