"""Shared timing helpers for the benchmark scripts: interleaved repeats, best-of medians."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable


def ns_per_call(fn: Callable[[], object], *, number: int = 20_000) -> float:
    """Return nanoseconds per call of ``fn`` over one timed loop of ``number`` calls."""
    start = time.perf_counter_ns()
    for _ in range(number):
        fn()
    return (time.perf_counter_ns() - start) / number


def compare(
    cases: dict[str, Callable[[], object]], *, number: int = 20_000, repeats: int = 7
) -> dict[str, float]:
    """Time every case ``repeats`` times, interleaved, and return each case's median ns/call."""
    for fn in cases.values():  # warm caches and lazy set-up
        for _ in range(min(number, 2000)):
            fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            samples[name].append(ns_per_call(fn, number=number))
    return {name: statistics.median(values) for name, values in samples.items()}


def table(rows: list[tuple[str, ...]], headers: tuple[str, ...]) -> str:
    """Return a plain-text table."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))]
    lines.append("  ".join("-" * w for w in widths))
    lines += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(lines)
