"""Property-based tests: whatever an application logs, logging never raises and writes one line.

Hypothesis draws events with arbitrary field names and values (bytes,
surrogates, NaN, huge ints, cyclic structures, objects whose ``__repr__`` or
``__str__`` raise, deep nesting, multi-megabyte strings) and logs them as
console and JSON lines to a stream that, like a UTF-8 file, refuses
surrogates. Each call must return normally after exactly one write of exactly
one line; a JSON line must parse. Broken parts (a custom emoji set that fails,
streams that fail or are closed, a broken ``sys.stderr``) must leave the
application running.

``LOGMOJI_LONG_TESTS=1`` runs 25 times more examples.
"""

from __future__ import annotations

import asyncio
import io
import logging
import math
import os
import sys
from collections.abc import Hashable, Iterator
from contextlib import contextmanager
from decimal import Decimal
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from logmoji import EmojiSetConfig, LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
from logmoji.logger.config import DEFAULT_MODULE_LEVELS
from logmoji.logger.stdlib import LogmojiHandler

LONG = os.environ.get("LOGMOJI_LONG_TESTS") == "1"
settings.register_profile(
    "logmoji-fuzz",
    max_examples=150,
    deadline=None,  # a shared, noisy machine: time is measured in benchmarks, not here
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=False,
)
settings.register_profile(
    "logmoji-fuzz-long", parent=settings.get_profile("logmoji-fuzz"), max_examples=150 * 25
)
FUZZ = settings.get_profile("logmoji-fuzz-long" if LONG else "logmoji-fuzz")

METHODS = ("debug", "info", "warning", "error", "critical", "exception", "msg", "fatal")
MEGABYTES = ("x" * 3_000_000, "é🧠\ud800" * 700_000, "line\n" * 600_000)


class _Hostile:
    """An object every text conversion of which fails."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("_Hostile()")  # how Hypothesis shows it in a failing example

    def __repr__(self) -> str:
        raise RuntimeError("repr failed")

    def __str__(self) -> str:
        raise ValueError("str failed")

    def __format__(self, spec: str) -> str:
        raise TypeError("format failed")


class _WrongRepr:
    """An object whose ``__repr__`` returns something that is not a string."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("_WrongRepr()")  # how Hypothesis shows it in a failing example

    def __repr__(self) -> Any:
        return 42


class _BadHash:
    """A hashable-looking object whose hash fails (as an event name it reaches the emoji cache)."""

    def __hash__(self) -> int:
        raise ValueError("no hash")

    def __repr__(self) -> str:
        return "<BadHash>"


class _LyingDict(dict):  # type: ignore[type-arg]
    """A dict subclass whose iteration fails."""

    def _repr_pretty_(self, printer: Any, cycle: bool) -> None:
        printer.text("_LyingDict()")  # how Hypothesis shows it in a failing example

    def items(self) -> Any:
        raise RuntimeError("items failed")

    def __iter__(self) -> Iterator[Any]:
        raise RuntimeError("iter failed")


def _cyclic(items: list[Any]) -> Any:
    items = list(items)
    items.append(items)
    return {"self": items, "items": items}


def _deep(depth: int) -> Any:
    value: Any = "leaf"
    for i in range(depth):
        value = [value] if i % 2 else {"k": value}
    return value


texts = st.text(st.characters(exclude_categories=()), max_size=40) | st.text(
    st.characters(categories=["Cs", "Cc", "Zl", "So"]), max_size=10
)
atoms = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.sampled_from([2**64, -(2**63) - 1]),
    st.integers(4400, 20_000).map(lambda digits: -(10**digits)),  # beyond str()'s limit
    st.floats(allow_nan=True, allow_infinity=True),
    st.decimals(allow_nan=True),
    st.complex_numbers(),
    texts,
    st.binary(max_size=40),
    st.datetimes(),
    st.builds(_Hostile),
    st.builds(_WrongRepr),
    st.builds(_BadHash),
    st.builds(object),
    st.sampled_from([math.nan, Decimal("sNaN"), Ellipsis, type, print, ValueError("x\ny")]),
)
keys = st.one_of(texts, st.integers(), st.none(), st.binary(max_size=8), st.floats(), st.tuples())
values = st.recursive(
    atoms,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4),
        st.tuples(inner, inner),
        st.dictionaries(keys, inner, max_size=4),
        st.frozensets(st.integers() | texts, max_size=3),
        st.builds(_cyclic, st.lists(inner, max_size=3)),
        st.builds(_LyingDict, st.dictionaries(texts, inner, max_size=2)),
    ),
    max_leaves=12,
) | st.builds(_deep, st.integers(30, 150))
field_names = st.one_of(
    st.text(st.characters(exclude_categories=()), min_size=1, max_size=20),
    st.sampled_from(
        [
            "event",
            "emoji",
            "level",
            "logger",
            "timestamp",
            "exception",
            "exc_info",
            "error",
            "error_type",
            "domain",
            "status_code",
            "api_key",
            "a\nb",
            "\x1b[31mred",
            "\ud800",
        ]
    ),
)
events = st.one_of(texts, atoms, st.builds(_deep, st.just(150)))
logger_names = st.one_of(
    st.sampled_from(["", "llm", "llm.openai", "http.client", "db", "app"]), texts
)


class _StrictUTF8(io.StringIO):
    """A text stream that, like a UTF-8 file, refuses surrogates; it keeps each write."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        text.encode("utf-8")
        self.writes.append(text)
        return len(text)


def _setup(formatter: str, *, colors: bool = False, **fields: Any) -> _StrictUTF8:
    stream = _StrictUTF8()
    setup_telemetry(
        TelemetryConfig(
            logging=LoggingConfig(
                stream=stream,
                formatter=formatter,
                colors=colors,
                default_level="DEBUG",
                # every logger writes, including those quieter by default (httpx, httpcore)
                module_levels=dict.fromkeys(DEFAULT_MODULE_LEVELS, "DEBUG"),
                max_value_chars=MAX_CHARS,
                **fields,
            )
        ),
        environ={},
    )
    return stream


def _check_one_line(stream: _StrictUTF8, formatter: str) -> dict[str, Any] | None:
    """Assert one write of one whole line; return the parsed JSON object."""
    assert len(stream.writes) == 1, stream.writes
    line = stream.writes[0]
    assert line.endswith("\n")
    assert line.count("\n") == 1
    assert "\r" not in line
    stream.writes.clear()
    if formatter == "json":
        parsed = orjson.loads(line)
        assert isinstance(parsed, dict)
        assert isinstance(parsed["event"], str)
        return parsed
    return None


@contextmanager
def _only_logmoji_handler() -> Iterator[None]:
    """Take pytest's log-capturing handlers off the root logger for a while.

    They re-raise formatting errors on purpose; here logmoji's bridge alone must cope.
    """
    root = logging.getLogger()
    others = [h for h in root.handlers if not isinstance(h, LogmojiHandler)]
    for handler in others:
        root.removeHandler(handler)
    try:
        yield
    finally:
        for handler in others:
            root.addHandler(handler)


def _drop_tracebacks(*fields: dict[str, Any]) -> None:
    """Remove the fields a console line shows as a traceback below it."""
    for mapping in fields:
        mapping.pop("exc_info", None)
        mapping.pop("exception", None)


@pytest.mark.slow
class TestNeverRaises:
    @FUZZ
    @given(
        formatter=st.sampled_from(["console", "json"]),
        colors=st.booleans(),
        name=logger_names,
        method=st.sampled_from(METHODS),
        event=events,
        fields=st.dictionaries(field_names, values, max_size=6),
        bound=st.dictionaries(field_names, values, max_size=2),
    )
    def test_any_event_one_line(  # noqa: PLR0917 (Hypothesis passes what it draws)
        self,
        formatter: str,
        colors: bool,
        name: str,
        method: str,
        event: Any,
        fields: dict[str, Any],
        bound: dict[str, Any],
    ) -> None:
        """Any event, fields and bound fields give one line and no exception, in both formats."""
        stream = _setup(formatter, colors=colors)
        _drop_tracebacks(fields, bound)  # a traceback makes console output multi-line by design
        log = get_logger(name).bind(**bound)
        getattr(log, method)(event, **fields)
        _check_one_line(stream, formatter)

    @FUZZ
    @given(
        formatter=st.sampled_from(["console", "json"]),
        message=texts,
        arguments=st.lists(values, max_size=3),
        extra=st.dictionaries(st.sampled_from(["user", "detail", "payload"]), values, max_size=2),
    )
    def test_stdlib_record_one_line(
        self, formatter: str, message: str, arguments: list[Any], extra: dict[str, Any]
    ) -> None:
        """Records of the standard ``logging`` module, however malformed, give one line."""
        stream = _setup(formatter)
        with _only_logmoji_handler():
            logging.getLogger("app.std").warning(message, *arguments, extra=extra)
        _check_one_line(stream, formatter)

    @FUZZ
    @given(
        message=texts,
        cause=st.none() | texts,
        fields=st.dictionaries(field_names, values, max_size=3),
    )
    def test_exception_json_one_line(
        self, message: str, cause: str | None, fields: dict[str, Any]
    ) -> None:
        """``exception()`` with any message and cause writes one JSON line holding the traceback."""
        stream = _setup("json")
        _drop_tracebacks(fields)
        try:
            try:
                raise KeyError(cause)
            except KeyError as inner:
                if cause is None:
                    raise ValueError(message) from None
                raise ValueError(message) from inner
        except ValueError:
            get_logger("app").exception("failed", **fields)
        parsed = _check_one_line(stream, "json")
        assert parsed is not None
        assert "ValueError" in parsed["exception"]

    @FUZZ
    @given(message=texts, fields=st.dictionaries(field_names, values, max_size=3))
    def test_exception_console_one_record(self, message: str, fields: dict[str, Any]) -> None:
        """On the console, ``exception()`` writes its line and the traceback in one write."""
        stream = _setup("console")
        _drop_tracebacks(fields)
        try:
            raise ValueError(message)
        except ValueError:
            get_logger("app").exception("failed", **fields)
        assert len(stream.writes) == 1
        first, _, trace = stream.writes[0].partition("\n")
        assert "failed" in first
        assert trace.startswith("Traceback (most recent call last):")

    @FUZZ
    @given(exc_info=values | st.sampled_from([True, (None, None, None), (1, 2, 3)]))
    def test_any_exc_info(self, exc_info: Any) -> None:
        """``exc_info`` may hold anything; a JSON line still parses."""
        stream = _setup("json")
        get_logger("app").error("failed", exc_info=exc_info)
        _check_one_line(stream, "json")

    @FUZZ
    @given(
        formatter=st.sampled_from(["console", "json"]),
        event=events,
        fields=st.dictionaries(field_names, values, max_size=4),
    )
    async def test_async_methods(self, formatter: str, event: Any, fields: dict[str, Any]) -> None:
        """The async methods hold the same guarantees."""
        stream = _setup(formatter)
        _drop_tracebacks(fields)
        await get_logger("app").ainfo(event, **fields)
        _check_one_line(stream, formatter)


MAX_CHARS = 1000
HUGE = {
    "3MB_ascii": MEGABYTES[0],
    "2MB_surrogates": MEGABYTES[1],
    "3MB_newlines": MEGABYTES[2],
    "deep_100k": "deep",
}


def _huge(name: str) -> Any:
    return _deep(100_000) if HUGE[name] == "deep" else HUGE[name]


def _emit_huge(position: str, value: Any) -> None:
    log = get_logger("app")
    if position == "event":
        log.info(value)
    elif position == "field":
        log.info("e", v=value)
    elif position == "nested":
        log.info("e", v={"a": [value, 1]})
    elif position == "nested_key":
        log.info("e", v={value if isinstance(value, str) else "k": 1})
    elif position == "exception":
        try:
            raise ValueError(value)
        except ValueError:
            log.exception("e")
    else:
        with _only_logmoji_handler():
            logging.getLogger("app.std").warning("%s", value)


class TestExtremes:
    @pytest.mark.parametrize("formatter", ["console", "json"])
    @pytest.mark.parametrize(
        ("huge", "position"),
        [
            (huge, position)
            for huge in HUGE
            for position in ("event", "field", "nested", "nested_key", "exception", "stdlib")
        ],
    )
    def test_huge_values(self, huge: str, position: str, formatter: str) -> None:
        """Multi-megabyte strings and 100,000-deep nesting give one bounded line, anywhere."""
        stream = _setup(formatter)
        _emit_huge(position, _huge(huge))
        assert len(stream.writes) == 1
        line = stream.writes[0]
        if formatter == "json":
            assert line.count("\n") == 1
            assert isinstance(orjson.loads(line), dict)
            assert len(line) < 10 * MAX_CHARS
        elif position != "exception":  # a console traceback is shown whole
            assert line.count("\n") == 1
            assert len(line) < 10 * MAX_CHARS

    @pytest.mark.parametrize("formatter", ["console", "json"])
    def test_fallback_keeps_traceback(self, formatter: str) -> None:
        """When a processor fails in ``exception()``, the line keeps the caller's traceback."""
        from logmoji.logger import core

        stream = _setup(formatter)

        def broken(logger: Any, method: str, event_dict: Any) -> Any:
            raise RuntimeError("processor bug")

        core._STATE.processors.insert(1, broken)
        try:
            raise ZeroDivisionError("the caller's error")
        except ZeroDivisionError:
            get_logger("app").exception("division_failed")
        (line,) = stream.writes
        assert "processor bug" in line
        assert "ZeroDivisionError: the caller's error" in line
        if formatter == "json":
            assert "ZeroDivisionError" in orjson.loads(line)["exception"]

    def test_unreadable_dict_keeps_other_fields(self) -> None:
        """A dict subclass that cannot be iterated is shown by repr; the other fields stay."""
        stream = _setup("json")
        try:
            raise ValueError("kept")
        except ValueError:
            get_logger("app").exception("e", bad=_LyingDict(a=2**70), good=1)
        parsed = _check_one_line(stream, "json")
        assert parsed is not None
        assert parsed["good"] == 1
        assert "ValueError: kept" in parsed["exception"]

    @pytest.mark.parametrize(
        "argument", [_Hostile(), 10**5000, _deep(5000)], ids=["hostile", "huge_int", "deep"]
    )
    def test_stdlib_unrepresentable_arguments(self, argument: Any) -> None:
        """A ``logging`` call whose %-arguments mismatch and cannot be repr'd still gives a line."""
        stream = _setup("json")
        with _only_logmoji_handler():
            logging.getLogger("app.std").warning("no placeholders", argument)  # noqa: PLE1205
        _check_one_line(stream, "json")

    def test_event_whose_hash_fails_keeps_fields(self) -> None:
        """An event name whose ``__hash__`` raises is still logged with its fields."""
        stream = _setup("json")
        get_logger("app").info(_BadHash(), field=1)
        parsed = _check_one_line(stream, "json")
        assert parsed is not None
        assert parsed.get("field") == 1


class _RaisingSet(EmojiSetConfig):
    domain = "llm"

    def get_emoji(self, action: str, status: str) -> str:
        raise RuntimeError("emoji set bug")


class _NotStringSet(EmojiSetConfig):
    domain = "llm"

    def get_emoji(self, action: str, status: str) -> str:
        return None  # type: ignore[return-value]


class _BadContextSet(EmojiSetConfig):
    domain = "llm"

    def context_key(self, fields: Any) -> Hashable:
        raise KeyError("context failed")


class _UnhashableContextSet(EmojiSetConfig):
    domain = "llm"

    def context_key(self, fields: Any) -> Hashable:
        return [fields.get("model")]  # type: ignore[return-value]


class _NewlineSet(EmojiSetConfig):
    domain = "llm"

    def get_emoji(self, action: str, status: str) -> str:
        return "🧠\nINFO forged line"


class TestBrokenParts:
    @pytest.mark.parametrize(
        "emoji_set",
        [_RaisingSet(), _NotStringSet(), _BadContextSet(), _UnhashableContextSet(), _NewlineSet()],
        ids=lambda s: type(s).__name__,
    )
    @pytest.mark.parametrize("formatter", ["console", "json"])
    def test_broken_emoji_set(self, emoji_set: EmojiSetConfig, formatter: str) -> None:
        """A custom emoji set that raises or returns junk still gives one line per call."""
        stream = _setup(formatter, custom_emoji_sets=[emoji_set])
        log = get_logger("llm")
        for i in range(3):
            log.info("inference_completed", model="gpt-4o", n=i)
            parsed = _check_one_line(stream, formatter)
            if parsed is not None:
                assert parsed["event"] == "inference_completed"
                assert parsed["n"] == i

    @pytest.mark.parametrize(
        "error",
        [
            OSError(28, "No space left on device"),
            BrokenPipeError(32, "Broken pipe"),
            ValueError("I/O operation on closed file."),
            MemoryError(),
            RecursionError(),
            UnicodeEncodeError("ascii", "é", 0, 1, "no"),
        ],
        ids=lambda e: type(e).__name__,
    )
    @pytest.mark.parametrize("formatter", ["console", "json"])
    def test_failing_stream(
        self, error: Exception, formatter: str, capsys: pytest.CaptureFixture[str]
    ) -> None:
        """A stream whose writes fail is reported once on stderr; the application goes on."""

        class Failing(io.StringIO):
            calls = 0

            def write(self, text: str) -> int:
                Failing.calls += 1
                raise error

            def flush(self) -> None:
                pass

        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=Failing(), formatter=formatter)),
            environ={},
        )
        log = get_logger("app")
        for i in range(5):
            log.info("request_sent", n=i)
        assert Failing.calls >= 5
        assert capsys.readouterr().err.count("logmoji: cannot write") == 1

    def test_flaky_stream_recovers(self) -> None:
        """After a failed write, later lines are written again when the stream recovers."""

        class Flaky(io.StringIO):
            fail = True

            def write(self, text: str) -> int:
                if Flaky.fail:
                    Flaky.fail = False
                    raise OSError("transient")
                return super().write(text)

        stream = Flaky()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")),
            environ={},
        )
        log = get_logger("app")
        for i in range(3):
            log.info("e", n=i)
        assert [orjson.loads(x)["n"] for x in stream.getvalue().splitlines()] == [1, 2]

    def test_flush_fails(self) -> None:
        """A stream whose flush fails still gets its lines and the call returns."""

        class NoFlush(io.StringIO):
            def flush(self) -> None:
                raise OSError("flush failed")

        stream = NoFlush()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")),
            environ={},
        )
        get_logger("app").info("e")
        assert orjson.loads(stream.getvalue())["event"] == "e"

    @pytest.mark.parametrize("binary", [False, True])
    def test_closed_file(self, tmp_path: Any, binary: bool) -> None:
        """A real file closed under the logger is survived, text or binary."""
        handle = open(tmp_path / "log.txt", "wb" if binary else "w")  # noqa: SIM115
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=handle, formatter="json")), environ={}
        )
        log = get_logger("app")
        log.info("before")
        handle.close()
        log.info("after")
        lines = (tmp_path / "log.txt").read_text().splitlines()
        assert [orjson.loads(x)["event"] for x in lines] == ["before"]

    def test_stderr_broken_too(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With both the stream and ``sys.stderr`` failing, the call still returns."""

        class Broken(io.StringIO):
            def write(self, text: str) -> int:
                raise OSError("gone")

            def flush(self) -> None:
                raise OSError("gone")

        monkeypatch.setattr(sys, "stderr", Broken())
        monkeypatch.setattr(sys, "__stderr__", None)
        setup_telemetry(TelemetryConfig(logging=LoggingConfig(stream=Broken())), environ={})
        get_logger("app").error("nobody hears this")

    def test_zero_config_stderr_broken(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """With no set-up, logging to a closed ``sys.stderr`` returns quietly."""
        closed = io.StringIO()
        closed.close()
        monkeypatch.setattr(sys, "stderr", closed)
        get_logger("app").warning("lost")

    def test_stream_encoding_refuses_emoji(self, tmp_path: Any) -> None:
        """A file opened as ASCII still gets every line, with the emoji escaped."""
        with open(tmp_path / "ascii.log", "w", encoding="ascii") as handle:
            setup_telemetry(TelemetryConfig(logging=LoggingConfig(stream=handle)), environ={})
            get_logger("llm").info("model_loaded", note="café")
        text = (tmp_path / "ascii.log").read_text(encoding="ascii")
        assert text.count("\n") == 1
        assert "model_loaded" in text

    @pytest.mark.parametrize("formatter", ["console", "json"])
    def test_forged_lines_escaped(self, formatter: str) -> None:
        """Newlines in an event name, key, logger name or repr cannot start a new line."""

        class Multiline:
            def __repr__(self) -> str:
                return "a\nINFO forged"

        stream = _setup(formatter)
        get_logger("app\nERROR x").info("evil\r\nINFO forged", **{"k\ney": Multiline()})
        _check_one_line(stream, formatter)


async def test_async_logging_from_many_tasks_never_raises() -> None:
    """Logging hostile values from many tasks at once neither raises nor blocks the loop."""
    stream = _setup("json")
    log = get_logger("app")

    async def worker(i: int) -> None:
        for j in range(20):
            await log.ainfo("tick", i=i, j=j, bad=_Hostile(), cyc=_cyclic([i]))
            await asyncio.sleep(0)

    await asyncio.wait_for(asyncio.gather(*(worker(i) for i in range(20))), timeout=30)
    assert len(stream.writes) == 400
    assert all(orjson.loads(w)["event"] == "tick" for w in stream.writes)
