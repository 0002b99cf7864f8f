"""The emoji set interface: :class:`EmojiSetConfig` and the rule data built-in sets are made of.

A set maps an event's *action* and *status* (see :mod:`logmoji.logger.emoji.parse`)
to an emoji string. Subclass :class:`EmojiSetConfig`, set ``domain`` and override
:meth:`~EmojiSetConfig.get_emoji`; calling ``super().get_emoji(action, status)``
falls back to the built-in set of the same domain, then to the DAS core set::

    class CustomLLMEmojiSet(EmojiSetConfig):
        domain = "llm"

        def get_emoji(self, action: str, status: str) -> str:
            if action.startswith("fine_tune"):
                return "🎯" if status == "success" else "💥"
            return super().get_emoji(action, status)
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = ["ERROR_EMOJIS", "EmojiRule", "EmojiSetConfig", "RuleBasedEmojiSet", "words_match"]

#: Emojis chosen by the ``error`` / ``error_type`` fields, whatever the set.
ERROR_EMOJIS: Mapping[str, str] = {
    "timeout": "⏰",
    "rate_limit": "🛑",
    "context_length": "📏",
}


def words_match(patterns: tuple[str, ...], words: tuple[str, ...]) -> bool:
    """Return whether any word matches any pattern (``"load*"`` matches by prefix)."""
    for pattern in patterns:
        if pattern.endswith("*"):
            prefix = pattern[:-1]
            if any(w.startswith(prefix) for w in words):
                return True
        elif pattern in words:
            return True
    return False


@dataclass(frozen=True, slots=True)
class EmojiRule:
    """Match an event when all conditions hold, and give it ``emoji``.

    ``any_of``: at least one word matches (empty: no condition). ``all_of``:
    every pattern matches some word. ``statuses``: the normalized status is one
    of these (empty: any status).
    """

    emoji: str
    any_of: tuple[str, ...] = ()
    all_of: tuple[str, ...] = ()
    statuses: frozenset[str] = frozenset()
    note: str = ""

    def matches(self, words: tuple[str, ...], status: str) -> bool:
        """Return whether this rule applies to ``words`` with ``status``."""
        if self.statuses and status not in self.statuses:
            return False
        if self.any_of and not words_match(self.any_of, words):
            return False
        return all(words_match((p,), words) for p in self.all_of)


class EmojiSetConfig:
    """Base class of emoji sets; subclass it to customize a domain's emojis.

    Attributes:
        domain: The logger domain the set serves (``"llm"`` for loggers named
            ``llm`` or ``llm.*``).
        aliases: Other logger-name first parts that use this set.
        error_emojis: Emojis for classified ``error`` fields (timeout, rate
            limit, context length), which win over :meth:`get_emoji`.
    """

    domain: ClassVar[str] = ""
    aliases: ClassVar[tuple[str, ...]] = ()
    error_emojis: ClassVar[Mapping[str, str]] = ERROR_EMOJIS

    def get_emoji(self, action: str, status: str) -> str:
        """Return the emoji for ``action`` with normalized ``status``.

        The default falls back to the built-in set for :attr:`domain`, then to
        the DAS core set.
        """
        from logmoji.logger.emoji._builtin import builtin_set, das_set

        builtin = builtin_set(self.domain)
        if builtin is not None and type(builtin) is not type(self):
            return builtin.get_emoji(action, status)
        return das_set().get_emoji(action, status)

    def context_key(self, fields: Mapping[str, Any]) -> Hashable:
        """Return the part of ``fields`` that changes the emoji (``None``: nothing does)."""
        return None

    def get_emoji_in_context(self, action: str, status: str, context: Hashable) -> str:
        """Return the emoji given the :meth:`context_key` of the event's fields."""
        return self.get_emoji(action, status)

    def __repr__(self) -> str:
        return f"<{type(self).__name__} domain={self.domain!r}>"


class RuleBasedEmojiSet(EmojiSetConfig):
    """An emoji set defined by an ordered table of :class:`EmojiRule`; the first match wins."""

    rules: ClassVar[tuple[EmojiRule, ...]] = ()
    #: Used when no rule matches; ``""`` defers to the DAS core set.
    default: ClassVar[str] = ""

    def get_emoji(self, action: str, status: str) -> str:
        """Return the emoji of the first rule matching the action's words and ``status``."""
        words = tuple(action.split("_")) if action else ()
        for rule in self.rules:
            if rule.matches(words, status):
                return rule.emoji
        if self.default:
            return self.default
        from logmoji.logger.emoji._builtin import das_set

        das = das_set()
        return "" if das is self else das.get_emoji(action, status)
