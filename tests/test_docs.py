"""Tests that the documentation states what the code does."""

from __future__ import annotations

from pathlib import Path

import pytest

from logmoji.logger.emoji.das import DASEmojiSet
from logmoji.logger.emoji.database import DatabaseEmojiSet
from logmoji.logger.emoji.http import HTTPEmojiSet
from logmoji.logger.emoji.llm import LLMEmojiSet
from logmoji.logger.emoji.types import EmojiRule, RuleBasedEmojiSet

DOCS = Path(__file__).parent.parent / "docs"


def _row(rule: EmojiRule) -> str:
    cond = []
    if rule.statuses:
        cond.append("status " + "/".join(sorted(rule.statuses)))
    if rule.all_of:
        cond.append("all of " + ", ".join(f"`{w}`" for w in rule.all_of))
    if rule.any_of:
        cond.append("any of " + ", ".join(f"`{w}`" for w in rule.any_of))
    return f"| {rule.emoji} | {'; '.join(cond)} | {rule.note} |"


class TestEmojiSetsDoc:
    @pytest.mark.parametrize(
        "emoji_set", [LLMEmojiSet, HTTPEmojiSet, DatabaseEmojiSet, DASEmojiSet]
    )
    def test_every_rule_documented_in_order(self, emoji_set: type[RuleBasedEmojiSet]) -> None:
        """docs/emoji-sets.md lists each rule of each built-in set, in the order tried."""
        text = (DOCS / "emoji-sets.md").read_text(encoding="utf-8")
        positions = [text.find(_row(rule)) for rule in emoji_set.rules]
        assert -1 not in positions
        assert positions == sorted(positions)

    def test_aliases_documented(self) -> None:
        """Each set's logger-name aliases are listed."""
        text = (DOCS / "emoji-sets.md").read_text(encoding="utf-8")
        for emoji_set in (LLMEmojiSet, HTTPEmojiSet, DatabaseEmojiSet):
            assert ", ".join(f"`{a}`" for a in emoji_set.aliases) in text
