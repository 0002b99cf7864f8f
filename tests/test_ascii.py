"""Tests for the ASCII fallback: bracketed tags instead of emoji."""

from __future__ import annotations

import io
import re
from pathlib import Path

import pytest

from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
from logmoji.exceptions import ConfigurationError
from logmoji.logger.emoji import http
from logmoji.logger.emoji.ascii import ASCII_TAGS, TAG_WIDTH, ascii_tag, emoji_fits
from logmoji.logger.emoji.das import DAS_STATUS_EMOJIS, LEVEL_EMOJIS, DASEmojiSet
from logmoji.logger.emoji.database import DatabaseEmojiSet
from logmoji.logger.emoji.llm import LLMEmojiSet
from logmoji.logger.emoji.types import ERROR_EMOJIS

DOCS = Path(__file__).parent.parent / "docs"


def _builtin_emojis() -> set[str]:
    found = {*DAS_STATUS_EMOJIS.values(), *LEVEL_EMOJIS.values(), *ERROR_EMOJIS.values()}
    found |= {*http.METHOD_EMOJIS.values(), *http._STATUS_CLASS.values()}
    found |= {*http._SPECIAL_STATUS.values(), http.HTTPEmojiSet.default}
    found.add(DatabaseEmojiSet.default)
    for emoji_set in (LLMEmojiSet, http.HTTPEmojiSet, DatabaseEmojiSet, DASEmojiSet):
        found |= {rule.emoji for rule in emoji_set.rules}
    return found


def _setup(environ: dict[str, str], stream: io.TextIOBase | None = None) -> io.TextIOBase:
    out = stream if stream is not None else io.StringIO()
    config = LoggingConfig(stream=out, show_timestamp=False)
    setup_telemetry(TelemetryConfig(logging=config), environ=environ)
    return out


def _log_three() -> None:
    get_logger("llm").info("model_loaded", model="gpt-4")
    get_logger("llm").warning("rate_limit_status", remaining=3)
    get_logger("http").info("http_request_completed", method="POST", status_code=201)


class TestAsciiTag:
    @pytest.mark.parametrize("emoji", sorted(_builtin_emojis()))
    def test_every_builtin_emoji_has_a_tag(self, emoji: str) -> None:
        """Each emoji a built-in set can give becomes a tag of its own, never the unknown one."""
        tag = ascii_tag(emoji)
        assert re.fullmatch(r"\[[A-Z]{2,5}\]", tag)
        assert len(tag) <= TAG_WIDTH
        assert tag != "[LOG]" or emoji == ""

    @pytest.mark.parametrize(
        ("emoji", "tag"),
        [
            ("🧠", "[INFER]"),
            ("🚦", "[RATE]"),
            ("⏱️", "[PERF]"),
            ("📤✅", "[OUT]"),
            ("🔌❌", "[FAIL]"),
            ("📥🚦", "[RATE]"),
            ("🏠", "[LOG]"),
            ("[MINE]", "[MINE]"),
            ("", ""),
        ],
    )
    def test_tags(self, emoji: str, tag: str) -> None:
        """A single, combined, unknown or already-ASCII emoji gets the expected tag."""
        assert ascii_tag(emoji) == tag

    def test_documented(self) -> None:
        """docs/emoji-sets.md lists every tag."""
        text = (DOCS / "emoji-sets.md").read_text(encoding="utf-8")
        for emoji, tag in ASCII_TAGS.items():
            assert re.search(rf"\| {re.escape(emoji)}\ufe0f? \| `\[{tag}\]` \|", text), emoji


class TestFallback:
    def test_environment_variable(self) -> None:
        """LOGMOJI_EMOJI=ascii writes tags padded to one width, so columns stay aligned."""
        out = _setup({"LOGMOJI_EMOJI": "ascii"})
        _log_three()
        lines = out.getvalue().splitlines()
        assert [line[23:31] for line in lines] == ["[MODEL] ", "[RATE]  ", "[OUT]   "]
        events = ("model_loaded", "rate_limit_status", "http_request_completed")
        assert {line.index(event) for line, event in zip(lines, events, strict=True)} == {31}

    def test_automatic_on_ascii_stream(self) -> None:
        """A stream whose encoding cannot take emoji gets tags without being asked."""
        raw = io.BytesIO()
        stream = io.TextIOWrapper(raw, encoding="ascii")
        _setup({}, stream)
        _log_three()
        stream.flush()
        text = raw.getvalue().decode("ascii")
        assert "[MODEL] model_loaded" in text
        assert "\\U" not in text

    def test_utf8_stream_keeps_emoji(self) -> None:
        """A UTF-8 stream keeps the emoji."""
        out = _setup({})
        _log_three()
        assert "🤖 model_loaded" in out.getvalue()

    def test_code_wins(self) -> None:
        """ascii_emoji=False in code keeps emoji even under LOGMOJI_EMOJI=ascii."""
        out = io.StringIO()
        config = LoggingConfig(stream=out, ascii_emoji=False)
        setup_telemetry(TelemetryConfig(logging=config), environ={"LOGMOJI_EMOJI": "ascii"})
        get_logger("llm").info("model_loaded")
        assert "🤖 model_loaded" in out.getvalue()

    def test_bad_value_names_ascii(self) -> None:
        """A bad LOGMOJI_EMOJI value fails, listing ascii among the choices."""
        with pytest.raises(ConfigurationError, match="'ascii'"):
            _setup({"LOGMOJI_EMOJI": "maybe"})

    @pytest.mark.parametrize(
        ("encoding", "fits"), [("utf-8", True), ("ascii", False), ("cp1252", False)]
    )
    def test_emoji_fits(self, encoding: str, fits: bool) -> None:
        """emoji_fits tells encodings that carry emoji from those that cannot."""
        assert emoji_fits(io.TextIOWrapper(io.BytesIO(), encoding=encoding)) is fits
        assert emoji_fits(io.BytesIO()) is True
