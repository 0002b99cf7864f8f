"""The ASCII fallback: short bracketed tags for terminals that cannot show emoji.

Some CI logs, the Windows legacy console and minimal containers have no emoji
font, or an output encoding that cannot carry emoji at all. There each emoji
becomes a tag of at most five letters in brackets (``🧠`` → ``[INFER]``,
``🚦`` → ``[RATE]``), and the console renderer pads every tag to the same
width, so the columns stay aligned.

A combined emoji (an action and a status, ``🔑✅``) becomes one tag: the
status's when it is bad news (``🔌❌`` → ``[FAIL]``, ``📥🚦`` → ``[RATE]``),
else the action's (``📤✅`` → ``[OUT]``). An emoji the table does not know
(one from a custom set) becomes ``[LOG]``.

:func:`asciify_emoji` is the processor that does it, after the emoji
resolver; ``LOGMOJI_EMOJI=ascii`` puts it in the chain, and so does an output
stream whose encoding cannot encode emoji (see :func:`emoji_fits`).
"""

from __future__ import annotations

from collections.abc import Mapping, MutableMapping
from typing import Any

__all__ = ["ASCII_TAGS", "TAG_WIDTH", "ascii_tag", "asciify_emoji", "emoji_fits"]

#: The tag of each emoji of the built-in sets (variation selectors left out).
ASCII_TAGS: Mapping[str, str] = {
    # llm
    "🤖": "MODEL",
    "🧠": "INFER",
    "📚": "TRAIN",
    "🎓": "GRAD",
    "💭": "REQ",
    "⚡": "GEN",
    "✨": "RESP",
    "🌊": "STRM",
    "🔢": "TOKEN",
    "⏱": "PERF",
    "💰": "COST",
    "🚦": "RATE",
    "⏰": "TIME",
    "🛑": "LIMIT",
    "💥": "ERROR",
    "📏": "CTX",
    "💾": "STORE",
    "📦": "BATCH",
    "🚫": "CNCL",
    "🧭": "AGENT",
    "🔧": "TOOL",
    # http
    "📥": "IN",
    "📤": "OUT",
    "📝": "PUT",
    "🩹": "PATCH",
    "🗑": "DEL",
    "👀": "HEAD",
    "⚙": "CONF",
    "✅": "OK",
    "↪": "REDIR",
    "🔒": "LOCK",
    "🔥": "ERROR",
    "🔁": "RETRY",
    "🔌": "CONN",
    "🌐": "HTTP",
    "📨": "HTTP",
    # database
    "🐢": "SLOW",
    "↩": "UNDO",
    "🔐": "TXN",
    "🏗": "DDL",
    "✏": "WRITE",
    "🗄": "DB",
    "🔍": "FIND",
    # das core and levels
    "🔑": "AUTH",
    "⏹": "STOP",
    "📖": "READ",
    "📋": "TASK",
    "👤": "USER",
    "📄": "FILE",
    "🚀": "START",
    "🔄": "PROG",
    "❌": "FAIL",
    "ℹ": "INFO",
    "⚠": "WARN",
    "🚨": "ALERT",
}
#: The columns a tag takes on a console line: the longest, ``[XXXXX]``.
TAG_WIDTH = 7
#: Statuses that win over the action in a combined emoji: they are the news.
_BAD_NEWS = frozenset({"FAIL", "ERROR", "RATE", "LOCK", "WARN", "CNCL", "RETRY", "FIND", "LIMIT"})
_IGNORED = frozenset({"\ufe0f", "\ufe0e", "\u200d"})
_UNKNOWN = "LOG"
_CACHE: dict[str, str] = {}


def ascii_tag(emoji: str) -> str:
    """Return the bracketed tag of ``emoji``: ``"🧠"`` → ``"[INFER]"``, ``""`` → ``""``."""
    if emoji.isascii():  # already text: a tag, or the caller's own
        return emoji
    words = [ASCII_TAGS.get(ch, _UNKNOWN) for ch in emoji if ch not in _IGNORED]
    if not words:
        return ""
    bad = [w for w in words[1:] if w in _BAD_NEWS]
    return f"[{bad[-1] if bad else words[0]}]"


def asciify_emoji(
    logger: Any, method_name: str, event_dict: MutableMapping[str, Any]
) -> MutableMapping[str, Any]:
    """Replace the event's ``emoji`` with its ASCII tag; a structlog processor."""
    emoji = event_dict.get("emoji")
    if type(emoji) is str and emoji:
        tag = _CACHE.get(emoji)
        if tag is None:
            tag = ascii_tag(emoji)
            if len(_CACHE) < 1024:
                _CACHE[emoji] = tag
        event_dict["emoji"] = tag
    return event_dict


def emoji_fits(stream: object) -> bool:
    """Return whether text written to ``stream`` can carry emoji (binary streams can)."""
    encoding = getattr(stream, "encoding", None)
    if not isinstance(encoding, str):
        return True
    try:
        "🧠⚠️".encode(encoding)
    except (UnicodeError, LookupError):
        return False
    return True
