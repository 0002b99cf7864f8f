"""Tests for the console and JSON renderers."""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import orjson
import pytest

from logmoji.logger.render import ConsoleRenderer, JSONRenderer, display_width

T0 = 1_764_237_209.25  # 2025-11-27T09:53:29.250000Z


class _Named:
    def __init__(self, name: str) -> None:
        self.name = name


def _console(
    event_dict: dict[str, Any], *, method: str = "info", name: str = "llm", **kw: Any
) -> str:
    renderer = ConsoleRenderer(show_timestamp=False, clock=lambda: T0, **kw)
    return renderer(_Named(name), method, event_dict)


def _json(event_dict: dict[str, Any], *, method: str = "info", **kw: Any) -> dict[str, Any]:
    line = JSONRenderer(clock=lambda: T0, **kw)(_Named("llm.openai"), method, event_dict)
    assert b"\n" not in line
    result: dict[str, Any] = orjson.loads(line)
    return result


class TestDisplayWidth:
    @pytest.mark.parametrize(
        ("text", "width"),
        [
            ("a", 1),
            ("🤖", 2),
            ("⏱️", 2),
            ("⏱", 1),
            ("🏠🤖", 4),
            ("ℹ️", 2),
            ("⚠️", 2),
            ("👩‍💻", 2),
            ("", 0),
            ("中", 2),
        ],
    )
    def test_width(self, text: str, width: int) -> None:
        """Emoji, including those made wide by a variation selector, take two columns."""
        assert display_width(text) == width


class TestConsoleRenderer:
    def test_line_layout(self) -> None:
        """Level, logger, emoji, event and key=value fields appear in order."""
        line = _console(
            {
                "event": "inference_completed",
                "emoji": "🧠",
                "model": "gpt-4",
                "prompt_tokens": 150,
                "duration_ms": 1250,
            }
        )
        assert line == (
            "INFO  llm              🧠 inference_completed        model=gpt-4 "
            "prompt_tokens=150 duration_ms=1250"
        )

    def test_emoji_columns_align(self) -> None:
        """Events start in the same column whatever the emoji's code points."""
        starts = set()
        for emoji in ("🤖", "⏱️", "ℹ️", "✨"):
            line = _console({"event": "x", "emoji": emoji})
            prefix = line[: line.index(" x") + 1]
            starts.add(
                sum(display_width(c) if c != "\ufe0f" else 0 for c in prefix)
                + (1 if "\ufe0f" in prefix else 0)
            )
        assert len(starts) == 1

    def test_timestamp(self) -> None:
        """The console line starts with the local time to the millisecond."""
        line = ConsoleRenderer(clock=lambda: T0)(_Named("x"), "info", {"event": "e"})
        assert line[8:12] == ".250"

    @pytest.mark.parametrize(
        ("value", "text"),
        [
            ("simple", "simple"),
            ("two words", "'two words'"),
            ("", "''"),
            (1.5, "1.5"),
            (Decimal("0.0135"), "0.0135"),
            (None, "None"),
            (True, "True"),
            ([1, 2], "[1, 2]"),
            (math.nan, "nan"),
        ],
    )
    def test_values(self, value: object, text: str) -> None:
        """Simple strings are bare, others quoted; other values use repr."""
        assert _console({"event": "e", "k": value}).endswith(f" k={text}")

    def test_huge_value_truncated(self) -> None:
        """A value longer than max_value_chars is cut with a marker."""
        line = _console({"event": "e", "k": "x" * 5000}, max_value_chars=100)
        assert "…[+" in line
        assert len(line) < 300

    def test_hostile_repr(self) -> None:
        """An object whose __repr__ raises is rendered as a placeholder."""

        class Hostile:
            def __repr__(self) -> str:
                raise RuntimeError("no")

        assert "<unrepresentable Hostile object>" in _console({"event": "e", "k": Hostile()})

    def test_exception_appended(self) -> None:
        """exc_info renders the traceback under the line."""
        try:
            raise ValueError("bad thing")
        except ValueError as exc:
            line = _console({"event": "failed", "exc_info": exc}, method="error")
        assert line.splitlines()[0].startswith("ERROR")
        assert "ValueError: bad thing" in line

    @pytest.mark.parametrize("error", [TypeError, ValueError, RuntimeError])
    def test_emoji_whose_hash_fails(self, error: type[Exception]) -> None:
        """An emoji field that cannot be hashed is rendered by repr, traceback and all."""

        class BadHash:
            def __hash__(self) -> int:
                raise error("no hash")

            def __repr__(self) -> str:
                return "<BadHash>"

        renderer = ConsoleRenderer(show_timestamp=False, clock=lambda: T0)
        try:
            raise KeyError("cause")
        except KeyError as exc:
            event = {"event": "failed", "emoji": BadHash(), "exc_info": exc}
            line = renderer(_Named("app"), "error", event)
        first, _, trace = line.partition("\n")
        assert first.startswith("ERROR app")
        assert "<BadHash> failed" in first
        assert trace.startswith("Traceback (most recent call last):")
        assert renderer(_Named("app"), "info", {"event": "again", "emoji": BadHash()}).endswith(
            "<BadHash> again"
        )

    def test_colors(self) -> None:
        """With colours on, the level is wrapped in ANSI codes; off, none appear."""
        assert "\x1b[" in _console({"event": "e"}, colors=True)
        assert "\x1b[" not in _console({"event": "e"})

    def test_non_string_event(self) -> None:
        """A non-string event is rendered with repr."""
        assert _console({"event": 42}).endswith(" 42")


class TestJSONRenderer:
    def test_keys_and_order(self) -> None:
        """The object has timestamp, level, logger, event and emoji first, then the fields."""
        out = _json({"event": "chat_request_completed", "emoji": "✨", "model": "gpt-4"})
        assert list(out) == ["timestamp", "level", "logger", "event", "emoji", "model"]
        assert out["timestamp"] == "2025-11-27T09:53:29.250000Z"
        assert (out["level"], out["logger"], out["event"]) == (
            "info",
            "llm.openai",
            "chat_request_completed",
        )

    @pytest.mark.parametrize(
        ("method", "level"),
        [
            ("debug", "debug"),
            ("warning", "warning"),
            ("warn", "warning"),
            ("exception", "error"),
            ("critical", "critical"),
            ("fatal", "critical"),
        ],
    )
    def test_levels(self, method: str, level: str) -> None:
        """Method names map to level names."""
        assert _json({"event": "e"}, method=method)["level"] == level

    def test_unserializable_values(self) -> None:
        """Values JSON cannot hold are rendered with repr, never raising."""
        cyclic: list[Any] = []
        cyclic.append(cyclic)
        out = _json(
            {
                "event": "e",
                "obj": object(),
                "big": 2**100,
                "surrogate": "\ud800",
                "cyclic": cyclic,
                "nan": math.nan,
                "dec": Decimal("1.5"),
                "b": b"\xff",
                "keys": {1: "a", (1, 2): "b"},
                "set": {3},
            }
        )
        assert out["big"] == str(2**100)
        assert out["surrogate"] == "\\ud800"
        assert out["cyclic"][0].startswith("<list cut")
        assert out["dec"] == 1.5
        assert out["b"] == "\\xff"
        assert out["set"] == [3]

    def test_huge_value_truncated(self) -> None:
        """Strings over max_value_chars are cut with a marker, and the line still parses."""
        out = _json({"event": "e", "k": "x" * 50_000}, max_value_chars=1000)
        assert out["k"].endswith("…[+49000 chars]")

    def test_exception_field(self) -> None:
        """exc_info becomes an exception field with the traceback."""
        try:
            raise KeyError("missing")
        except KeyError as exc:
            out = _json({"event": "failed", "exc_info": exc}, method="error")
        assert "KeyError: 'missing'" in out["exception"]
