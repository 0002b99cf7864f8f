"""Tests that the documentation states what the code does."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from logmoji.logger.emoji.das import DASEmojiSet
from logmoji.logger.emoji.database import DatabaseEmojiSet
from logmoji.logger.emoji.http import HTTPEmojiSet
from logmoji.logger.emoji.llm import LLMEmojiSet
from logmoji.logger.emoji.types import EmojiRule, RuleBasedEmojiSet
from logmoji.testing import FakeLLMProvider

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


README = Path(__file__).parent.parent / "README.md"
_BLOCK = re.compile(r"^```python\n(.*?)^```", re.S | re.M)
# "# ... 🤖 model_loaded" in a snippet's comment: that emoji and event must be printed.
_SHOWN = re.compile(r"#.*?([^\x00-\x7f]+) ([a-z_]+)")


def _readme_blocks() -> list[str]:
    return _BLOCK.findall(README.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def fake_apis() -> Iterator[FakeLLMProvider]:
    """The fake OpenAI and Anthropic APIs the README's SDK snippets talk to."""
    with FakeLLMProvider() as fake:
        yield fake


class TestReadme:
    def test_blocks_found(self) -> None:
        """The README's fenced Python blocks are all found (so none is silently skipped)."""
        assert len(_readme_blocks()) == README.read_text(encoding="utf-8").count("```python")
        assert len(_readme_blocks()) >= 9

    def test_every_variable_in_the_table(self) -> None:
        """Each LOGMOJI_ variable the code reads has a row in the README's table."""
        source = Path(__file__).parent.parent / "src" / "logmoji"
        code = "\n".join(p.read_text(encoding="utf-8") for p in source.rglob("*.py"))
        # LOGMOJI_RUN and LOGMOJI_RUN_PYTHON are how `logmoji run` talks to its child
        # process (set up; which interpreter has logmoji); they are not settings.
        internal = {"LOGMOJI_RUN", "LOGMOJI_RUN_PYTHON"}
        variables = set(re.findall(r"LOGMOJI_[A-Z_]+[A-Z]", code)) - internal
        readme = README.read_text(encoding="utf-8")
        assert {v for v in variables if f"| `{v}` |" not in readme} == set()
        assert "LOGMOJI_JSON_FILE" in variables

    @pytest.mark.parametrize("index", range(len(_readme_blocks())))
    def test_block_runs(self, index: int, tmp_path: Path, fake_apis: FakeLLMProvider) -> None:
        """Each README Python block runs as it is (test functions under pytest), alone."""
        code = _readme_blocks()[index]
        script = tmp_path / f"test_readme_{index}.py"
        script.write_text(code, encoding="utf-8")
        env = {k: v for k, v in os.environ.items() if not k.startswith(("LOGMOJI_", "OTEL_"))} | {
            "OPENAI_BASE_URL": fake_apis.base_url + "/v1",
            "OPENAI_API_KEY": "sk-fake-readme",
            "ANTHROPIC_BASE_URL": fake_apis.base_url,
            "ANTHROPIC_API_KEY": "sk-ant-fake-readme",
        }
        runner = ["-m", "pytest", "-q", "-p", "no:cacheprovider"] if "def test_" in code else []
        result = subprocess.run(
            [sys.executable, *runner, str(script)],
            capture_output=True,
            text=True,
            timeout=60,
            cwd=tmp_path,
            env=env,
            check=False,
        )
        assert result.returncode == 0, result.stdout + result.stderr
        output = result.stdout + result.stderr
        if runner:
            assert f"{code.count('def test_')} passed" in output
        for emoji, event in _SHOWN.findall(code):
            assert f"{emoji.strip()} {event}" in output, (emoji, event, output)
