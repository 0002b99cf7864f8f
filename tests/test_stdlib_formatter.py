"""Tests for logmoji.stdlib.EmojiFormatter: logmoji lines from a plain logging set-up."""

from __future__ import annotations

import io
import logging
import logging.config
from collections.abc import Iterator

import orjson
import pytest

from logmoji.exceptions import ConfigurationError
from logmoji.logger import _pipeline
from logmoji.stdlib import EmojiFormatter


def _record(name: str, level: int, msg: str, **extra: object) -> logging.LogRecord:
    record = logging.LogRecord(name, level, __file__, 1, msg, (), None)
    record.__dict__.update(extra)
    record.created = 1_700_000_000.25
    return record


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """A dictConfig'd logger "llm.app" whose handler uses the formatter (and no logmoji set-up)."""
    out = io.StringIO()
    logging.config.dictConfig(
        {
            "version": 1,
            "disable_existing_loggers": False,
            "formatters": {"emoji": {"()": "logmoji.stdlib.EmojiFormatter", "renderer": "json"}},
            "handlers": {
                "out": {"class": "logging.StreamHandler", "formatter": "emoji", "stream": out}
            },
            "loggers": {"llm.app": {"handlers": ["out"], "level": "INFO", "propagate": False}},
        }
    )
    yield out
    logging.getLogger("llm.app").handlers.clear()


class TestEmojiFormatter:
    def test_console_line(self) -> None:
        """A record becomes an aligned console line with its emoji and extra fields."""
        formatter = EmojiFormatter(show_timestamp=False)
        line = formatter.format(_record("llm.openai", logging.INFO, "model_loaded", model="gpt-4"))
        assert line == f"INFO  {'llm.openai':16} 🤖 {'model_loaded':26} model=gpt-4"

    def test_json_line_has_record_time(self) -> None:
        """The JSON line carries the record's own time, level, logger, emoji and fields."""
        formatter = EmojiFormatter(renderer="json")
        record = _record("llm", logging.ERROR, "inference_failed", error="rate_limit_exceeded")
        line = orjson.loads(formatter.format(record))
        assert line == {
            "timestamp": "2023-11-14T22:13:20.250000Z",
            "level": "error",
            "logger": "llm",
            "event": "inference_failed",
            "emoji": "🛑",
            "error": "rate_limit_exceeded",
        }

    def test_secrets_masked(self) -> None:
        """A secret field in extra= is masked."""
        formatter = EmojiFormatter(show_timestamp=False)
        line = formatter.format(_record("app", logging.INFO, "login", api_key="sk-live-123456"))
        assert "sk-live" not in line
        assert "REDACTED" in line

    def test_ascii(self) -> None:
        """ascii_emoji=True writes the tag instead of the emoji."""
        formatter = EmojiFormatter(show_timestamp=False, ascii_emoji=True)
        line = formatter.format(_record("llm", logging.INFO, "model_loaded"))
        assert line == f"INFO  {'llm':16} [MODEL] model_loaded"

    def test_from_dict_config(self, stream: io.StringIO) -> None:
        """Built by dictConfig, it formats a logger's records, extra= included, alone."""
        logging.getLogger("llm.app").info("model_loaded", extra={"model": "gpt-4"})
        line = orjson.loads(stream.getvalue())
        assert (line["event"], line["emoji"], line["model"]) == ("model_loaded", "🤖", "gpt-4")
        assert _pipeline._STATE.config is None

    def test_bad_renderer(self) -> None:
        """An unknown renderer name fails, saying which exist."""
        with pytest.raises(ConfigurationError, match="'console' or 'json'"):
            EmojiFormatter(renderer="xml")
