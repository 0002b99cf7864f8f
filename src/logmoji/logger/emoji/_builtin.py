"""The registry of built-in emoji sets, instantiated on first use."""

from __future__ import annotations

from functools import cache

from logmoji.logger.emoji.types import EmojiSetConfig

__all__ = ["BUILTIN_SET_NAMES", "builtin_set", "das_set"]

#: The names ``enabled_emoji_sets`` accepts.
BUILTIN_SET_NAMES: tuple[str, ...] = ("database", "http", "llm")


@cache
def _registry() -> dict[str, EmojiSetConfig]:
    from logmoji.logger.emoji.database import DatabaseEmojiSet
    from logmoji.logger.emoji.http import HTTPEmojiSet
    from logmoji.logger.emoji.llm import LLMEmojiSet

    return {s.domain: s for s in (DatabaseEmojiSet(), HTTPEmojiSet(), LLMEmojiSet())}


def builtin_set(domain: str) -> EmojiSetConfig | None:
    """Return the built-in set serving ``domain``, if any."""
    return _registry().get(domain)


@cache
def das_set() -> EmojiSetConfig:
    """Return the DAS core set."""
    from logmoji.logger.emoji.das import DASEmojiSet

    return DASEmojiSet()
