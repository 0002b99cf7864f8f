"""The DAS (Domain-Action-Status) core set, used for any logger without a set of its own.

Its emoji is the action's emoji followed by the status's emoji, each when
known: ``user_login_completed`` → 🔑✅, ``job_started`` → 📋🚀. An event with
neither gets the level's emoji from the resolver (🔍 ℹ️ ⚠️ ❌ 🚨).
"""

from __future__ import annotations

from typing import ClassVar

from logmoji.logger.emoji.types import EmojiRule, RuleBasedEmojiSet

__all__ = ["DAS_STATUS_EMOJIS", "LEVEL_EMOJIS", "DASEmojiSet"]

#: Emoji of each normalized status.
DAS_STATUS_EMOJIS: dict[str, str] = {
    "started": "🚀",
    "success": "✅",
    "failure": "❌",
    "progress": "🔄",
    "cancelled": "🚫",
    "retry": "🔁",
}

#: Emoji of an event that no set recognizes, by level.
LEVEL_EMOJIS: dict[str, str] = {
    "debug": "🔍",
    "info": "ℹ️",
    "warning": "⚠️",
    "error": "❌",
    "critical": "🚨",
}


class DASEmojiSet(RuleBasedEmojiSet):
    """Action emoji plus status emoji, for every domain."""

    domain = "das"
    rules: ClassVar[tuple[EmojiRule, ...]] = (
        EmojiRule("⏰", any_of=("timeout*", "timed")),
        EmojiRule("🔌", any_of=("connect*", "disconnect*", "reconnect*")),
        EmojiRule("🔑", any_of=("auth*", "login", "logout", "token", "credential*")),
        EmojiRule("⚙️", any_of=("init*", "setup", "config*", "startup", "boot*")),
        EmojiRule("⏹️", any_of=("shutdown", "stop*", "exit*", "terminat*")),
        EmojiRule("📤", any_of=("send*", "sent", "publish*", "upload*", "emit*")),
        EmojiRule("📥", any_of=("receiv*", "download*", "fetch*", "consum*")),
        EmojiRule("💾", any_of=("cache*", "save*", "saved", "stor*", "write*", "persist*")),
        EmojiRule("📖", any_of=("read*", "load*", "pars*")),
        EmojiRule("🗑️", any_of=("delet*", "remov*", "purg*", "evict*")),
        EmojiRule("📋", any_of=("task*", "job*", "queue*", "schedul*")),
        EmojiRule("📦", any_of=("batch*", "bulk")),
        EmojiRule("👤", any_of=("user*", "account*", "session*")),
        EmojiRule("📄", any_of=("file*", "document*")),
    )

    def get_emoji(self, action: str, status: str) -> str:
        """Return the action's emoji followed by the status's emoji (either may be missing)."""
        return super().get_emoji(action, status) + DAS_STATUS_EMOJIS.get(status, "")
