"""Tests for the bridge from the standard logging module."""

from __future__ import annotations

import io
import logging
from typing import Any

import orjson

from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry


def _setup(**fields: Any) -> io.StringIO:
    stream = io.StringIO()
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json", **fields)),
        environ={},
    )
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


class TestBridge:
    def test_records_use_logmoji_output(self) -> None:
        """A stdlib record comes out as a logmoji event with level, logger, emoji and extras."""
        stream = _setup()
        logging.getLogger("llm.legacy").warning("model %s slow", "gpt-4", extra={"ms": 9})
        (line,) = _lines(stream)
        assert (line["event"], line["level"], line["logger"], line["ms"]) == (
            "model gpt-4 slow",
            "warning",
            "llm.legacy",
            9,
        )
        assert line["emoji"] == "🤖"

    def test_level_rules_apply(self) -> None:
        """The default and per-module levels filter stdlib records too."""
        stream = _setup(default_level="WARNING", module_levels={"chatty": "DEBUG"})
        logging.getLogger("quiet").info("hidden")
        logging.getLogger("chatty.sub").debug("shown")
        assert [r["event"] for r in _lines(stream)] == ["shown"]

    def test_httpx_quiet_by_default(self) -> None:
        """httpx's per-request INFO lines are below the default level for httpx loggers."""
        stream = _setup()
        logging.getLogger("httpx").info("HTTP Request: POST http://x")
        logging.getLogger("httpx").warning("retrying")
        assert [r["event"] for r in _lines(stream)] == ["retrying"]

    def test_exception_info(self) -> None:
        """exc_info on a stdlib record becomes the traceback."""
        stream = _setup()
        try:
            raise ValueError("bad")
        except ValueError:
            logging.getLogger("app").exception("failed")
        assert "ValueError: bad" in _lines(stream)[0]["exception"]

    def test_reconfigure_installs_one_handler(self) -> None:
        """Set-up twice leaves one bridge handler, so no line is doubled."""
        _setup()
        stream = _setup()
        logging.getLogger("app").error("once")
        assert len(_lines(stream)) == 1

    def test_disabled(self) -> None:
        """capture_stdlib=False leaves the standard library alone."""
        stream = _setup(capture_stdlib=False)
        logging.getLogger("app").error("not ours")
        assert stream.getvalue() == ""

    def test_bad_format_args(self) -> None:
        """A record whose %-format fails is still written."""
        from logmoji.logger.stdlib import _Bridge

        stream = _setup()
        record = logging.LogRecord("app", logging.ERROR, __file__, 1, "%d items", ("x",), None)
        assert _Bridge.handler is not None
        _Bridge.handler.handle(record)  # straight to the bridge: pytest's own handler would fail
        assert "%d items" in _lines(stream)[0]["event"]
