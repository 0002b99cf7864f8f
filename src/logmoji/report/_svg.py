"""Draw the HTML report's charts as inline SVG: no script, no fonts, no network.

Colours and fonts come from the page's CSS classes (``bar``, ``bar-alt``,
``axis``, ``label``), so the charts follow the page's light or dark theme.
Every piece of text is escaped: labels may be model names or user ids taken
from the logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

__all__ = ["column_chart", "hbar_chart"]

_WIDTH = 720
_ROW = 26
_LABEL_WIDTH = 240
_VALUE_WIDTH = 110
_CHAR_WIDTH = 8  # generous, for 12px text


def _svg(height: int, title: str, body: list[str]) -> str:
    label = escape(title)
    return (
        f'<svg class="chart" viewBox="0 0 {_WIDTH} {height}" width="100%" role="img" '
        f'aria-label="{label}" preserveAspectRatio="xMinYMin meet"><title>{label}</title>'
        + "".join(body)
        + "</svg>"
    )


def _clip(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def hbar_chart(items: Sequence[tuple[str, float, str]], *, title: str) -> str:
    """Return horizontal bars, one row per ``(label, value, value_text)``, longest first."""
    top = max((value for _, value, _ in items), default=0.0)
    span = _WIDTH - _LABEL_WIDTH - _VALUE_WIDTH
    body = []
    for row, (label, value, text) in enumerate(items):
        y = 8 + row * _ROW
        length = 0.0 if top <= 0 else max(1.0, value / top * span)
        body.append(
            f'<text class="label" x="{_LABEL_WIDTH - 8}" y="{y + 15}" text-anchor="end">'
            f"<title>{escape(label)}</title>{escape(_clip(label, 34))}</text>"
            f'<rect class="bar" x="{_LABEL_WIDTH}" y="{y + 3}" width="{length:.1f}" '
            f'height="{_ROW - 8}" rx="2"><title>{escape(label)}: {escape(text)}</title></rect>'
            f'<text class="value" x="{_LABEL_WIDTH + length + 6:.1f}" y="{y + 15}">'
            f"{escape(text)}</text>"
        )
    return _svg(16 + len(items) * _ROW, title, body)


def column_chart(
    labels: Sequence[str],
    values: Sequence[float],
    *,
    title: str,
    overlay: Sequence[float] | None = None,
    overlay_name: str = "",
    value_name: str = "",
    every: int = 1,
) -> str:
    """Return vertical bars of ``values``, with ``overlay`` (say, failures) drawn over them.

    Args:
        labels: One per bar; only every ``every``-th is written under the axis.
        values: Bar heights.
        title: The chart's accessible name.
        overlay: Smaller values drawn over the same bars in the second colour.
        overlay_name: What ``overlay`` counts, for the bars' tooltips.
        value_name: What ``values`` count, for the bars' tooltips.
        every: Write one label in this many.
    """
    height, top_pad, axis_y = 236, 16, 190
    left, right = 56, 12
    n = max(1, len(values))
    slot = (_WIDTH - left - right) / n
    gap = min(6.0, slot * 0.2)
    top = max(values, default=0.0)
    scale = (axis_y - top_pad) / top if top > 0 else 0.0
    stagger = max((len(label) for label in labels), default=0) * _CHAR_WIDTH > slot * every
    body = [
        f'<line class="axis" x1="{left}" y1="{axis_y}" x2="{_WIDTH - right}" y2="{axis_y}"/>',
        f'<text class="label" x="{left - 6}" y="{top_pad + 4}" text-anchor="end">'
        f"{escape(_number(top))}</text>",
        f'<text class="label" x="{left - 6}" y="{axis_y}" text-anchor="end">0</text>',
    ]
    for i, value in enumerate(values):
        x = left + i * slot + gap / 2
        bar_height = value * scale
        tip = f"{labels[i]}: {_number(value)} {value_name}".rstrip()
        extra = overlay[i] if overlay is not None else 0
        if extra:
            tip += f", {_number(extra)} {overlay_name}".rstrip()
        body.append(
            f'<rect class="bar" x="{x:.1f}" y="{axis_y - bar_height:.1f}" width="{slot - gap:.1f}" '
            f'height="{bar_height:.1f}"><title>{escape(tip)}</title></rect>'
        )
        if extra:
            h = extra * scale
            body.append(
                f'<rect class="bar-alt" x="{x:.1f}" y="{axis_y - h:.1f}" '
                f'width="{slot - gap:.1f}" height="{h:.1f}"><title>{escape(tip)}</title></rect>'
            )
        if i % every == 0:
            # Labels wider than their slot take turns on two rows rather than overlap.
            row = (i // every) % 2 if stagger else 0
            body.append(
                f'<text class="label" x="{x + (slot - gap) / 2:.1f}" y="{axis_y + 16 + 14 * row}" '
                f'text-anchor="middle">{escape(labels[i])}</text>'
            )
    return _svg(height, title, body)


def _number(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
