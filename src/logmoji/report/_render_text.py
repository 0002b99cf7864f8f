"""Render a report as an aligned terminal table with small unicode charts."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta

from logmoji.logger._text import display_width
from logmoji.report import _format as fmt
from logmoji.report._escape import terminal_safe, terminal_safe_lines
from logmoji.report._model import Report, UsageSummary
from logmoji.report._runs import runs_text

__all__ = ["render_text"]

_BAR_WIDTH = 30
_HEADERS = (
    "calls",
    "failed",
    "in tokens",
    "out tokens",
    "cached",
    "cost",
    "p50",
    "p95",
    "p99",
    "ttft p50",
    "tok/s",
)


def _pad(text: str, width: int, *, right: bool) -> str:
    space = " " * max(0, width - display_width(text))
    return space + text if right else text + space


def _table(rows: Sequence[Sequence[str]], align: str) -> list[str]:
    """Align ``rows`` (the first is the header); ``align`` has ``l`` or ``r`` per column."""
    widths = [max(display_width(row[i]) for row in rows) for i in range(len(rows[0]))]
    out = []
    for row in rows:
        cells = [
            _pad(cell, width, right=side == "r")
            for cell, width, side in zip(row, widths, align, strict=True)
        ]
        out.append("  ".join(cells).rstrip())
    return out


def _label(value: object) -> str:
    """Return a group-key value as text that is safe on a terminal."""
    return terminal_safe(fmt.group_label(value))


def _plural(n: int, word: str) -> str:
    return f"{fmt.count(n)} {word}" if n == 1 else f"{fmt.count(n)} {word}s"


def _numbers(summary: UsageSummary) -> list[str]:
    return [
        fmt.count(summary.requests),
        fmt.percent(summary.error_rate),
        fmt.compact(summary.input_tokens),
        fmt.compact(summary.output_tokens),
        fmt.compact(summary.cached_tokens),
        fmt.usd(summary.cost_usd) if summary.priced_requests else "-",
        fmt.duration_ms(summary.latency_ms.p50),
        fmt.duration_ms(summary.latency_ms.p95),
        fmt.duration_ms(summary.latency_ms.p99),
        fmt.duration_ms(summary.ttft_ms.p50),
        fmt.rate(summary.tokens_per_second.p50),
        fmt.sparkline(summary.latency_histogram),
    ]


def _when(timestamp: str | None) -> str:
    if timestamp is None:
        return "?"
    return timestamp[:19].replace("T", " ")


def _heading(report: Report) -> str:
    sources = len(report.sources)
    where = f"{sources} inputs" if sources != 1 else terminal_safe(report.sources[0])
    if where == "-":
        where = "stdin"
    span = ""
    if report.first is not None:
        span = f" · {_when(report.first)} → {_when(report.last)} UTC"
    return f"🧾 LLM usage · {fmt.count(report.calls)} calls{span} · {where}"


def _errors(report: Report) -> list[str]:
    total = report.total
    if not total.failed and not total.cancelled:
        return []
    lines = [f"Errors: {fmt.count(total.failed)} failed, {fmt.count(total.cancelled)} cancelled"]
    top = max((n for _, n in total.errors), default=0)
    rows = []
    for category, n in total.errors:
        where = [
            f"{'/'.join(_label(v) for v in g.key)} {fmt.count(c)}"
            for g in report.groups
            for cat, c in g.errors
            if cat == category
        ]
        shown = ", ".join(where[:3]) + (f", +{len(where) - 3} more" if len(where) > 3 else "")
        rows.append(
            ["  " + terminal_safe(category), fmt.count(n), fmt.bar(n, top, _BAR_WIDTH // 2), shown]
        )
    lines += _table([["", "", "", ""], *rows], "lrll")[1:]
    return lines


def _unknown(report: Report) -> list[str]:
    unknown = report.total.usage_unknown
    if not unknown:
        return []
    where = ", ".join(
        f"{'/'.join(fmt.group_label(v) for v in g.key)} {fmt.count(g.usage_unknown)}"
        for g in report.groups
        if g.usage_unknown
    )
    return [
        f"Usage unknown: {_plural(unknown, 'call')} logged no token counts ({where}); "
        "the token and cost totals cover the other calls only"
    ]


def _latency(report: Report) -> list[str]:
    counts = report.total.latency_histogram
    if not any(counts):
        return []
    top = max(counts)
    rows = [
        ["  " + label, fmt.count(n), fmt.bar(n, top, _BAR_WIDTH)]
        for label, n in zip(fmt.latency_bucket_labels(), counts, strict=True)
    ]
    lo = next(i for i, n in enumerate(counts) if n)
    hi = max(i for i, n in enumerate(counts) if n)
    return ["Latency, all calls", *_table([["", "", ""], *rows[lo : hi + 1]], "lrl")[1:]]


def _timeline(report: Report) -> list[str]:
    if len(report.timeline) < 2:
        return []
    spark = fmt.sparkline([b.requests for b in report.timeline])
    start = datetime.fromisoformat(report.timeline[0].start)
    end = datetime.fromisoformat(report.timeline[-1].start) + timedelta(
        seconds=report.bucket_seconds
    )
    return [
        f"Calls per {fmt.bucket_unit(report.bucket_seconds)}",
        f"  {start:%Y-%m-%d %H:%M} {spark} {end:%Y-%m-%d %H:%M} UTC",
    ]


def _footer(report: Report) -> str:
    parts = [
        f"{_plural(report.lines, 'line')} read",
        _plural(report.calls, "LLM call"),
        _plural(report.other_events, "other event"),
    ]
    if report.outside_window:
        parts.append(f"{_plural(report.outside_window, 'call')} outside --since/--until")
    parts.append(f"{_plural(report.skipped, 'line')} skipped (malformed or not JSON log events)")
    return ", ".join(parts)


def render_text(report: Report) -> str:
    """Return ``report`` as terminal text: a table per group, errors, latency and time charts.

    Text from the logs (group values, error texts, file names) is written with
    its control characters backslash-escaped, so no escape sequence in a log
    reaches the terminal.
    """
    if report.calls == 0:
        return (
            f"No LLM calls found ({_footer(report)}).\n"
            "A call is an event ending in _completed, _failed or _cancelled with a 'model' "
            "field; see 'logmoji report --help'.\n"
        )
    header = [*report.group_by, *_HEADERS, "latency"]
    rows = [header]
    for group in report.groups:
        rows.append([*(_label(v) for v in group.key), *_numbers(group)])
    if len(report.groups) > 1:
        rows.append(["all", *([""] * (len(report.group_by) - 1)), *_numbers(report.total)])
    table = _table(rows, "l" * len(report.group_by) + "r" * len(_HEADERS) + "l")
    rule = "─" * max(display_width(line) for line in table)
    lines = [_heading(report), "", table[0], rule, *table[1:]]
    if len(report.groups) > 1:
        lines.insert(len(lines) - 1, rule)
    for section in (_unknown(report), _errors(report), _latency(report), _timeline(report)):
        if section:
            lines += ["", *section]
    if report.runs is not None:
        lines += ["", *runs_text(report.runs)]
    lines += ["", _footer(report)]
    # Every cell was made safe above; this pass keeps it so for anything added later.
    return terminal_safe_lines("\n".join(lines)) + "\n"
