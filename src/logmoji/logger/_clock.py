"""The renderers' clock: the time now as text, formatted once a second.

:class:`_Clock` reads a clock function and returns the UTC time in ISO 8601
(as text, or as the start of a JSON line) or the local time of day, reusing
the formatted seconds part until the second changes.
"""

from __future__ import annotations

import time
from collections.abc import Callable


class _Clock:
    """Read the clock and format the time, reusing the seconds part within one second."""

    __slots__ = (
        "_local",
        "_local_ms",
        "_local_sec",
        "_local_text",
        "_utc",
        "_utc_prefix",
        "_utc_sec",
        "clock",
    )

    def __init__(self, clock: Callable[[], float]) -> None:
        self.clock = clock
        self._utc_sec = -1
        self._utc = ""
        self._utc_prefix = b""
        self._local_sec = -1
        self._local = ""
        self._local_ms = -1
        self._local_text = ""

    def _new_utc_second(self, sec: int) -> None:
        self._utc = time.strftime("%Y-%m-%dT%H:%M:%S.", time.gmtime(sec))
        self._utc_prefix = b'{"timestamp":"' + self._utc.encode()
        self._utc_sec = sec

    def utc_iso(self) -> str:
        """Return the time now as ``2025-11-27T09:53:29.250000Z``."""
        now = self.clock()
        sec = int(now)
        if sec != self._utc_sec:
            self._new_utc_second(sec)
        # %d truncates the float as int() would, and costs less than int() in an f-string.
        return "%s%06dZ" % (self._utc, (now - sec) * 1_000_000)  # noqa: UP031

    def json_timestamp(self) -> bytes:
        """Return ``{"timestamp":"2025-11-27T09:53:29.250000Z"``: the start of a JSON line."""
        now = self.clock()
        sec = int(now)
        if sec != self._utc_sec:
            self._new_utc_second(sec)
        return b'%s%06dZ"' % (self._utc_prefix, (now - sec) * 1_000_000)

    def local_time(self) -> str:
        """Return the local time now as ``09:53:29.250`` (the same text within a millisecond)."""
        now = self.clock()
        ms = int(now * 1000)
        if ms == self._local_ms:
            return self._local_text
        sec = int(now)
        if sec != self._local_sec:
            self._local = time.strftime("%H:%M:%S.", time.localtime(sec))
            self._local_sec = sec
        self._local_text = text = "%s%03d" % (self._local, (now - sec) * 1000)  # noqa: UP031
        self._local_ms = ms
        return text
