"""Render a report as one self-contained HTML page.

The page has inline CSS and inline SVG charts (cost per group, latency
distribution, calls over time) and nothing else: no script, no web fonts, no
link to any other file or address, so it opens the same in any browser,
offline, and can be mailed as it is. Every value taken from the logs is
escaped.
"""

from __future__ import annotations

from datetime import UTC, datetime
from html import escape

from logmoji import __version__
from logmoji.report import _format as fmt
from logmoji.report._model import Report, UsageSummary
from logmoji.report._runs import runs_html
from logmoji.report._svg import column_chart, hbar_chart

__all__ = ["render_html"]

_MAX_BARS = 25
_CSS = """
:root { color-scheme: light dark; --fg: #1d2330; --muted: #5d6675; --bg: #fff;
  --card: #f4f6f9; --line: #dde2ea; --bar: #4c78c8; --alt: #d9534f; }
@media (prefers-color-scheme: dark) { :root { --fg: #e4e8ef; --muted: #9aa3b2;
  --bg: #161a21; --card: #1f2530; --line: #303846; --bar: #6f9be8; --alt: #ef6f6a; } }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1440px; padding: 24px; font: 14px/1.45 system-ui,
  -apple-system, "Segoe UI", Roboto, sans-serif; color: var(--fg); background: var(--bg); }
h1 { font-size: 22px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; }
.meta, footer { color: var(--muted); } footer { margin-top: 28px; font-size: 13px; }
.cards { display: grid; grid-template-columns: repeat(auto-fit, minmax(128px, 1fr));
  gap: 10px; margin-top: 16px; }
.card { background: var(--card); border-radius: 8px; padding: 10px 14px; }
.card b { display: block; font-size: 20px; } .card span { color: var(--muted); font-size: 12px; }
.scroll { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; font-size: 13px;
  font-variant-numeric: tabular-nums; }
th, td { padding: 5px 6px; border-bottom: 1px solid var(--line); white-space: nowrap; }
th { vertical-align: bottom; white-space: normal; } td { vertical-align: top; }
td.wrap { white-space: normal; min-width: 9em; max-width: 15em; }
td.key { white-space: normal; overflow-wrap: anywhere; min-width: 6em; }
th { text-align: left; color: var(--muted); font-weight: 600; }
td.n, th.n { text-align: right; } tr.all td { font-weight: 600; }
svg.chart { display: block; width: 100%; max-width: 900px; height: auto; }
svg .bar { fill: var(--bar); } svg .bar-alt { fill: var(--alt); }
svg .axis { stroke: var(--line); } svg .label, svg .value { fill: var(--muted); font-size: 12px; }
.legend i { display: inline-block; width: 10px; height: 10px; margin: 0 4px 0 12px;
  background: var(--bar); } .legend i.alt { background: var(--alt); }
"""
# (name, numeric); "errors" may wrap: its list of categories is the one long cell.
_COLUMNS = (
    ("calls", True),
    ("failed", True),
    ("errors", False),
    ("in tokens", True),
    ("out tokens", True),
    ("cached", True),
    ("cost", True),
    ("p50", True),
    ("p95", True),
    ("p99", True),
    ("ttft p50", True),
    ("tok/s p50", True),
)


def _label(report: Report, summary: UsageSummary) -> str:
    return " / ".join(fmt.group_label(v) for v in summary.key) or "all"


def _cells(summary: UsageSummary) -> list[str]:
    errors = ", ".join(f"{category} {fmt.count(n)}" for category, n in summary.errors)
    return [
        fmt.count(summary.requests),
        f"{fmt.count(summary.failed)} ({fmt.percent(summary.error_rate)})",
        errors or "-",
        fmt.count(summary.input_tokens),
        fmt.count(summary.output_tokens),
        fmt.count(summary.cached_tokens),
        fmt.cost(summary.cost_usd, summary.priced_requests),
        fmt.duration_ms(summary.latency_ms.p50),
        fmt.duration_ms(summary.latency_ms.p95),
        fmt.duration_ms(summary.latency_ms.p99),
        fmt.duration_ms(summary.ttft_ms.p50),
        fmt.rate(summary.tokens_per_second.p50),
    ]


def _table(report: Report) -> str:
    head = "".join(f"<th>{escape(name)}</th>" for name in report.group_by)
    head += "".join(
        f'<th class="n">{name}</th>' if numeric else f'<th class="wrap">{name}</th>'
        for name, numeric in _COLUMNS
    )
    rows = []
    summaries = [*report.groups, report.total] if len(report.groups) > 1 else [*report.groups]
    for summary in summaries:
        is_total = summary is report.total
        if is_total:
            keys = ["all", *[""] * (len(report.group_by) - 1)]
        else:
            keys = [fmt.group_label(v) for v in summary.key]
        cells = "".join(f'<td class="key">{escape(key)}</td>' for key in keys)
        cells += "".join(
            f'<td class="n">{escape(text)}</td>'
            if numeric
            else f'<td class="wrap">{escape(text)}</td>'
            for text, (_, numeric) in zip(_cells(summary), _COLUMNS, strict=True)
        )
        rows.append(f'<tr class="all">{cells}</tr>' if is_total else f"<tr>{cells}</tr>")
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>'


def _cards(report: Report) -> str:
    total = report.total
    cards = [
        (fmt.count(total.requests), "LLM calls"),
        (fmt.percent(total.error_rate), f"failed ({fmt.count(total.failed)})"),
        (fmt.cost(total.cost_usd, total.priced_requests), "cost"),
        (fmt.compact(total.input_tokens), "input tokens"),
        (fmt.compact(total.output_tokens), "output tokens"),
        (fmt.duration_ms(total.latency_ms.p50), "latency p50"),
        (fmt.duration_ms(total.latency_ms.p95), "latency p95"),
    ]
    inner = "".join(
        f'<div class="card"><b>{escape(v)}</b><span>{escape(k)}</span></div>' for v, k in cards
    )
    return f'<section class="cards">{inner}</section>'


def _cost_chart(report: Report) -> str:
    groups = sorted(report.groups, key=lambda g: -g.cost_usd)
    items = [
        (_label(report, g), g.cost_usd, fmt.cost(g.cost_usd, g.priced_requests))
        for g in groups[:_MAX_BARS]
    ]
    if len(groups) > _MAX_BARS:
        rest = groups[_MAX_BARS:]
        total = sum(g.cost_usd for g in rest)
        priced = sum(g.priced_requests for g in rest)
        items.append((f"{len(rest)} more", total, fmt.cost(total, priced)))
    title = f"Cost per {', '.join(report.group_by)}"
    note = ""
    if not report.total.priced_requests:
        note = '<p class="meta">No call carried a cost_usd field.</p>'
    return f"<h2>{escape(title)}</h2>{note}" + hbar_chart(items, title=title)


def _latency_chart(report: Report) -> str:
    labels = fmt.latency_bucket_labels()
    title = "Latency distribution (all calls)"
    chart = column_chart(labels, report.total.latency_histogram, title=title, value_name="calls")
    return f"<h2>{escape(title)}</h2>{chart}"


def _time_chart(report: Report) -> str:
    buckets = report.timeline
    title = f"Calls per {fmt.bucket_unit(report.bucket_seconds)} (UTC)"
    if not buckets:
        return f'<h2>{escape(title)}</h2><p class="meta">No call had a timestamp.</p>'
    days = {b.start[:10] for b in buckets}
    if report.bucket_seconds >= 86400:
        pattern = "%Y-%m-%d"
    else:
        pattern = "%H:%M" if len(days) == 1 else "%m-%d %H:%M"
        if report.bucket_seconds < 60:
            pattern += ":%S"
    labels = [datetime.fromisoformat(b.start).strftime(pattern) for b in buckets]
    chart = column_chart(
        labels,
        [b.requests for b in buckets],
        overlay=[b.failed for b in buckets],
        title=title,
        value_name="calls",
        overlay_name="failed",
        every=max(1, -(-len(buckets) // 8)),
    )
    legend = '<p class="legend meta"><i></i>calls<i class="alt"></i>failed</p>'
    return f"<h2>{escape(title)}</h2>{chart}{legend}"


def _span(report: Report) -> str:
    if report.first is None or report.last is None:
        return ""
    return f" · {report.first[:19].replace('T', ' ')} → {report.last[:19].replace('T', ' ')} UTC"


def render_html(report: Report, *, generated: datetime | None = None) -> str:
    """Return ``report`` as a self-contained HTML page."""
    when = (generated or datetime.now(UTC)).strftime("%Y-%m-%d %H:%M UTC")
    sources = ", ".join("stdin" if s == "-" else s for s in report.sources)
    span = _span(report)
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<title>logmoji report: LLM usage</title>",
        f"<style>{_CSS}</style></head><body>",
        "<header><h1>🧾 LLM usage</h1>",
        f'<p class="meta">{escape(sources)}{escape(span)}</p></header>',
    ]
    if report.calls == 0:
        parts.append("<p>No LLM calls found.</p>")
    else:
        parts += [
            _cards(report),
            f"<h2>By {escape(', '.join(report.group_by))}</h2>",
            _table(report),
            _cost_chart(report),
            _latency_chart(report),
            _time_chart(report),
        ]
        if report.runs is not None:
            parts.append(runs_html(report.runs))
    footer = (
        f"{fmt.count(report.lines)} lines read: {fmt.count(report.calls)} LLM calls, "
        f"{fmt.count(report.other_events)} other events, {fmt.count(report.skipped)} lines "
        "skipped (malformed or not JSON log events)"
    )
    if report.outside_window:
        footer += f", {fmt.count(report.outside_window)} calls outside the time window"
    parts.append(
        f"<footer>{escape(footer)}. Made by logmoji {escape(__version__)} on {when}.</footer>"
    )
    parts.append("</body></html>")
    return "\n".join(parts) + "\n"
