"""Emoji sets: the interface, the built-in sets and the cached resolver."""

from logmoji.logger.emoji.resolve import EmojiResolver
from logmoji.logger.emoji.types import EmojiRule, EmojiSetConfig, RuleBasedEmojiSet

__all__ = ["EmojiResolver", "EmojiRule", "EmojiSetConfig", "RuleBasedEmojiSet"]
