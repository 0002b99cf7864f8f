"""Tests for logmoji.pretty: JSON log lines back to console lines, and following a file."""

from __future__ import annotations

import io
import itertools
import os
import time
from pathlib import Path
from typing import Any

import orjson
import pytest
import structlog

from logmoji import LoggingConfig, get_logger
from logmoji.exceptions import ConfigurationError
from logmoji.logger import core
from logmoji.logger.emoji._builtin import BUILTIN_SET_NAMES, builtin_set
from logmoji.logger.emoji.resolve import EmojiResolver
from logmoji.logger.render import ConsoleRenderer, JSONRenderer
from logmoji.pretty import _NO_TIME, _tail_start, follow_lines, render_lines

T = 1_795_775_451.25  # 2026-11-27T10:30:51.250000Z


def local(epoch: float) -> str:
    """Return the console renderer's time column for ``epoch``."""
    return time.strftime("%H:%M:%S", time.localtime(epoch)) + f".{round(epoch % 1 * 1000):03d}"


def one(line: str | dict[str, Any], **options: Any) -> str:
    """Render one line (a dict is dumped as JSON first)."""
    text = orjson.dumps(line).decode() if isinstance(line, dict) else line
    out = list(render_lines([text], **options))
    assert len(out) == 1, out
    return out[0]


def emit(formatter: str, calls: list[tuple[str, str, str, dict[str, Any]]]) -> list[str]:
    """Log ``calls`` through real loggers at time T; return the lines written."""
    stream = io.StringIO()
    resolved = LoggingConfig(
        formatter=formatter, stream=stream, default_level="DEBUG", colors=False
    ).resolve({})
    renderer: Any = (
        JSONRenderer(clock=lambda: T)
        if formatter == "json"
        else ConsoleRenderer(clock=lambda: T, colors=False)
    )
    processors, _, _ = core.build_processors(resolved, renderer=renderer)
    core.configure(resolved, processors=processors)
    for name, level, event, fields in calls:
        getattr(get_logger(name), level)(event, **fields)
    return stream.getvalue().splitlines()


CALLS: list[tuple[str, str, str, dict[str, Any]]] = [
    ("llm.openai", "info", "chat_request_completed", {"model": "gpt-4o", "prompt_tokens": 10}),
    ("llm.openai", "error", "chat_request_failed", {"model": "gpt-4o", "error": "timeout"}),
    ("llm", "warning", "high_cost_request", {"cost_usd": 5.5, "threshold_usd": 1.0}),
    ("app", "debug", "cache_hit", {"key": "a b", "n": None, "ok": True}),
    ("db", "info", "query_completed", {}),
]


class TestRenderLines:
    def test_same_as_the_console(self) -> None:
        """A logmoji JSON line renders exactly as the console logger printed it."""
        json_lines = emit("json", CALLS)
        console_lines = emit("console", CALLS)
        assert list(render_lines(json_lines)) == console_lines

    def test_line_time_not_now(self) -> None:
        """The time shown is the line's own timestamp, in local time."""
        line = {"timestamp": "2026-11-27T10:30:51.250000Z", "level": "info", "event": "x"}
        assert one(line).startswith(local(T) + " INFO ")

    def test_structlog_json_gets_an_emoji(self) -> None:
        """Plain structlog JSON without an emoji gets the one logmoji would choose."""
        stream = io.StringIO()
        structlog.configure(
            processors=[
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso", utc=True),
                structlog.processors.JSONRenderer(),
            ],
            logger_factory=structlog.PrintLoggerFactory(stream),
        )
        try:
            structlog.get_logger().info("cache_hit", model="gpt-4o")
        finally:
            structlog.reset_defaults()
        data = orjson.loads(stream.getvalue())
        data["logger"] = "llm"
        rendered = one(data)
        assert " INFO  llm              💾 cache_hit " in rendered
        assert rendered.endswith("model=gpt-4o")
        assert "timestamp=" not in rendered
        assert "level=" not in rendered

    @pytest.mark.parametrize(
        ("line", "emoji"),
        [
            ({"event": "chat_request_failed", "logger": "llm.openai", "level": "error"}, "💥"),
            (
                {"event": "x_failed", "logger": "llm", "level": "error", "error": "rate_limit"},
                "🛑",
            ),
            ({"event": "model_load_started", "logger": "llm", "log_level": "info"}, "🤖"),
            ({"event": "query_completed", "logger": "db"}, None),
        ],
    )
    def test_emoji_like_the_logger(self, line: dict[str, Any], emoji: str | None) -> None:
        """The emoji comes from logger name, event and error fields, as when logging."""
        resolver = EmojiResolver(s for s in map(builtin_set, BUILTIN_SET_NAMES) if s)
        level = line.get("level", line.get("log_level", "info"))
        expected = emoji or resolver.emoji_for(line["logger"], line["event"], level)
        assert f" {expected} {line['event']}" in one(line)

    def test_existing_emoji_kept(self) -> None:
        """An emoji already in the line is shown as it is."""
        assert " 🦄 party" in one({"event": "party", "emoji": "🦄", "level": "info"})

    @pytest.mark.parametrize(
        "line",
        [
            "plain text line",
            "",
            "[1, 2, 3]",
            '{"event": "cut short',
            "  indented text  ",
            "2026-11-27 10:30:51 INFO something happened",
        ],
    )
    def test_passthrough(self, line: str) -> None:
        """Lines that are not JSON objects come out unchanged."""
        assert one(line) == line

    def test_line_ends_removed(self) -> None:
        """Line ends (LF or CRLF) are dropped; bytes are decoded."""
        out = list(render_lines([b"text\r\n", "more\n", b"\xff\n"]))
        assert out == ["text", "more", "\ufffd"]

    def test_level_filter(self) -> None:
        """min_level hides lower levels; unknown levels are never hidden."""
        lines = [
            orjson.dumps({"event": name, "level": level}).decode()
            for name, level in [
                ("a", "debug"),
                ("b", "info"),
                ("c", "warning"),
                ("d", "error"),
                ("e", "critical"),
                ("f", "notice"),
                ("g", "verbose"),
                ("h", "WARN"),
            ]
        ]
        shown = [line.split()[2] for line in render_lines(lines, min_level="warning")]
        assert shown == ["c", "d", "e", "g", "h"]

    def test_module_levels(self) -> None:
        """Levels per logger prefix work as in the logger: the longest prefix wins."""
        lines = [
            orjson.dumps({"event": f"e{i}", "level": "info", "logger": name}).decode()
            for i, name in enumerate(["httpx", "httpx.client", "llm.openai", "llm", "app"])
        ]
        out = render_lines(
            lines,
            min_level="info",
            module_levels={"httpx": "warning", "httpx.client": "info", "llm.openai": "error"},
        )
        assert [line.split()[3] for line in out] == ["e1", "e3", "e4"]

    def test_bad_level(self) -> None:
        """A level that is not a level name raises ConfigurationError."""
        with pytest.raises(ConfigurationError, match="min_level"):
            list(render_lines(["x"], min_level="loud"))

    @pytest.mark.parametrize(
        ("timestamp", "shown"),
        [
            (T, local(T)),
            ("2026-11-27T10:30:51.250+00:00", local(T)),
            ("2026-11-27T11:30:51.250+01:00", local(T)),
            (None, " " * 12),
            ("not a time", " " * 12),
        ],
    )
    def test_timestamps(self, timestamp: object, shown: str) -> None:
        """ISO and epoch timestamps are shown; a line without one keeps the columns aligned."""
        line: dict[str, Any] = {"event": "x", "level": "info"}
        if timestamp is not None:
            line["timestamp"] = timestamp
        rendered = one(line)
        assert rendered.startswith(shown + " INFO ")
        assert ("timestamp=" in rendered) is (timestamp == "not a time")

    def test_message_keys(self) -> None:
        """Lines using message or msg instead of event are shown all the same."""
        assert one({"message": "hello", "level": "info"}).endswith(" hello")
        assert one({"msg": "hi", "level": "info", "x": 1}).split()[2:] == ["hi", "x=1"]

    def test_line_without_logger_keeps_columns(self) -> None:
        """A line without a logger leaves that column blank: its emoji and event align."""
        with_logger = one({"event": "model_loaded", "level": "info", "logger": "llm", "x": 1})
        without = one({"event": "model_loaded", "level": "info", "x": 1})
        assert without.index("model_loaded") == with_logger.index("model_loaded")
        assert without.split() == ["INFO", "📖", "model_loaded", "x=1"]
        assert without[len(_NO_TIME) + 1 :].startswith("INFO  " + " " * 17 + "📖 ")

    @pytest.mark.parametrize(
        ("key", "value", "shown"),
        [
            ("lvl", "warn", "WARN "),
            ("severity", "ERROR", "ERROR"),
            ("levelname", "WARNING", "WARN "),
            ("severity", "DEFAULT", "INFO "),
            ("log_level", "debug", "DEBUG"),
        ],
    )
    def test_level_keys(self, key: str, value: str, shown: str) -> None:
        """lvl, severity and levelname are read as the level, and not shown as fields."""
        rendered = one({"event": "x", key: value, "logger": "app"})
        assert rendered.lstrip().startswith(shown + " app")
        assert f"{key}=" not in rendered
        hidden = list(
            render_lines([orjson.dumps({"event": "x", key: value})], min_level="critical")
        )
        assert hidden == []

    def test_colors(self) -> None:
        """colors=True adds ANSI colours, off by default."""
        line = {"event": "x", "level": "error"}
        assert "\x1b[31m" in one(line, colors=True)
        assert "\x1b[" not in one(line)

    def test_exception_field(self) -> None:
        """A logged traceback is printed below its line."""
        rendered = one({"event": "boom", "level": "error", "exception": "Traceback...\nKeyError"})
        assert rendered.splitlines()[1:] == ["Traceback...", "KeyError"]

    def test_lazy(self) -> None:
        """Lines are read one at a time, so endless sources work."""
        endless = itertools.cycle(['{"event": "tick", "level": "info"}'])
        assert len(list(itertools.islice(render_lines(endless), 3))) == 3


class _Writer:
    """A sleep replacement that changes the followed file at each call."""

    def __init__(self, path: Path, steps: list[Any]) -> None:
        self.path = path
        self.steps = steps
        self.calls = 0

    def __call__(self, seconds: float) -> None:
        assert seconds == 0.01
        step = self.steps[self.calls] if self.calls < len(self.steps) else None
        self.calls += 1
        if step is not None:
            step(self.path)
        if self.calls > 50:
            raise AssertionError("the follower waited too long")


def append(text: str) -> Any:
    """Return a step that appends ``text``."""

    def step(path: Path) -> None:
        with path.open("a") as f:
            f.write(text)

    return step


class TestFollowLines:
    def test_last_lines_then_new_ones(self, tmp_path: Path) -> None:
        """It starts with the last lines and yields each appended line, waiting for its end."""
        path = tmp_path / "app.log"
        path.write_text("".join(f"line {i}\n" for i in range(20)))
        sleep = _Writer(path, [append("new 1\nnew "), append("2\n"), None, append("new 3\n")])
        lines = follow_lines(str(path), last=2, poll_interval=0.01, sleep=sleep)
        assert list(itertools.islice(lines, 5)) == ["line 18", "line 19", "new 1", "new 2", "new 3"]

    def test_from_the_start(self, tmp_path: Path) -> None:
        """last=None reads the whole file first."""
        path = tmp_path / "app.log"
        path.write_text("a\nb\n")
        lines = follow_lines(str(path), last=None, poll_interval=0.01, sleep=_Writer(path, []))
        assert list(itertools.islice(lines, 2)) == ["a", "b"]

    def test_truncation(self, tmp_path: Path) -> None:
        """A file cut shorter is read again from its start, with a notice."""
        path = tmp_path / "app.log"
        path.write_text("old line one\nold line two\n")
        notices: list[str] = []

        def truncate(p: Path) -> None:
            p.write_text("fresh\n")

        lines = follow_lines(
            str(path),
            last=0,
            poll_interval=0.01,
            sleep=_Writer(path, [truncate]),
            notice=notices.append,
        )
        assert next(lines) == "fresh"
        assert notices == [f"{path}: file truncated, reading from its start"]

    def test_rotation(self, tmp_path: Path) -> None:
        """A file replaced by a new one of the same name is reopened, with a notice."""
        path = tmp_path / "app.log"
        path.write_text("before\n")
        notices: list[str] = []

        def rotate(p: Path) -> None:
            os.rename(p, tmp_path / "app.log.1")
            p.write_text("after rotation\n")

        lines = follow_lines(
            str(path),
            last=0,
            poll_interval=0.01,
            sleep=_Writer(path, [append("late\n"), rotate]),
            notice=notices.append,
        )
        assert list(itertools.islice(lines, 2)) == ["late", "after rotation"]
        assert notices == [f"{path}: file replaced, following the new file"]

    @pytest.mark.parametrize(
        ("content", "count", "expected"),
        [
            (b"a\nb\nc\n", 1, b"c\n"),
            (b"a\nb\nc\n", 2, b"b\nc\n"),
            (b"a\nb\nc", 2, b"b\nc"),
            (b"a\nb\nc\n", 10, b"a\nb\nc\n"),
            (b"a\nb\nc\n", 0, b""),
            (b"", 3, b""),
            (b"x" * 100_000 + b"\nlast\n", 1, b"last\n"),
        ],
    )
    def test_tail_start(self, tmp_path: Path, content: bytes, count: int, expected: bytes) -> None:
        """The start of the last N lines is found from the end of the file."""
        path = tmp_path / "f"
        path.write_bytes(content)
        with path.open("rb") as f:
            start = _tail_start(f, count)
        assert content[start:] == expected
