"""The HTTP emoji set: the request method and the response's status class.

The emoji is the method's emoji followed by the status class's emoji, read
from the ``method`` and ``status_code`` (or ``status``) fields:
``http_request_completed method=POST status_code=201`` → 📤✅. 429 is 🚦 and
5xx is 🔥. Without those fields the event name decides (see the rules).
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from typing import Any, ClassVar

from logmoji.logger.emoji.types import EmojiRule, RuleBasedEmojiSet

__all__ = ["METHOD_EMOJIS", "HTTPEmojiSet", "status_class_emoji"]

METHOD_EMOJIS: dict[str, str] = {
    "GET": "📥",
    "POST": "📤",
    "PUT": "📝",
    "PATCH": "🩹",
    "DELETE": "🗑️",
    "HEAD": "👀",
    "OPTIONS": "⚙️",
}

_STATUS_CLASS: dict[int, str] = {1: "ℹ️", 2: "✅", 3: "↪️", 4: "⚠️", 5: "🔥"}
_SPECIAL_STATUS: dict[int, str] = {401: "🔒", 403: "🔒", 404: "🔍", 429: "🚦"}


def status_class_emoji(status: int) -> str:
    """Return the emoji of an HTTP status code (``""`` when it is not one)."""
    return _SPECIAL_STATUS.get(status) or _STATUS_CLASS.get(status // 100, "")


class HTTPEmojiSet(RuleBasedEmojiSet):
    """Emojis for HTTP clients and servers."""

    domain = "http"
    aliases = (
        "https",
        "httpx",
        "httpx2",
        "httpcore",
        "httpcore2",
        "requests",
        "urllib3",
        "aiohttp",
        "uvicorn",
        "web",
        "api",
    )
    rules: ClassVar[tuple[EmojiRule, ...]] = (
        EmojiRule("⏰", any_of=("timeout*", "timed")),
        EmojiRule("🚦", all_of=("rate*", "limit*")),
        EmojiRule("🔁", statuses=frozenset({"retry"})),
        EmojiRule("🔥", statuses=frozenset({"failure"})),
        EmojiRule("🔌", any_of=("connect*", "disconnect*")),
        EmojiRule("🌐", any_of=("request*",), statuses=frozenset({"started"})),
        EmojiRule("📨", any_of=("request*", "response*")),
    )
    default = "🌐"

    def context_key(self, fields: Mapping[str, Any]) -> Hashable:
        """Return the method and the status code, when present."""
        method = fields.get("method")
        status = fields.get("status_code", fields.get("status"))
        if method is None and status is None:
            return None
        m = method.upper() if isinstance(method, str) else None
        s = status if isinstance(status, int) and not isinstance(status, bool) else None
        return (m, s)

    def get_emoji_in_context(self, action: str, status: str, context: Hashable) -> str:
        """Return the method's emoji followed by the status class's emoji."""
        if not isinstance(context, tuple):
            return self.get_emoji(action, status)
        method, code = context
        emoji = METHOD_EMOJIS.get(method, "") if method else ""
        if code is not None:
            emoji += status_class_emoji(code)
        return emoji or self.get_emoji(action, status)
