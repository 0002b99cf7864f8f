"""Read provider rate-limit and retry-after headers into frozen data.

OpenAI sends ``x-ratelimit-{limit,remaining,reset}-{requests,tokens}``; Anthropic
sends ``anthropic-ratelimit-{kind}-{limit,remaining,reset}`` for the kinds
``requests``, ``tokens``, ``input-tokens`` and ``output-tokens``.
Both are folded into one :class:`RateLimitState`, a tuple of :class:`RateLimit`
(one per kind of budget), so callers ask one question: how much is left?
"""

from __future__ import annotations

import contextlib
import math
import re
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime
from typing import Any

__all__ = [
    "RateLimit",
    "RateLimitState",
    "lowest_remaining_ratio",
    "parse_rate_limit_headers",
    "parse_reset_seconds",
    "parse_retry_after",
]

_OPENAI_PREFIX = "x-ratelimit-"
_ANTHROPIC_PREFIX = "anthropic-ratelimit-"
_PREFIXES = (_OPENAI_PREFIX, _ANTHROPIC_PREFIX)
_FIELDS = ("limit", "remaining", "reset")
_ANTHROPIC_KINDS = ("requests", "tokens", "input-tokens", "output-tokens")
_DURATION = re.compile(r"(\d+(?:\.\d+)?)(ms|h|m|s)")


@dataclass(frozen=True, slots=True)
class RateLimit:
    """Describe one budget (requests, tokens, ...) as the server reported it.

    ``reset`` is the header's raw text; :meth:`reset_seconds` reads it.
    """

    kind: str
    limit: int | None = None
    remaining: int | None = None
    reset: str | None = None

    def reset_seconds(self, *, now: Callable[[], datetime] | None = None) -> float | None:
        """Return how long until the budget refills, or ``None`` if unknown."""
        if self.reset is None:
            return None
        return parse_reset_seconds(self.reset, now=now or _utcnow)

    @property
    def remaining_ratio(self) -> float | None:
        """Return the fraction of the budget that is left, or ``None`` if unknown."""
        if self.limit is None or self.remaining is None or self.limit <= 0:
            return None
        return self.remaining / self.limit


@dataclass(frozen=True, slots=True)
class RateLimitState:
    """Hold every budget a response reported, in header order."""

    limits: tuple[RateLimit, ...]

    def get(self, kind: str) -> RateLimit | None:
        """Return the budget named ``kind`` (``"requests"``, ``"tokens"``, ...), if reported."""
        for limit in self.limits:
            if limit.kind == kind:
                return limit
        return None

    @property
    def lowest(self) -> RateLimit | None:
        """Return the budget with the smallest remaining fraction, or ``None``."""
        known = [limit for limit in self.limits if limit.remaining_ratio is not None]
        if not known:
            return None
        return min(known, key=lambda limit: limit.remaining_ratio or 0.0)

    def is_low(self, threshold: float = 0.1) -> bool:
        """Return whether any budget has less than ``threshold`` of its limit left."""
        lowest = self.lowest
        return lowest is not None and (lowest.remaining_ratio or 0.0) < threshold

    def to_fields(self, *, now: Callable[[], datetime] | None = None) -> dict[str, object]:
        """Flatten the state into log fields such as ``requests_remaining``."""
        fields: dict[str, object] = {}
        for limit in self.limits:
            if limit.limit is not None:
                fields[f"{limit.kind}_limit"] = limit.limit
            if limit.remaining is not None:
                fields[f"{limit.kind}_remaining"] = limit.remaining
            seconds = limit.reset_seconds(now=now)
            if seconds is not None:
                fields[f"{limit.kind}_reset_s"] = seconds
            elif limit.reset is not None:
                fields[f"{limit.kind}_reset"] = limit.reset
        lowest = self.lowest
        if lowest is not None and lowest.remaining_ratio is not None:
            fields["lowest_limit"] = lowest.kind
            fields["lowest_remaining_ratio"] = round(lowest.remaining_ratio, 4)
        return fields


def _utcnow() -> datetime:
    return datetime.now(UTC)


def _pairs(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> Iterable[tuple[Any, Any]]:
    """Return the header pairs, as raw bytes when the object has them (httpx: no decoding)."""
    raw = getattr(headers, "raw", None)
    if isinstance(raw, list):
        return raw
    if isinstance(headers, Mapping):
        return headers.items()
    return headers


def _text(value: str | bytes) -> str:
    return value.decode("latin-1") if isinstance(value, bytes) else value


_UNSEEN: Any = object()
_NAMES: dict[str | bytes, tuple[str, str] | None] = {}
"""Header name, as received -> ``(kind, field)``, or ``None`` for other headers."""
_MAX_NAMES = 512


def _classify(name: str | bytes) -> tuple[str, str] | None:
    """Classify a header name and remember it; later responses pay one dict lookup.

    Names are kept as the server sent them (a server spells its headers the same
    way every time), so a known name costs neither decoding nor ``lower()``.
    """
    lowered = name.lower().decode("latin-1") if isinstance(name, bytes) else name.lower()
    split = _split(lowered) if lowered.startswith(_PREFIXES) else None
    if len(_NAMES) >= _MAX_NAMES:  # names come from servers: keep the table bounded
        _NAMES.clear()
    _NAMES[name] = split
    return split


def _limit_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> Iterator[tuple[str, str, Any]]:
    """Yield ``(kind, field, raw value)`` for each rate-limit header, in header order."""
    names = _NAMES
    for raw_name, raw_value in _pairs(headers):
        split = names.get(raw_name, _UNSEEN)
        if split is _UNSEEN:
            split = _classify(raw_name)
        if split is not None:
            yield split[0], split[1], raw_value


def _collect(headers: Mapping[str, str] | Iterable[tuple[str, str]]) -> dict[str, dict[str, str]]:
    """Return the rate-limit header values by kind and field: ``{"tokens": {"limit": ...}}``."""
    found: dict[str, dict[str, str]] = {}
    for kind, field, value in _limit_headers(headers):
        found.setdefault(kind, {})[field] = _text(value)
    return found


def _split(name: str) -> tuple[str, str] | None:
    """Return ``(kind, field)`` for a lower-case rate-limit header name, or ``None``."""
    if name.startswith(_OPENAI_PREFIX):
        field, _, kind = name[len(_OPENAI_PREFIX) :].partition("-")
        if field in _FIELDS and kind:
            return kind.replace("-", "_"), field
        return None
    rest = name[len(_ANTHROPIC_PREFIX) :]
    for kind in _ANTHROPIC_KINDS:
        if rest.startswith(kind) and rest[len(kind) + 1 :] in _FIELDS:
            return kind.replace("-", "_"), rest[len(kind) + 1 :]
    return None


def _to_int(value: str) -> int | None:
    try:
        return int(value.strip())
    except ValueError:
        return None


def _seconds(value: float) -> float | None:
    """Return a delay, never negative; ``None`` for ``nan`` or infinity."""
    return round(max(0.0, value), 3) if math.isfinite(value) else None


def parse_reset_seconds(value: str, *, now: Callable[[], datetime] = _utcnow) -> float | None:
    """Return the seconds until a reset given as ``"6m0s"``/``"20ms"`` or an RFC 3339 time.

    Args:
        value: The header text.
        now: Clock used to turn an absolute time into a delay.

    Returns:
        The delay in seconds (never negative), or ``None`` if the text is unreadable.
    """
    text = value.strip()
    if not text:
        return None
    parts = _DURATION.findall(text)
    if parts and "".join(number + unit for number, unit in parts) == text:
        scale = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0}
        return round(sum(float(number) * scale[unit] for number, unit in parts), 3)
    try:
        return _seconds(float(text))
    except ValueError:
        pass
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(max(0.0, (moment - now()).total_seconds()), 3)


def parse_rate_limit_headers(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> RateLimitState | None:
    """Collect the rate-limit headers of one response.

    Args:
        headers: Response headers (any mapping, ``(name, value)`` pairs, or an
            httpx ``Headers``, read as raw bytes without decoding the others).

    Returns:
        The state, or ``None`` when the response carried no rate-limit header.
    """
    found = _collect(headers)
    if not found:
        return None
    return RateLimitState(
        limits=tuple(
            RateLimit(
                kind=kind,
                limit=_to_int(fields["limit"]) if "limit" in fields else None,
                remaining=_to_int(fields["remaining"]) if "remaining" in fields else None,
                reset=fields.get("reset"),
            )
            for kind, fields in found.items()
        )
    )


def lowest_remaining_ratio(
    headers: Mapping[str, str] | Iterable[tuple[str, str]],
) -> float | None:
    """Return the smallest remaining fraction of any budget in ``headers``, or ``None``.

    The same answer as ``parse_rate_limit_headers(headers).lowest.remaining_ratio``
    without building the state: instrumentation asks this of every response and
    parses the headers in full only when a budget runs low (or debug is on).
    """
    # Every response comes here: the pairs are walked inline, without _limit_headers.
    names = _NAMES
    limits: dict[str, Any] = {}
    remaining: dict[str, Any] = {}
    for raw_name, raw_value in _pairs(headers):
        split = names.get(raw_name, _UNSEEN)
        if split is _UNSEEN:
            split = _classify(raw_name)
        if split is not None:
            if split[1] == "remaining":
                remaining[split[0]] = raw_value
            elif split[1] == "limit":
                limits[split[0]] = raw_value
    lowest: float | None = None
    for kind, left_text in remaining.items():
        total_text = limits.get(kind)
        if total_text is None:
            continue
        try:  # int() reads str and bytes alike, around ASCII spaces
            total, left = int(total_text), int(left_text)
        except ValueError:  # other spaces (NBSP, NEL) are stripped as the full parse does
            total_int, left_int = _to_int(_text(total_text)), _to_int(_text(left_text))
            if total_int is None or left_int is None:
                continue
            total, left = total_int, left_int
        if total > 0 and (lowest is None or left / total < lowest):
            lowest = left / total
    return lowest


def parse_retry_after(
    headers: Mapping[str, str] | Iterable[tuple[str, str]] | None,
    *,
    now: Callable[[], datetime] = _utcnow,
) -> float | None:
    """Return how many seconds the server asked the client to wait, if it said.

    ``retry-after-ms`` (milliseconds) wins over ``retry-after`` (seconds or an
    HTTP date), as the SDKs read them.
    """
    if headers is None:
        return None
    retry_ms: str | None = None
    retry: str | None = None
    for raw_name, value in _pairs(headers):
        name = _text(raw_name).lower()
        if name == "retry-after-ms":
            retry_ms = _text(value)
        elif name == "retry-after":
            retry = _text(value)
    with contextlib.suppress(ValueError):
        if retry_ms is not None and (seconds := _seconds(float(retry_ms) / 1000.0)) is not None:
            return seconds
    if retry is None:
        return None
    with contextlib.suppress(ValueError):
        return _seconds(float(retry))
    try:
        moment = parsedate_to_datetime(retry)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return round(max(0.0, (moment - now()).total_seconds()), 3)
