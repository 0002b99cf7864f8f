"""Render a report as CSV: one row per group, then a row for all calls."""

from __future__ import annotations

import csv
import io

from logmoji.report._escape import csv_safe
from logmoji.report._model import Report, UsageSummary

__all__ = ["CSV_COLUMNS", "render_csv"]

#: The columns after the group-by fields, in order.
CSV_COLUMNS: tuple[str, ...] = (
    "requests",
    "succeeded",
    "failed",
    "cancelled",
    "error_rate",
    "input_tokens",
    "output_tokens",
    "cached_tokens",
    "reasoning_tokens",
    "cost_usd",
    "priced_requests",
    "usage_unknown",
    "retries",
    "latency_mean_ms",
    "latency_p50_ms",
    "latency_p95_ms",
    "latency_p99_ms",
    "latency_max_ms",
    "ttft_p50_ms",
    "ttft_p95_ms",
    "ttft_p99_ms",
    "tokens_per_second_p50",
    "tokens_per_second_mean",
    "errors",
)


def _cell(value: object) -> object:
    return "" if value is None else value


def _row(summary: UsageSummary) -> list[object]:
    lat, ttft, tps = summary.latency_ms, summary.ttft_ms, summary.tokens_per_second
    return [
        summary.requests,
        summary.succeeded,
        summary.failed,
        summary.cancelled,
        round(summary.error_rate, 6),
        summary.input_tokens,
        summary.output_tokens,
        summary.cached_tokens,
        summary.reasoning_tokens,
        summary.cost_usd,
        summary.priced_requests,
        summary.usage_unknown,
        summary.retries,
        *(_cell(v) for v in (lat.mean, lat.p50, lat.p95, lat.p99, lat.max)),
        *(_cell(v) for v in (ttft.p50, ttft.p95, ttft.p99)),
        *(_cell(v) for v in (tps.p50, tps.mean)),
        csv_safe(";".join(f"{category}={n}" for category, n in summary.errors)),
    ]


def render_csv(report: Report) -> str:
    """Return ``report`` as CSV text with a header row.

    The first columns are the group-by fields; the last row, whose group
    fields read ``(all)``, sums every call. ``errors`` lists
    ``category=count`` pairs joined by ``;``. Empty cells mean no value.
    Text from the logs is made safe for spreadsheets (:func:`csv_safe`): a
    cell starting like a formula gets a leading ``'``, control characters
    are backslash-escaped.
    """
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow([*report.group_by, *CSV_COLUMNS])
    for group in report.groups:
        writer.writerow([*("" if v is None else csv_safe(v) for v in group.key), *_row(group)])
    if report.calls:
        writer.writerow([*(["(all)"] * len(report.group_by)), *_row(report.total)])
    return out.getvalue()
