"""Read times: what ``--since`` and ``--until`` accept (ISO, or ``30m`` ago), and log timestamps."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

__all__ = ["canonical_timestamp", "parse_when"]

_DURATION = re.compile(r"(\d+(?:\.\d+)?)\s*(s|sec|m|min|h|hr|d|w)", re.IGNORECASE)
_UNIT_SECONDS = {
    "s": 1,
    "sec": 1,
    "m": 60,
    "min": 60,
    "h": 3600,
    "hr": 3600,
    "d": 86400,
    "w": 604800,
}


def parse_when(text: str, *, now: datetime | None = None) -> datetime:
    """Return the moment ``text`` names, as an aware UTC datetime.

    ``text`` is an ISO 8601 date or time (``2026-11-27``, ``2026-11-27T10:30``,
    ``2026-11-27 10:30:00+01:00``; without an offset it is UTC, as logmoji's
    timestamps are) or a duration before ``now``: a number and a unit ``s``,
    ``m``, ``h``, ``d`` or ``w`` (``90s``, ``30m``, ``1.5h``, ``7d``, ``2w``).

    Raises:
        ValueError: ``text`` is neither; the message shows what to write.
    """
    cleaned = text.strip()
    match = _DURATION.fullmatch(cleaned)
    if match is not None:
        amount = float(match.group(1)) * _UNIT_SECONDS[match.group(2).lower()]
        current = now if now is not None else datetime.now(UTC)
        try:
            return current.astimezone(UTC) - timedelta(seconds=amount)
        except OverflowError:
            raise ValueError(f"{text!r} reaches back before the year 1") from None
    try:
        moment = datetime.fromisoformat(cleaned)
    except ValueError:
        raise ValueError(
            f"{text!r} is not a time: write an ISO date or time such as 2026-11-27 or "
            "2026-11-27T10:30 (UTC unless an offset is given), or a duration ago such as "
            "30m, 1h or 7d"
        ) from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC)


def canonical_timestamp(value: object) -> str | None:
    """Return ``value`` as ``YYYY-MM-DDTHH:MM:SS.ffffffZ`` (UTC), or ``None`` if it is no time.

    Accepts ISO 8601 text (naive means UTC, like logmoji's own timestamps) and
    seconds since the epoch (structlog's ``TimeStamper(fmt=None)``).
    """
    try:
        if isinstance(value, str):
            moment = datetime.fromisoformat(value)
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        elif isinstance(value, int | float) and not isinstance(value, bool):
            moment = datetime.fromtimestamp(value, UTC)
        else:
            return None
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    except (ValueError, OverflowError, OSError):  # not a time, or out of datetime's range
        return None
