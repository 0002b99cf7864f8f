"""Summarize LLM usage from logmoji's JSON-lines logs (what ``logmoji report`` runs).

::

    from logmoji.report import render_text, summarize

    report = summarize(["app.jsonl", "app.jsonl.1.gz"], by=("provider", "model"))
    print(render_text(report))

Which lines count as LLM calls is in :mod:`logmoji.report._calls`
(:func:`call_outcome`); the numbers and the JSON form in
:mod:`logmoji.report._model`.
"""

from logmoji.report._calls import call_outcome, error_category
from logmoji.report._model import Distribution, Report, TimeBucket, UsageSummary, quantile
from logmoji.report._render_csv import render_csv
from logmoji.report._render_html import render_html
from logmoji.report._render_text import render_text
from logmoji.report._summarize import summarize
from logmoji.report._when import parse_when

__all__ = [
    "Distribution",
    "Report",
    "TimeBucket",
    "UsageSummary",
    "call_outcome",
    "error_category",
    "parse_when",
    "quantile",
    "render_csv",
    "render_html",
    "render_text",
    "summarize",
]
