"""Tests for logmoji.structlog: logmoji's emoji and console lines in a foreign structlog chain."""

from __future__ import annotations

import io
from collections.abc import Iterator

import pytest
import structlog

import logmoji.structlog
from logmoji.logger import _pipeline


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


@pytest.fixture
def printed() -> Iterator[io.StringIO]:
    """Configure structlog (not logmoji) to print through logmoji's processors."""
    out = io.StringIO()
    structlog.configure(
        processors=[
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso"),
            logmoji.structlog.add_emoji,
            logmoji.structlog.ConsoleRenderer(show_timestamp=False),
        ],
        logger_factory=structlog.PrintLoggerFactory(out),
    )
    yield out
    structlog.reset_defaults()


class TestAddEmoji:
    @pytest.mark.parametrize(
        ("logger", "fields", "expected"),
        [
            (object(), {"event": "model_loaded", "logger": "llm"}, "🤖"),
            (object(), {"event": "model_loaded"}, "📖"),
            (_Named("llm.openai"), {"event": "model_loaded"}, "🤖"),
            (object(), {"event": "inference_failed", "logger": "llm", "error": "timeout"}, "⏰"),
            (object(), {"event": "query_completed", "logger": "db"}, "🔍"),
            (object(), {"event": "model_loaded", "emoji": "🎉"}, "🎉"),
        ],
    )
    def test_domain_from_name_or_logger_field(
        self, logger: object, fields: dict[str, str], expected: str
    ) -> None:
        """The domain comes from the bound logger's name, else the event's logger field."""
        assert logmoji.structlog.add_emoji(logger, "info", dict(fields))["emoji"] == expected


class TestConsoleRenderer:
    def test_print_logger_chain_alone(self, printed: io.StringIO) -> None:
        """structlog's own print logger shows logmoji's line, without setup_telemetry."""
        structlog.get_logger().bind(logger="llm").info("model_loaded", model="gpt-4")
        structlog.get_logger().warning("disk_full", free_mb=3)
        first, second = printed.getvalue().splitlines()
        assert first == f"INFO  {'llm':16} 🤖 {'model_loaded':26} model=gpt-4"
        assert second == f"WARN  {'':16} ⚠️ {'disk_full':26} free_mb=3"
        assert _pipeline._STATE.config is None

    def test_level_field_wins(self) -> None:
        """A level field set by add_log_level picks the level column, then is not a field."""
        renderer = logmoji.structlog.ConsoleRenderer(show_timestamp=False)
        line = renderer(object(), "msg", {"event": "x", "level": "error", "logger": "app"})
        assert line == f"ERROR {'app':16} x"
