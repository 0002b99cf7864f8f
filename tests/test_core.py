"""Tests for the logger API: get_logger, levels, binding, context variables, never raising."""

from __future__ import annotations

import asyncio
import io
import logging
from typing import Any

import orjson
import pytest

import logmoji
from logmoji import (
    LoggingConfig,
    TelemetryConfig,
    bind_contextvars,
    bound_contextvars,
    get_logger,
    setup_telemetry,
)
from logmoji.testing import capture_logs

MODULE_LOGGER = get_logger("llm.import_time")


def _json_setup(**fields: Any) -> io.StringIO:
    stream = io.StringIO()
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json", **fields)),
        environ={},
    )
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


class TestGetLogger:
    def test_zero_config_writes_to_stderr(self, capsys: pytest.CaptureFixture[str]) -> None:
        """Without set-up, INFO and above go to stderr as console lines with the emoji."""
        log = get_logger("llm")
        log.debug("hidden")
        log.info("model_loaded", model="gpt-4", version="0613")
        err = capsys.readouterr().err
        assert "hidden" not in err
        assert "🤖 model_loaded" in err
        assert "model=gpt-4 version=0613" in err

    def test_made_at_import_time(self) -> None:
        """A logger created before any set-up uses the set-up done later."""
        stream = _json_setup()
        MODULE_LOGGER.info("x")
        assert _lines(stream)[0]["logger"] == "llm.import_time"

    def test_all_methods(self) -> None:
        """debug/info/warning/error/critical/exception each write one line at their level."""
        stream = _json_setup(default_level="DEBUG")
        log = get_logger("app")
        log.debug("d")
        log.info("i")
        log.warning("w")
        log.warn("w2")
        log.error("e")
        log.critical("c")
        log.fatal("f")
        log.msg("m")
        log.log(logging.WARNING, "l")
        try:
            raise RuntimeError("x")
        except RuntimeError:
            log.exception("x")
        levels = [(r["event"], r["level"]) for r in _lines(stream)]
        assert levels == [
            ("d", "debug"),
            ("i", "info"),
            ("w", "warning"),
            ("w2", "warning"),
            ("e", "error"),
            ("c", "critical"),
            ("f", "critical"),
            ("m", "info"),
            ("l", "warning"),
            ("x", "error"),
        ]
        assert "RuntimeError: x" in _lines(stream)[-1]["exception"]

    async def test_async_methods(self) -> None:
        """The a-prefixed methods log too."""
        stream = _json_setup()
        log = get_logger("app")
        await log.ainfo("a", k=1)
        await log.adebug("hidden")
        assert [r["event"] for r in _lines(stream)] == ["a"]

    def test_positional_interpolation(self) -> None:
        """%-style arguments are interpolated, and a mismatch is still logged."""
        stream = _json_setup()
        log = get_logger("app")
        log.info("hello %s", "world")
        log.info("bad %d", "x")
        events = [r["event"] for r in _lines(stream)]
        assert events[0] == "hello world"
        assert events[1].startswith("'bad %d'")

    def test_bind_and_name(self) -> None:
        """bind() adds fields to every line and keeps the hierarchical name."""
        stream = _json_setup()
        log = get_logger("llm.openai").bind(request_id="r1")
        log.info("a")
        log.bind(user="u").info("b")
        log.unbind("request_id").info("c")
        lines = _lines(stream)
        assert [(r["logger"], r.get("request_id"), r.get("user")) for r in lines] == [
            ("llm.openai", "r1", None),
            ("llm.openai", "r1", "u"),
            ("llm.openai", None, None),
        ]
        assert log.name == "llm.openai"
        with pytest.raises(KeyError):
            log.unbind("nope")
        assert log.try_unbind("nope").context == {"request_id": "r1"}

    def test_contextvars(self) -> None:
        """Context variables appear on every line until unbound."""
        stream = _json_setup()
        log = get_logger("app")
        bind_contextvars(user_id="u1")
        log.info("a")
        with bound_contextvars(trace="t"):
            log.info("b")
        logmoji.unbind_contextvars("user_id")
        log.info("c")
        lines = _lines(stream)
        assert [(r.get("user_id"), r.get("trace")) for r in lines] == [
            ("u1", None),
            ("u1", "t"),
            (None, None),
        ]

    async def test_contextvars_isolated_per_task(self) -> None:
        """Each asyncio task sees its own context variables."""
        stream = _json_setup()
        log = get_logger("app")

        async def work(i: int) -> None:
            bind_contextvars(task=i)
            await asyncio.sleep(0)
            log.info("done")

        await asyncio.gather(*(work(i) for i in range(5)))
        assert sorted(r["task"] for r in _lines(stream)) == [0, 1, 2, 3, 4]

    def test_is_enabled_for(self) -> None:
        """is_enabled_for reflects the logger's level."""
        _json_setup(default_level="WARNING")
        log = get_logger("app")
        assert log.is_enabled_for(logging.ERROR)
        assert not log.is_enabled_for(logging.INFO)

    def test_methods_follow_reconfiguration(self) -> None:
        """A logger's methods, kept after first use, change with the configuration."""
        log = get_logger("app")
        quiet = _json_setup(default_level="WARNING")
        assert log.info("hidden") is None
        assert not log.is_enabled_for(logging.INFO)
        loud = _json_setup(default_level="DEBUG")
        log.debug("shown")
        assert log.is_enabled_for(logging.DEBUG)
        assert quiet.getvalue() == ""
        assert [line["event"] for line in _lines(loud)] == ["shown"]


class TestNeverRaises:
    def test_broken_processor_still_writes(self) -> None:
        """A failing processor yields a fallback line, not an exception."""
        stream = _json_setup()
        from logmoji.logger import core

        def broken(logger: Any, method: str, event_dict: Any) -> Any:
            raise RuntimeError("processor bug")

        core._STATE.processors.insert(1, broken)
        get_logger("app").info("still here")
        line = _lines(stream)[0]
        assert line["event"] == "still here"
        assert "processor bug" in line["logmoji_error"]

    def test_closed_stream(self, capsys: pytest.CaptureFixture[str]) -> None:
        """A closed output stream is reported once on stderr and the application goes on."""
        stream = _json_setup()
        stream.close()
        log = get_logger("app")
        log.info("a")
        log.info("b")
        assert capsys.readouterr().err.count("cannot write") == 1

    @pytest.mark.parametrize("event", [None, 42, b"bytes", object(), "\ud800", "x" * 100_000])
    def test_odd_events(self, event: object) -> None:
        """Non-string, binary, surrogate and huge events are rendered, one line each."""
        for formatter in ("json", "console"):
            stream = io.StringIO()
            setup_telemetry(
                TelemetryConfig(logging=LoggingConfig(stream=stream, formatter=formatter)),
                environ={},
            )
            get_logger("app").info(event)
            assert stream.getvalue().count("\n") == 1

    @pytest.mark.parametrize("formatter", ["json", "console"])
    @pytest.mark.parametrize("place", ["event", "field", "nested", "exception"])
    def test_unnameable_unrepresentable_object(self, formatter: str, place: str) -> None:
        """An object whose repr raises and whose class's __name__ raises still gives one line."""

        class Meta(type):
            @property
            def __name__(cls) -> str:  # type: ignore[override]
                raise RuntimeError("no name")

        class Evil(metaclass=Meta):
            def __repr__(self) -> str:
                raise RuntimeError("no repr")

        stream = io.StringIO()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter=formatter)),
            environ={},
        )
        log = get_logger("app")
        if place == "event":
            log.info(Evil())
        elif place == "field":
            log.info("ev", x=Evil())
        elif place == "nested":
            log.info("ev", x={"a": [Evil()]})
        else:
            log.error("ev", exc_info=(Meta, Evil(), None))
        text = stream.getvalue()
        traceback_lines = 1 if place == "exception" and formatter == "console" else 0
        assert text.count("\n") == 1 + traceback_lines, text
        assert "Evil" in text or "ev" in text

    def test_event_keyword(self) -> None:
        """The event may be passed as a keyword."""
        stream = _json_setup()
        get_logger("app").info(event="kw")
        get_logger("app").info()
        assert [r["event"] for r in _lines(stream)] == ["kw", "None"]


class TestLogMethod:
    @pytest.mark.parametrize(
        ("level", "written"),
        [
            ("info", "info"),
            ("INFO", "info"),
            ("warning", "warning"),
            ("warn", "warning"),
            ("Error", "error"),
            ("critical", "critical"),
            ("fatal", "critical"),
            (logging.ERROR, "error"),
        ],
    )
    def test_level_by_name_or_number(self, level: int | str, written: str) -> None:
        """log() takes a level name as well as a number."""
        stream = _json_setup()
        get_logger("app").log(level, "named", k=1)
        assert [(r["event"], r["level"], r["k"]) for r in _lines(stream)] == [("named", written, 1)]

    def test_level_name_below_threshold(self) -> None:
        """A named level below the logger's level is filtered out like a numbered one."""
        stream = _json_setup(default_level="WARNING")
        log = get_logger("app")
        log.log("info", "hidden")
        log.log("debug", "hidden")
        log.log("error", "shown")
        assert [r["event"] for r in _lines(stream)] == ["shown"]

    @pytest.mark.parametrize("level", ["bogus", "", None, ["info"], 2.5, "\x1b[2J"])
    def test_bad_level(self, level: object) -> None:
        """A level that is neither a number nor a name is written at info, saying so."""
        stream = _json_setup()
        get_logger("app").log(level, "odd")  # type: ignore[arg-type]
        [line] = _lines(stream)
        assert (line["event"], line["level"]) == ("odd", "info")
        assert line["logmoji_error"].startswith("unknown level ")

    async def test_alog_by_name(self) -> None:
        """The async spelling takes a level name too."""
        stream = _json_setup()
        await get_logger("app").alog("warning", "named")
        assert [r["level"] for r in _lines(stream)] == ["warning"]


class TestCapture:
    def test_capture_fields(self) -> None:
        """capture_logs returns events with level, logger, emoji and fields, writing nothing."""
        stream = _json_setup()
        with capture_logs() as logs:
            get_logger("llm").debug("inference_started", prompt_tokens=3)
        assert logs == [
            {
                "event": "inference_started",
                "prompt_tokens": 3,
                "emoji": "🧠",
                "log_level": "debug",
                "logger": "llm",
            }
        ]
        assert logs.named("inference_started") == list(logs)
        assert stream.getvalue() == ""

    def test_capture_restores(self) -> None:
        """After capturing, lines go to the configured stream again."""
        stream = _json_setup()
        with capture_logs():
            get_logger("app").info("a")
        get_logger("app").info("b")
        assert [r["event"] for r in _lines(stream)] == ["b"]

    def test_fixture(self, logmoji_logs: list[dict[str, Any]]) -> None:
        """The pytest fixture captures events."""
        get_logger("llm").info("training_completed")
        assert logmoji_logs[0]["emoji"] == "🎓"
