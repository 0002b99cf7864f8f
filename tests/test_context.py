"""Tests for context variables: structlog's API, one ContextVar, cost flat in distinct keys."""

from __future__ import annotations

import asyncio
import contextvars
import io
import time
from typing import Any

import orjson
import structlog

import logmoji
from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
from logmoji.logger.context import (
    bind_contextvars,
    bound_contextvars,
    clear_contextvars,
    get_contextvars,
    merge_contextvars,
    reset_contextvars,
    unbind_contextvars,
)

DISTINCT_KEYS = 20_000


def _json_setup() -> io.StringIO:
    stream = io.StringIO()
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")), environ={}
    )
    return stream


def _lines(stream: io.StringIO) -> list[dict[str, Any]]:
    return [orjson.loads(line) for line in stream.getvalue().splitlines()]


class TestApi:
    def test_public_names_are_these(self) -> None:
        """logmoji's context functions are this module's, not structlog's per-key ones."""
        assert logmoji.bind_contextvars is bind_contextvars
        assert logmoji.bound_contextvars is bound_contextvars
        assert logmoji.clear_contextvars is clear_contextvars
        assert logmoji.unbind_contextvars is unbind_contextvars

    def test_bind_unbind_clear(self) -> None:
        """Binding adds fields, unbinding removes them (missing keys ignored), clearing empties."""
        bind_contextvars(a=1, b=2)
        bind_contextvars(b=3)
        assert get_contextvars() == {"a": 1, "b": 3}
        unbind_contextvars("a", "missing")
        assert get_contextvars() == {"b": 3}
        clear_contextvars()
        assert get_contextvars() == {}

    def test_bound_restores(self) -> None:
        """A bound block restores previous values, removes its new keys and keeps others'."""
        bind_contextvars(a=1)

        @bound_contextvars(c=5)
        def decorated() -> dict[str, Any]:
            return get_contextvars()

        with bound_contextvars(a=2, b=3):
            assert get_contextvars() == {"a": 2, "b": 3}
            bind_contextvars(inner=4)
            assert decorated() == {"a": 2, "b": 3, "inner": 4, "c": 5}
        assert get_contextvars() == {"a": 1, "inner": 4}

    def test_reset(self) -> None:
        """The tokens bind returns undo that bind."""
        bind_contextvars(a=1)
        tokens = bind_contextvars(a=2, b=3)
        reset_contextvars(**tokens)
        assert get_contextvars() == {"a": 1}

    def test_bound_mapping_is_immutable(self) -> None:
        """Copies are handed out: changing one does not change the context."""
        bind_contextvars(a=1)
        get_contextvars()["a"] = 99
        assert get_contextvars() == {"a": 1}

    def test_call_fields_win(self) -> None:
        """A field of the call itself wins over a context field of the same name."""
        bind_contextvars(user="ctx", tenant="t")
        event = merge_contextvars(None, "info", {"event": "e", "user": "call"})
        assert event == {"event": "e", "user": "call", "tenant": "t"}

    def test_on_lines(self) -> None:
        """Context fields appear on each line logged while they are bound."""
        stream = _json_setup()
        log = get_logger("app")
        with bound_contextvars(request_id="r1"):
            log.info("a")
        log.info("b")
        assert [r.get("request_id") for r in _lines(stream)] == ["r1", None]

    async def test_isolated_per_task(self) -> None:
        """Each asyncio task sees its own fields."""

        async def work(i: int) -> dict[str, Any]:
            bind_contextvars(task=i)
            await asyncio.sleep(0)
            return get_contextvars()

        results = await asyncio.gather(*(work(i) for i in range(5)))
        assert [r["task"] for r in results] == [0, 1, 2, 3, 4]
        assert get_contextvars() == {}

    def test_structlog_bound_fields_still_merged(self) -> None:
        """Fields bound with structlog's own functions still reach logmoji's lines."""
        stream = _json_setup()
        structlog.contextvars.bind_contextvars(from_structlog=1)
        bind_contextvars(from_logmoji=2)
        get_logger("app").info("e")
        [line] = _lines(stream)
        assert (line["from_structlog"], line["from_logmoji"]) == (1, 2)
        clear_contextvars()
        assert get_contextvars() == {}


class TestCostPerKey:
    def test_distinct_keys_add_no_context_variables(self) -> None:
        """Binding 20,000 distinct key names adds no ContextVar per key, and stays fast."""
        stream = _json_setup()
        log = get_logger("app")
        before = len(contextvars.copy_context())
        start = time.perf_counter()
        for i in range(DISTINCT_KEYS):
            bind_contextvars(**{f"key_{i}": i})
            log.debug("hidden")
            unbind_contextvars(f"key_{i}")
        log.info("last", **{})
        elapsed = time.perf_counter() - start
        assert len(contextvars.copy_context()) <= before + 1
        assert elapsed < 10.0  # structlog's one-var-per-key took minutes for this
        assert _lines(stream)[-1]["event"] == "last"
        assert "key_0" not in _lines(stream)[-1]
