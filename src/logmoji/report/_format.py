"""Format the report's numbers for people: counts, tokens, money, durations, bars."""

from __future__ import annotations

import math
from collections.abc import Sequence

from logmoji.report._model import LATENCY_EDGES_MS

__all__ = [
    "bar",
    "bucket_unit",
    "compact",
    "cost",
    "count",
    "duration_ms",
    "group_label",
    "latency_bucket_labels",
    "percent",
    "rate",
    "sparkline",
    "usd",
]

_SPARKS = "▁▂▃▄▅▆▇█"
_EIGHTHS = " ▏▎▍▌▋▊▉"


def count(n: int) -> str:
    """Return ``n`` with thousands separators: ``12,345``."""
    return f"{n:,}"


def compact(n: float) -> str:
    """Return a short form of a big number: ``950``, ``12.3k``, ``4.56M``."""
    for limit, suffix in ((1e9, "B"), (1e6, "M"), (1e3, "k")):
        if abs(n) >= limit:
            value = n / limit
            return f"{value:.3g}{suffix}" if value < 1000 else f"{value:,.0f}{suffix}"
    return f"{n:g}" if isinstance(n, float) else str(n)


def usd(amount: float) -> str:
    """Return dollars with the precision small amounts need: ``$0.00025``, ``$12.35``.

    A cost too small for six decimals is ``<$0.000001``, never ``$0.00``: it was
    priced, and is not nothing.
    """
    if abs(amount) >= 1:
        return f"${amount:,.2f}"
    digits = f"{amount:.6f}".rstrip("0")
    if amount > 0 and digits == "0.":
        return "<$0.000001"
    whole, _, fraction = digits.partition(".")
    return f"${whole}.{fraction.ljust(2, '0')}"


def cost(amount: float, priced_requests: int) -> str:
    """Return a group's cost: ``-`` when none of its calls carried a price, else :func:`usd`."""
    return usd(amount) if priced_requests else "-"


def duration_ms(value: float | None) -> str:
    """Return milliseconds as ``840 ms`` or ``2.35 s``; ``-`` for no value."""
    if value is None:
        return "-"
    if value < 10:
        return f"{value:.2g} ms" if value > 0 else "0 ms"
    if value < 1000:
        return f"{value:.0f} ms"
    if value < 60_000:
        return f"{value / 1000:.3g} s"
    return f"{value / 60_000:.3g} min"


def rate(value: float | None) -> str:
    """Return a tokens-per-second figure: ``71.3``; ``-`` for no value."""
    if value is None:
        return "-"
    return f"{value:.3g}" if value < 1000 else f"{value:,.0f}"


def percent(fraction: float) -> str:
    """Return a fraction as a percentage: ``0%``, ``0.31%``, ``5.0%``."""
    if fraction == 0:
        return "0%"
    value = fraction * 100
    return f"{value:.2g}%" if value < 1 else f"{value:.1f}%"


def bucket_unit(seconds: int) -> str:
    """Return the name of a time bucket's width: ``minute``, ``15 minutes``, ``hour``, ``day``."""
    for size, name in (
        (604800, "week"),
        (86400, "day"),
        (3600, "hour"),
        (60, "minute"),
        (1, "second"),
    ):
        if seconds % size == 0:
            n = seconds // size
            return name if n == 1 else f"{n} {name}s"
    return f"{seconds} seconds"


def group_label(value: object) -> str:
    """Return the text of one group-key value; a missing field shows as ``(none)``."""
    return "(none)" if value is None or value == "" else str(value)


def latency_bucket_labels() -> list[str]:
    """Return the label of each latency histogram bucket: ``<100ms``, ``100–250ms``, ``0.5–1s``…"""

    def pair(low: float, high: float) -> str:
        if high >= 1000:
            return f"{low / 1000:g}–{high / 1000:g}s"
        return f"{low:g}–{high:g}ms"

    edges = LATENCY_EDGES_MS
    first = f"<{edges[0]:g}ms" if edges[0] < 1000 else f"<{edges[0] / 1000:g}s"
    last = f"≥{edges[-1]:g}ms" if edges[-1] < 1000 else f"≥{edges[-1] / 1000:g}s"
    return [first, *(pair(edges[i], edges[i + 1]) for i in range(len(edges) - 1)), last]


def sparkline(values: Sequence[int]) -> str:
    """Return one block character per value, scaled to the largest; zero is a space."""
    top = max(values, default=0)
    if top <= 0:
        return " " * len(values)
    return "".join(
        _SPARKS[max(0, math.ceil(v / top * len(_SPARKS)) - 1)] if v > 0 else " " for v in values
    )


def bar(value: float, top: float, width: int) -> str:
    """Return a horizontal bar of up to ``width`` cells, in eighths of a cell."""
    if top <= 0 or value <= 0:
        return ""
    eighths = max(1, round(value / top * width * 8))
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")
