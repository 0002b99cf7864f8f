"""The usage report as frozen data, and its JSON form.

Quantiles are exact and use the *nearest-rank* definition: the p-th
percentile of ``n`` sorted values is the value at 1-based rank
``ceil(p * n / 100)``, so it is always a value that was logged (p50 of
``[10, 20, 30, 40]`` is 20; p95 and p99 are 40).

``Report.to_dict()`` (what ``logmoji report --json`` prints) has these keys,
which stay stable within ``"schema": "logmoji.report/1"``::

    schema, sources, group_by,
    lines:    total, calls, other_events, skipped, outside_window
    window:   since, until, first, last          (ISO 8601 UTC or null)
    total:    <summary>
    groups:   [<summary> + group: {field: value}]  (most requests first)
    timeline: bucket_seconds, buckets: [{start, requests, failed}]
    latency_buckets_ms: upper bounds of the latency histogram buckets
    runs:     null, or group_by, groups: [{group, runs, failed, model_calls,
              tool_executions, input_tokens, output_tokens, cost_usd,
              duration_ms: {count, mean, p50, p95, p99, max}}],
              most_expensive / slowest: [{run_id, agent, conversation_id,
              cost_usd, duration_ms, model_calls, failed}]  (agent runs)

    <summary>: requests, succeeded, failed, cancelled, error_rate,
        errors: {category: count}, input_tokens, output_tokens, cached_tokens,
        reasoning_tokens, cost_usd, priced_requests, usage_unknown, retries,
        latency_ms / ttft_ms / tokens_per_second: {count, mean, p50, p95, p99, max},
        latency_histogram: [count per latency bucket]

``cost_usd`` sums the calls that carried a cost (``priced_requests`` of them);
``usage_unknown`` counts the succeeded calls that logged no token counts (the
token totals are the sums of the known counts: those calls are not zeros);
``mean`` and the quantiles are ``null`` when ``count`` is 0.
"""

from __future__ import annotations

import math
import sys
from bisect import bisect_left
from collections.abc import Sequence
from dataclasses import dataclass
from itertools import chain
from typing import TYPE_CHECKING, Any

from logmoji.report._sorted import count_below, fsum, select

if TYPE_CHECKING:
    from logmoji.report._runs import RunsView

__all__ = [
    "LATENCY_EDGES_MS",
    "SCHEMA",
    "Distribution",
    "Report",
    "TimeBucket",
    "UsageSummary",
    "histogram",
    "histogram_of_parts",
    "quantile",
]

SCHEMA = "logmoji.report/1"
#: Upper bounds (exclusive, in ms) of the latency histogram buckets; one more bucket follows.
LATENCY_EDGES_MS: tuple[float, ...] = (100, 250, 500, 1000, 2500, 5000, 10_000, 30_000, 60_000)


def _rank(n: int, percent: int) -> int:
    """Return the 1-based nearest rank of the ``percent``-th percentile of ``n`` values."""
    return max(-(-percent * n // 100), 1)  # ceil without floats: p95 of 20 values is rank 19


def quantile(sorted_values: Sequence[float], percent: int) -> float | None:
    """Return the nearest-rank ``percent``-th percentile of ``sorted_values``, ``None`` if empty."""
    n = len(sorted_values)
    if n == 0:
        return None
    return sorted_values[_rank(n, percent) - 1]


def histogram(sorted_values: Sequence[float], edges: Sequence[float]) -> tuple[int, ...]:
    """Count ``sorted_values`` per bucket: below ``edges[0]``, between edges, then the rest."""
    return _buckets([bisect_left(sorted_values, edge) for edge in edges], len(sorted_values))


def histogram_of_parts(parts: Sequence[Sequence[float]], edges: Sequence[float]) -> tuple[int, ...]:
    """Count the values of the sorted ``parts`` per bucket, as :func:`histogram` does."""
    if len(parts) <= 1:
        return histogram(parts[0] if parts else (), edges)
    return _buckets([count_below(parts, edge) for edge in edges], sum(map(len, parts)))


def _buckets(below: list[int], total: int) -> tuple[int, ...]:
    """Turn the counts of values below each edge into counts per bucket."""
    bounds = [0, *below, total]
    return tuple(bounds[i + 1] - bounds[i] for i in range(len(bounds) - 1))


def _mean(parts: Sequence[Sequence[float]], n: int) -> float:
    """Return the mean of the ``n`` values of ``parts``, also when their sum overflows.

    ``math.fsum`` is exact in any order unless a partial sum overflows, which
    depends on the order: values that could (so large that ``n`` of them would
    overflow) are summed in sorted order, as one sorted list always was.
    """
    if len(parts) > 1:
        biggest = max(max(abs(part[0]), abs(part[-1])) for part in parts)
        if biggest * n > sys.float_info.max:
            parts = [sorted(chain.from_iterable(parts))]
    try:
        return fsum(parts) / n
    except OverflowError:  # two 1e308s, say
        return math.fsum(v / n for part in parts for v in part)


@dataclass(frozen=True, slots=True)
class Distribution:
    """Summarize a list of numbers: count, mean, nearest-rank p50/p95/p99 and maximum."""

    count: int = 0
    mean: float | None = None
    p50: float | None = None
    p95: float | None = None
    p99: float | None = None
    max: float | None = None

    @classmethod
    def of(cls, sorted_values: Sequence[float]) -> Distribution:
        """Return the distribution of ``sorted_values`` (ascending)."""
        n = len(sorted_values)
        if n == 0:
            return cls()
        return cls(
            count=n,
            mean=round(_mean([sorted_values], n), 3),
            p50=sorted_values[_rank(n, 50) - 1],
            p95=sorted_values[_rank(n, 95) - 1],
            p99=sorted_values[_rank(n, 99) - 1],
            max=sorted_values[-1],
        )

    @classmethod
    def of_parts(cls, parts: Sequence[Sequence[float]]) -> Distribution:
        """Return the distribution of all the values of the sorted ``parts``, unmerged.

        The same as ``of()`` of their stable sort: see ``logmoji.report._sorted``.
        """
        parts = [part for part in parts if len(part)]
        if len(parts) <= 1:
            return cls.of(parts[0] if parts else ())
        n = sum(map(len, parts))
        top = max(part[-1] for part in parts)
        return cls(
            count=n,
            mean=round(_mean(parts, n), 3),
            p50=select(parts, _rank(n, 50)),
            p95=select(parts, _rank(n, 95)),
            p99=select(parts, _rank(n, 99)),
            max=[part[-1] for part in parts if part[-1] == top][-1],  # stable: the last of ties
        )

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "count": self.count,
            "mean": self.mean,
            "p50": self.p50,
            "p95": self.p95,
            "p99": self.p99,
            "max": self.max,
        }


@dataclass(frozen=True, slots=True)
class UsageSummary:
    """The usage of one group of calls (or of all of them).

    Attributes:
        key: The group's values, in the order of :attr:`Report.group_by`
            (empty for the total).
        errors: ``(category, count)`` pairs, most frequent first.
        latency_histogram: Calls per latency bucket (see :data:`LATENCY_EDGES_MS`).
    """

    key: tuple[object, ...] = ()
    requests: int = 0
    succeeded: int = 0
    failed: int = 0
    cancelled: int = 0
    errors: tuple[tuple[str, int], ...] = ()
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    reasoning_tokens: int = 0
    cost_usd: float = 0.0
    priced_requests: int = 0
    usage_unknown: int = 0
    retries: int = 0
    latency_ms: Distribution = Distribution()
    ttft_ms: Distribution = Distribution()
    tokens_per_second: Distribution = Distribution()
    latency_histogram: tuple[int, ...] = ()

    @property
    def error_rate(self) -> float:
        """Failed calls as a fraction of all calls (cancelled ones are not failures)."""
        return self.failed / self.requests if self.requests else 0.0

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (without the group key)."""
        return {
            "requests": self.requests,
            "succeeded": self.succeeded,
            "failed": self.failed,
            "cancelled": self.cancelled,
            "error_rate": round(self.error_rate, 6),
            "errors": dict(self.errors),
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "reasoning_tokens": self.reasoning_tokens,
            "cost_usd": self.cost_usd,
            "priced_requests": self.priced_requests,
            "usage_unknown": self.usage_unknown,
            "retries": self.retries,
            "latency_ms": self.latency_ms.to_dict(),
            "ttft_ms": self.ttft_ms.to_dict(),
            "tokens_per_second": self.tokens_per_second.to_dict(),
            "latency_histogram": list(self.latency_histogram),
        }


@dataclass(frozen=True, slots=True)
class TimeBucket:
    """Calls that ended in one interval of the timeline (``start`` in ISO 8601 UTC)."""

    start: str
    requests: int
    failed: int


@dataclass(frozen=True, slots=True)
class Report:
    """What ``logmoji report`` found in its input.

    Attributes:
        group_by: The fields calls are grouped by.
        groups: One summary per group, most requests first.
        total: All calls together.
        lines: Non-empty lines read.
        calls: Lines that are LLM calls inside the time window.
        other_events: JSON log events that are not LLM calls.
        skipped: Lines that are not JSON log events (malformed or foreign).
        outside_window: Calls left out by ``since``/``until``.
        since: Start of the window, ISO 8601 UTC, if any.
        until: End of the window (exclusive), ISO 8601 UTC, if any.
        first: Time of the first call counted.
        last: Time of the last call counted.
        bucket_seconds: Width of the timeline's buckets.
        timeline: Calls per time bucket, oldest first, gaps included.
        sources: The inputs read, as given.
    """

    group_by: tuple[str, ...]
    groups: tuple[UsageSummary, ...]
    total: UsageSummary
    lines: int = 0
    calls: int = 0
    other_events: int = 0
    skipped: int = 0
    outside_window: int = 0
    since: str | None = None
    until: str | None = None
    first: str | None = None
    last: str | None = None
    bucket_seconds: int = 60
    timeline: tuple[TimeBucket, ...] = ()
    sources: tuple[str, ...] = ()
    runs: RunsView | None = None

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form documented in this module."""
        groups = []
        for group in self.groups:
            entry: dict[str, Any] = {"group": dict(zip(self.group_by, group.key, strict=True))}
            entry.update(group.to_dict())
            groups.append(entry)
        return {
            "schema": SCHEMA,
            "sources": list(self.sources),
            "group_by": list(self.group_by),
            "lines": {
                "total": self.lines,
                "calls": self.calls,
                "other_events": self.other_events,
                "skipped": self.skipped,
                "outside_window": self.outside_window,
            },
            "window": {
                "since": self.since,
                "until": self.until,
                "first": self.first,
                "last": self.last,
            },
            "total": self.total.to_dict(),
            "groups": groups,
            "timeline": {
                "bucket_seconds": self.bucket_seconds,
                "buckets": [
                    {"start": b.start, "requests": b.requests, "failed": b.failed}
                    for b in self.timeline
                ],
            },
            "latency_buckets_ms": list(LATENCY_EDGES_MS),
            "runs": None if self.runs is None else self.runs.to_dict(),
        }
