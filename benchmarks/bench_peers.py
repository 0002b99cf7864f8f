"""Measure logmoji against its peers and print one table: the issue's targets, met or not.

Run through ``make bench`` (``benchmarks/run.py``), which builds the environment
with the peers: structlog, loguru, provide-foundation 0.4.10 and logfire.

Each section runs in its own child process, so one library's global set-up
(structlog's, logfire's OpenTelemetry provider) cannot reach another section;
inside a section logmoji and its peers are measured in that one process,
interleaved (a, b, c, a, b, c, ...), and the medians compared.

* ``core``: ``log.info("inference_completed", model="gpt-4", prompt_tokens=150,
  completion_tokens=75, duration_ms=1250)`` to a null sink. Console line:
  logmoji, structlog with its default processors and ``ConsoleRenderer(colors=False)``,
  provide-foundation with its emoji enrichment, stdlib ``logging`` with a
  key=value formatter, loguru. JSON line: logmoji, and structlog's documented
  fast set-up (``JSONRenderer(serializer=orjson.dumps)``, ``BytesLogger``).
  Filtered-out debug call: logmoji, and structlog's filtering bound logger.
* ``import``: wall time of ``python -c "import x"`` minus ``python -c "pass"``,
  medians over fresh interpreters.
* ``instrument``: OpenAI chat calls to :class:`~logmoji.testing.FakeLLMProvider`
  served by a child process, without injected latency: a bare client, one
  instrumented by ``logmoji.llm.instrument`` (JSON lines, default observers), one
  by logfire's ``instrument_openai`` (``send_to_logfire=False``, console off)
  and, as the floor, a bare client around whose calls structlog logs the same
  two lines; beside it, a bare client whose calls do the same work by hand
  (``_ByHand``: the lines with the call's real values, its price, its latency
  in a ddsketch, its rate-limit headers read and checked). Over HTTP
  (wall clock), and with the provider's recorded replies replayed from memory
  (CPU time, without network noise): the overhead of each instrumentation and,
  from streams of 50 and 1050 chunks, the cost added per chunk.
* ``monitor``: ``PerformanceMonitor.record_request`` beside ddsketch's
  ``DDSketch.add``; the p99 query after 300k records over an hour beside
  ddsketch's; the monitor's memory with 300k records for each of ten models
  (``bench_monitor.peer_figures``).
* ``report``: ``logmoji report FILE`` on a generated one-million-line log
  (``bench_report.py``'s generator), beside a loop that parses every line
  with orjson; both in fresh processes, wall and CPU time.

Run: ``python benchmarks/bench_peers.py [--quick]`` in an environment with the peers.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from decimal import Decimal
from typing import Any

sys.path.insert(0, os.path.dirname(__file__))
from _harness import table

HERE = os.path.dirname(os.path.abspath(__file__))
FIELDS: dict[str, Any] = {
    "model": "gpt-4",
    "prompt_tokens": 150,
    "completion_tokens": 75,
    "duration_ms": 1250,
}
SHORT, LONG = 50, 1050

Case = Callable[[], object]


# Timing ----------------------------------------------------------------------------------


def interleaved_samples(
    cases: dict[str, Case],
    *,
    seconds: float,
    repeats: int,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> dict[str, list[float]]:
    """Return each case's ns per call in every round; samples of about ``seconds``, interleaved."""
    numbers = {}
    for name, fn in cases.items():
        fn()
        start = clock()
        count = 0
        while clock() - start < seconds * 1e8:  # a tenth of a sample: warm up and calibrate
            fn()
            count += 1
        numbers[name] = max(1, round(count * 10))
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            number = numbers[name]
            start = clock()
            for _ in range(number):
                fn()
            samples[name].append((clock() - start) / number)
    return samples


def interleaved(
    cases: dict[str, Case],
    *,
    seconds: float,
    repeats: int,
    clock: Callable[[], int] = time.perf_counter_ns,
) -> dict[str, float]:
    """Return each case's median ns per call; samples of about ``seconds``, interleaved."""
    samples = interleaved_samples(cases, seconds=seconds, repeats=repeats, clock=clock)
    return {name: statistics.median(values) for name, values in samples.items()}


def paired(samples: dict[str, list[float]], value: Callable[[dict[str, float]], float]) -> float:
    """Return the median over rounds of ``value`` of each round's samples.

    A difference taken within a round, where the cases ran one after another,
    cancels what drifts between rounds (a neighbour's load, the clock speed),
    which a difference of medians does not.
    """
    rounds = zip(*samples.values(), strict=True)
    return statistics.median(value(dict(zip(samples, one, strict=True))) for one in rounds)


# Section: one log call -------------------------------------------------------------------


def _structlog_console(text_null: Any) -> Any:
    import structlog

    processors = [  # structlog's default processors, with colours off
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
        structlog.processors.StackInfoRenderer(),
        structlog.dev.set_exc_info,
        structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False),
        structlog.dev.ConsoleRenderer(colors=False),
    ]
    return structlog.wrap_logger(
        structlog.PrintLogger(text_null),
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    ).bind()


def _structlog_json(bytes_null: Any) -> Any:
    import orjson
    import structlog

    # structlog's documented fast set-up ("Performance" in its docs).
    return structlog.wrap_logger(
        structlog.BytesLogger(bytes_null),
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.format_exc_info,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.JSONRenderer(serializer=orjson.dumps),
        ],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    ).bind()


def _structlog_bare(text_null: Any) -> Any:
    import structlog

    # The least a structlog line costs: no timestamp, level or context, one renderer.
    return structlog.wrap_logger(
        structlog.PrintLogger(text_null),
        processors=[structlog.processors.KeyValueRenderer()],
        wrapper_class=structlog.make_filtering_bound_logger(logging.INFO),
    ).bind()


def _foundation(text_null: Any) -> Any:
    from provide.foundation import LoggingConfig, TelemetryConfig, get_hub, get_logger
    from provide.foundation.streams.core import set_log_stream_for_testing

    set_log_stream_for_testing(text_null)
    config = LoggingConfig(
        default_level="INFO", das_emoji_prefix_enabled=True, logger_name_emoji_prefix_enabled=True
    )
    get_hub().initialize_foundation(TelemetryConfig(logging=config), force=True)
    set_log_stream_for_testing(text_null)
    return get_logger("llm")


class _KeyValueFormatter(logging.Formatter):
    """``time level name message key=value ...``: the fields are the record's extras."""

    _standard = frozenset(vars(logging.LogRecord("", 0, "", 0, "", (), None))) | {"message"}

    def format(self, record: logging.LogRecord) -> str:
        fields = " ".join(f"{k}={v}" for k, v in record.__dict__.items() if k not in self._standard)
        head = f"{self.formatTime(record)} {record.levelname} {record.name}"
        return f"{head} {record.getMessage()} {fields}"


def _stdlib(text_null: Any) -> logging.Logger:
    log = logging.getLogger("bench.stdlib")
    log.propagate = False  # logmoji's bridge sits on the root logger
    handler = logging.StreamHandler(text_null)
    handler.setFormatter(_KeyValueFormatter())
    log.addHandler(handler)
    log.setLevel(logging.INFO)
    return log


def _loguru(text_null: Any) -> Any:
    from loguru import logger

    logger.remove()
    logger.add(
        text_null,
        level="INFO",
        format="{time:YYYY-MM-DD HH:mm:ss.SSS} | {level: <8} | {name}:{function}:{line} - "
        "{message} | {extra}",
    )
    return logger


def _logmoji(formatter: str, stream: Any) -> Any:
    import logmoji
    from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry

    logmoji.reset()
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(formatter=formatter, stream=stream, colors=False)),
        environ={},
    )
    log = logmoji.get_logger("llm")
    log.info("warm")
    return log


def _info(log: Any) -> Case:
    def call() -> None:
        log.info("inference_completed", **FIELDS)

    return call


def _debug(log: Any) -> Case:
    def call() -> None:
        log.debug("inference_started", model="gpt-4", prompt_tokens=150)

    return call


def measure_core(quick: bool) -> dict[str, float]:
    """Time one log call in logmoji and each peer; return ns per call by case."""
    seconds, repeats = (0.02, 5) if quick else (0.1, 11)
    text_null = open(os.devnull, "w")  # noqa: SIM115 - lives as long as the process
    bytes_null = open(os.devnull, "wb")  # noqa: SIM115
    stdlib = _stdlib(text_null)
    peers = {
        "structlog console": _info(_structlog_console(text_null)),
        "provide-foundation console": _info(_foundation(text_null)),
        "stdlib console": lambda: stdlib.info("inference_completed", extra=FIELDS),
        "loguru console": _info(_loguru(text_null)),
        "structlog bare": _info(_structlog_bare(text_null)),
    }
    # logmoji's configuration is global: each format gets its own round.
    console = _info(_logmoji("console", text_null))
    results = interleaved({"logmoji console": console, **peers}, seconds=seconds, repeats=repeats)
    json_log = _logmoji("json", bytes_null)
    structlog_json = _structlog_json(bytes_null)
    results |= interleaved(
        {
            "logmoji json": _info(json_log),
            "structlog json": _info(structlog_json),
            "logmoji filtered debug": _debug(json_log),
            "structlog filtered debug": _debug(structlog_json),
        },
        seconds=seconds,
        repeats=repeats,
    )
    return results


# Section: import time --------------------------------------------------------------------


def measure_import(quick: bool) -> dict[str, float]:
    """Return the median wall ns of ``import x`` in fresh interpreters, start-up subtracted."""
    runs = 7 if quick else 25
    # ``import logmoji`` loads neither structlog nor the logging core: a program that
    # logs pays for them at its first ``get_logger``, measured beside structlog's own.
    programs = {
        "pass": "pass",
        "logmoji": "import logmoji",
        "structlog": "import structlog",
        "logmoji logger": "import logmoji; logmoji.get_logger('app')",
        "structlog logger": "import structlog; structlog.get_logger('app')",
    }
    samples: dict[str, list[float]] = {name: [] for name in programs}
    for _ in range(runs + 1):
        for name, code in programs.items():
            start = time.perf_counter_ns()
            subprocess.run([sys.executable, "-c", code], check=True)
            samples[name].append(time.perf_counter_ns() - start)
    medians = {name: statistics.median(values[1:]) for name, values in samples.items()}
    return {
        "logmoji import": medians["logmoji"] - medians["pass"],
        "structlog import": medians["structlog"] - medians["pass"],
        "logmoji logger import": medians["logmoji logger"] - medians["pass"],
        "structlog logger import": medians["structlog logger"] - medians["pass"],
    }


# Section: instrumented SDK calls ---------------------------------------------------------


def _replay_transport(reply: Any, streams: dict[tuple[bool, bool], bytes]) -> Any:
    """Serve recorded replies from memory: the chat reply, or a stream by length and usage."""
    import httpx2
    import orjson

    headers, content = list(reply.headers.multi_items()), reply.content

    def handler(request: httpx2.Request) -> httpx2.Response:
        body = orjson.loads(request.content)
        if not body.get("stream"):
            return httpx2.Response(200, headers=headers, content=content)
        long = request.headers.get("x-fake-reply-tokens") == str(LONG)
        usage = bool((body.get("stream_options") or {}).get("include_usage"))
        return httpx2.Response(
            200, headers={"content-type": "text/event-stream"}, content=streams[long, usage]
        )

    return httpx2.MockTransport(handler)


def _record(base_url: str) -> tuple[Any, dict[tuple[bool, bool], bytes]]:
    """Record the fake provider's replies: one chat reply, and streams by length and usage."""
    import httpx2
    from bench_instrument import MESSAGES

    streams: dict[tuple[bool, bool], bytes] = {}
    with httpx2.Client(base_url=base_url, headers={"authorization": "Bearer sk-fake"}) as http:
        reply = http.post("/chat/completions", json={"model": "gpt-4o", "messages": MESSAGES})
        for long in (False, True):
            for usage in (False, True):
                request: dict[str, Any] = {"model": "gpt-4o", "messages": MESSAGES, "stream": True}
                if usage:
                    request["stream_options"] = {"include_usage": True}
                tokens = str(LONG if long else SHORT)
                stream = http.post(
                    "/chat/completions", json=request, headers={"x-fake-reply-tokens": tokens}
                )
                streams[long, usage] = stream.content
    return reply, streams


# What logmoji logs for the replayed chat call (cost_usd from the default cost tracker):
# tests/test_bench_floor.py checks that these are its lines' fields and values.
STARTED = {
    "provider": "openai",
    "operation": "chat",
    "model": "gpt-4o",
    "message_count": 1,
    "prompt_chars": 37,
    "estimated_prompt_tokens": 13,
    "token_estimate": "heuristic",
    "stream": False,
    "server_address": "api.openai.com",
    "server_port": 443,
}
COMPLETED = {
    "provider": "openai",
    "operation": "chat",
    "model": "gpt-4o",
    "request_id": "req_11d005376197d605ef93d43b",
    "response_id": "chatcmpl-11d005376197d605ef93d43b",
    "response_model": "gpt-4o-2025-01-01",
    "finish_reason": "stop",
    "prompt_tokens": 13,
    "completion_tokens": 24,
    "total_tokens": 37,
    "cached_tokens": 0,
    "reasoning_tokens": 0,
    "duration_ms": 1.5,
    "retries": 0,
    "server_address": "api.openai.com",
    "server_port": 443,
    "cost_usd": 0.0002725,
}


class _TwoLines:
    """A bare client whose chat calls log the two lines logmoji logs, through structlog only.

    The floor of any instrumentation that logs a call's start and end: no
    reading of the request or response, no prices, no statistics.
    """

    def __init__(self, client: Any) -> None:
        self.create = client.chat.completions.create
        self.log = _structlog_json(open(os.devnull, "wb"))  # noqa: SIM115 - process lifetime

    def call(self, **kwargs: Any) -> Any:
        self.log.info("chat_request_started", **STARTED)
        result = self.create(**kwargs)
        self.log.info("chat_request_completed", **COMPLETED)
        return result


# The rate-limit headers a hand-written instrumentation of an OpenAI client reads, spelt
# as OpenAI sends them: (budget, 0 for its limit or 1 for what remains).
_LIMIT_HEADERS = {
    b"x-ratelimit-limit-requests": (0, 0),
    b"x-ratelimit-remaining-requests": (0, 1),
    b"x-ratelimit-limit-tokens": (1, 0),
    b"x-ratelimit-remaining-tokens": (1, 1),
}


_SERVER = {"server_address": "api.openai.com", "server_port": 443}


class _ByHand:
    """A bare client whose chat calls do logmoji's work, written by hand for this call only.

    The two lines logmoji logs, with the call's real values (the prompt's size
    and estimate, the response's ids and usage, the duration, the server); the
    call priced from per-model terms looked up once and added to the model's
    spending; its latency added to the model's ``ddsketch`` sketch; the lowest
    remaining rate-limit budget read from the response's headers (through an
    httpx response hook: a plain call returns no headers) and checked. What an
    instrumentation of one OpenAI client's plain chat calls has to do, with no
    generality: no other provider, request shape, stream, error, retry,
    observer, budget or secret screen.

    Args:
        client: The OpenAI client to call through; a response hook is added to it.
        stream: Where the lines go (binary); the null device by default.
        sketch: Makes a model's latency sketch; ``ddsketch.DDSketch`` by default.
    """

    def __init__(
        self, client: Any, stream: Any = None, sketch: Callable[[], Any] | None = None
    ) -> None:
        if sketch is None:
            from ddsketch import DDSketch

            sketch = DDSketch
        self.create = client.chat.completions.create
        client._client.event_hooks["response"].append(self._response)
        if stream is None:
            stream = open(os.devnull, "wb")  # noqa: SIM115 - process lifetime
        self.log = _structlog_json(stream)
        self.new_sketch = sketch
        self.sketches: dict[str, Any] = {}
        self.spent: dict[str, Decimal] = {}
        # USD per token: input, cached input, output (gpt-4o's, as genai-prices has them).
        self.terms = {"gpt-4o-2025-01-01": (Decimal("2.5e-6"), Decimal("1.25e-6"), Decimal("1e-5"))}
        self.headers: list[tuple[bytes, bytes]] = []

    def _response(self, response: Any) -> None:
        self.headers = response.headers.raw

    def call(self, **kwargs: Any) -> Any:
        model, messages = kwargs["model"], kwargs["messages"]
        chars = sum([len(message["content"]) for message in messages])
        self.log.info(
            "chat_request_started",
            provider="openai",
            operation="chat",
            model=model,
            message_count=len(messages),
            prompt_chars=chars,
            estimated_prompt_tokens=-(-chars // 4) + 3 * len(messages),
            token_estimate="heuristic",
            stream=False,
            **_SERVER,
        )
        started = time.perf_counter()
        result = self.create(**kwargs)
        duration = round((time.perf_counter() - started) * 1000.0, 2)
        usage = result.usage
        prompt, completion = usage.prompt_tokens, usage.completion_tokens
        fields: dict[str, Any] = {
            "provider": "openai",
            "operation": "chat",
            "model": model,
            "request_id": result._request_id,
            "response_id": result.id,
            "response_model": result.model,
            "finish_reason": result.choices[0].finish_reason,
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": usage.total_tokens,
        }
        details = usage.prompt_tokens_details
        cached = None if details is None else details.cached_tokens
        if cached is not None:
            fields["cached_tokens"] = cached
        details = usage.completion_tokens_details
        reasoning = None if details is None else details.reasoning_tokens
        if reasoning is not None:
            fields["reasoning_tokens"] = reasoning
        fields["duration_ms"] = duration
        fields["retries"] = 0
        fields.update(_SERVER)
        terms = self.terms.get(result.model)
        if terms is not None:
            cached = cached or 0
            cost = (prompt - cached) * terms[0] + cached * terms[1] + completion * terms[2]
            self.spent[model] = self.spent.get(model, 0) + cost
            fields["cost_usd"] = float(cost)
        sketch = self.sketches.get(model)
        if sketch is None:
            sketch = self.sketches[model] = self.new_sketch()
        sketch.add(duration)
        headers, self.headers = self.headers, []
        budgets: list[list[int | None]] = [[None, None], [None, None]]
        for name, value in headers:
            found = _LIMIT_HEADERS.get(name)
            if found is not None:
                try:  # noqa: SIM105 - cheaper than a suppress() context per header
                    budgets[found[0]][found[1]] = int(value)
                except ValueError:
                    pass
        lowest: float | None = None
        for total, left in budgets:
            if total and left is not None and (lowest is None or left / total < lowest):
                lowest = left / total
        if lowest is not None and lowest < 0.1:
            self.log.warning("rate_limit_status", lowest_remaining_ratio=lowest)
        self.log.info("chat_request_completed", **fields)
        return result


def _clients(make: Callable[[], Any], *, by_hand: bool = True) -> dict[str, Case]:
    """Return one plain chat call each: bare, logmoji, logfire, two lines (and the work by hand)."""
    import logfire
    from bench_instrument import MESSAGES, plain

    from logmoji.llm.instrumentation import instrument

    bare, ours, theirs, floor = make(), make(), make(), _TwoLines(make())
    instrument(ours)
    logfire.instrument_openai(theirs)
    cases = {
        "bare": plain(bare),
        "logmoji": plain(ours),
        "logfire": plain(theirs),
        "two lines": lambda: floor.call(model="gpt-4o", messages=MESSAGES),
    }
    if by_hand:
        hand = _ByHand(make())
        cases["by hand"] = lambda: hand.call(model="gpt-4o", messages=MESSAGES)
    return cases


def _configure_instrumentation() -> None:
    """Send logmoji's lines to the null device and configure logfire to export nothing.

    logmoji writes JSON lines, as in production and as the floor's structlog lines are
    written; ``bench_instrument.py`` measures the same calls with console lines.
    """
    import logfire

    import logmoji
    from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry

    logmoji.reset()
    null = open(os.devnull, "wb")  # noqa: SIM115 - lives as long as the process
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(formatter="json", stream=null)), environ={}
    )
    logfire.configure(send_to_logfire=False, console=False, inspect_arguments=False)


def measure_instrument(quick: bool) -> dict[str, float]:
    """Time bare, logmoji- and logfire-instrumented calls; return ns per call by case."""
    import httpx2
    import openai
    from bench_instrument import (
        REPLAY_BASE_URL,
        call_in_memory,
        fake_provider,
        run_cases_for,
        streamed,
    )

    from logmoji.llm.instrumentation import instrument

    repeats = 5 if quick else 15
    _configure_instrumentation()
    with fake_provider() as base_url:
        http = _clients(
            lambda: openai.OpenAI(base_url=base_url, api_key="sk-fake", max_retries=0),
            by_hand=False,  # a floor of the CPU rows only
        )
        wall = interleaved(
            {f"http {name}": call for name, call in http.items()},
            seconds=0.05 if quick else 0.2,
            repeats=repeats,
        )
        reply, recorded = _record(base_url)
    transport = _replay_transport(reply, recorded)

    def replayed() -> openai.OpenAI:
        return openai.OpenAI(
            base_url=REPLAY_BASE_URL,
            api_key="sk-fake",
            max_retries=0,
            http_client=httpx2.Client(transport=transport),
        )

    replays = interleaved_samples(
        _clients(replayed),
        seconds=0.05 if quick else 0.2,
        repeats=repeats,
        clock=time.process_time_ns,
    )
    cpu = {f"replay {name}": statistics.median(values) for name, values in replays.items()}
    for name in ("logmoji", "logfire", "two lines", "by hand"):
        cpu[f"overhead {name}"] = paired(replays, lambda r, name=name: r[name] - r["bare"])
    bare, ours = replayed(), replayed()
    instrument(ours)
    # logmoji asks a chat stream for its usage (stream_options.include_usage), so the
    # server adds '"usage":null' to every chunk. "bare" asks too: both read the same
    # bytes, and the difference is logmoji's own work. "bare, no usage" does not ask:
    # against it, what asking costs the SDK per chunk, shown on a row of its own.
    usage = {"stream_options": {"include_usage": True}}
    streams: dict[str, Case] = {}
    for name, client, options in (
        ("bare", bare, usage),
        ("logmoji", ours, {}),
        ("bare, no usage", bare, {}),
    ):
        streams[f"{name} short"] = streamed(client, SHORT, **options)
        streams[f"{name} long"] = streamed(client, LONG, **options)
    chunks = interleaved_samples(
        streams, seconds=0.1 if quick else 0.2, repeats=repeats + 10, clock=time.process_time_ns
    )
    cpu |= {f"stream {name}": statistics.median(values) for name, values in chunks.items()}

    def per_chunk(ours: str, theirs: str) -> float:
        return paired(
            chunks,
            lambda r: (
                (
                    (r[f"{ours} long"] - r[f"{theirs} long"])
                    - (r[f"{ours} short"] - r[f"{theirs} short"])
                )
                / (LONG - SHORT)
            ),
        )

    cpu["added per chunk"] = per_chunk("logmoji", "bare")
    cpu["usage per chunk"] = per_chunk("bare", "bare, no usage")
    cpu["SDK per chunk"] = paired(
        chunks, lambda r: (r["bare long"] - r["bare short"]) / (LONG - SHORT)
    )
    # Issue 16: the same call's bookkeeping (start, end, both lines, cost, monitor; no
    # HTTP) outside a run and inside an agent run, whose run_id and agent are on its lines.
    runs = interleaved_samples(
        run_cases_for(call_in_memory()),
        seconds=0.05 if quick else 0.1,
        repeats=repeats * 2,
        clock=time.process_time_ns,
    )
    cpu["run added"] = paired(runs, lambda r: r["inside"] - r["outside"])
    cpu["run outside"] = statistics.median(runs["outside"])
    return wall | cpu


# Section: the monitor --------------------------------------------------------------------


def measure_monitor(quick: bool) -> dict[str, float]:
    """Time the monitor's record and p99 query beside ddsketch's; measure its memory."""
    from bench_monitor import peer_figures

    import logmoji
    from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry

    logmoji.reset()
    null = open(os.devnull, "wb")  # noqa: SIM115 - lives as long as the process
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(formatter="json", stream=null)), environ={}
    )
    return {f"monitor {name}": value for name, value in peer_figures(quick).items()}


# Section: the report ---------------------------------------------------------------------

# The report's peer: a loop that reads the file as the report does (8 MiB chunks, cut
# into lines) and parses every line with orjson, doing nothing with the result.
ORJSON_LOOP = """
import sys, orjson
loads, rest, parsed = orjson.loads, b"", 0
with open(sys.argv[1], "rb") as f:
    while chunk := f.read(8 << 20):
        lines = (rest + chunk).split(b"\\n")
        rest = lines.pop()
        for line in lines:
            try:
                loads(line)
                parsed += 1
            except orjson.JSONDecodeError:
                pass
print(parsed)
"""


def measure_report(quick: bool) -> dict[str, float]:
    """Time ``logmoji report FILE`` and the orjson loop on a generated million-line log.

    Both run as fresh processes, start-up included, taking turns; wall time and
    the CPU time of the process and its children, medians.
    """
    from bench_report import write_log

    lines = 100_000 if quick else 1_000_000
    with tempfile.TemporaryDirectory() as folder:
        path = os.path.join(folder, "bench.jsonl")
        write_log(path, lines)
        commands = {
            "report": [sys.executable, "-m", "logmoji.cli", "report", path],
            "report orjson loop": [sys.executable, "-c", ORJSON_LOOP, path],
        }
        for command in commands.values():  # warm the page cache
            subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
        wall: dict[str, list[float]] = {name: [] for name in commands}
        cpu: dict[str, list[float]] = {name: [] for name in commands}
        for _ in range(3 if quick else 5):
            for name, command in commands.items():
                before = _children_cpu()
                start = time.perf_counter_ns()
                subprocess.run(command, stdout=subprocess.DEVNULL, check=True)
                wall[name].append(time.perf_counter_ns() - start)
                cpu[name].append(_children_cpu() - before)
    result = {name: statistics.median(values) for name, values in wall.items()}
    result |= {f"{name} cpu": statistics.median(values) for name, values in cpu.items()}
    return result | {"report lines": float(lines)}


def _children_cpu() -> float:
    """Return the CPU ns (user and system) of this process's finished children."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * 1e9


# Section: the demo -----------------------------------------------------------------------


def measure_demo(quick: bool) -> dict[str, float]:
    """Time ``logmoji demo`` as a newcomer meets it: to its first line, and to its end (ns)."""
    firsts, totals = [], []
    for _ in range(1 if quick else 3):
        with tempfile.TemporaryDirectory() as folder:
            log = os.path.join(folder, "demo.jsonl")
            command = [sys.executable, "-m", "logmoji", "demo", "--no-color", "--json-log", log]
            start = time.perf_counter_ns()
            with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
                assert process.stdout is not None
                first = None
                for line in process.stdout:
                    if first is None and line.strip():
                        first = time.perf_counter_ns() - start
            totals.append(time.perf_counter_ns() - start)
            firsts.append(float(first if first is not None else totals[-1]))
    return {"demo first line": statistics.median(firsts), "demo total": statistics.median(totals)}


# Section: providers ---------------------------------------------------------------------


def measure_providers(quick: bool) -> dict[str, float]:
    """Time bare and instrumented OpenAI and Gemini calls over HTTP in CPU time (ns per call).

    The fake provider runs in a child process, so this process's CPU time is the
    SDK's work plus logmoji's; each SDK's overhead is paired within rounds.
    """
    import openai
    from bench_instrument import MESSAGES, configure_null_sink, fake_provider
    from google import genai
    from google.genai import types

    from logmoji.llm.instrumentation import instrument

    configure_null_sink()
    with fake_provider() as base_url:
        root = base_url.removesuffix("/v1")

        def gemini() -> Any:
            options = types.HttpOptions(base_url=root)
            return genai.Client(api_key="fake-gemini-key", http_options=options)

        def oai() -> Any:
            return openai.OpenAI(base_url=base_url, api_key="sk-fake", max_retries=0)

        bare_g, ours_g, bare_o, ours_o = gemini(), gemini(), oai(), oai()
        instrument(ours_g)
        instrument(ours_o)
        prompt = MESSAGES[0]["content"]
        cases: dict[str, Case] = {
            "gemini bare": lambda: bare_g.models.generate_content(
                model="gemini-2.0-flash", contents=prompt
            ),
            "gemini logmoji": lambda: ours_g.models.generate_content(
                model="gemini-2.0-flash", contents=prompt
            ),
            "openai bare": lambda: bare_o.chat.completions.create(
                model="gpt-4o", messages=MESSAGES
            ),
            "openai logmoji": lambda: ours_o.chat.completions.create(
                model="gpt-4o", messages=MESSAGES
            ),
        }
        samples = interleaved_samples(
            cases,
            seconds=0.1 if quick else 0.3,
            repeats=5 if quick else 15,
            clock=time.process_time_ns,
        )
    return {
        "provider overhead gemini": paired(
            samples, lambda r: r["gemini logmoji"] - r["gemini bare"]
        ),
        "provider overhead openai": paired(
            samples, lambda r: r["openai logmoji"] - r["openai bare"]
        ),
    }


SECTIONS: dict[str, Callable[[bool], dict[str, float]]] = {
    "core": measure_core,
    "import": measure_import,
    "instrument": measure_instrument,
    "monitor": measure_monitor,
    "report": measure_report,
    "demo": measure_demo,
    "providers": measure_providers,
}


# The table -------------------------------------------------------------------------------


def _ns(value: float) -> str:
    if value >= 1e9:
        return f"{value / 1e9:.2f} s"
    if value >= 1e6:
        return f"{value / 1e6:.2f} ms"
    if value >= 1e4:
        return f"{value / 1e3:.1f} µs"
    return f"{value:,.0f} ns"


def _chunk_rows(r: dict[str, float], row: Callable[..., None]) -> None:
    """Add the rows of the cost per streamed chunk: logmoji's, the SDK's, asking for usage."""
    added = r["added per chunk"]
    row("added per streamed chunk (CPU)", added, None, target="≤ 1 µs", met=added <= 1000, ratio="")
    sdk = r["SDK per chunk"]
    row("  the SDK's own work per chunk", sdk, None, target="(info)", met=None, ratio="")
    asked = r["usage per chunk"]
    row(
        "  the SDK's, for '\"usage\":null' when usage is asked",
        asked,
        None,
        target="(info)",
        met=None,
        ratio=f"{asked / sdk:.1%}",
    )


def rows(r: dict[str, float]) -> list[tuple[str, ...]]:
    """Return the table rows: measure, logmoji, peer, ratio, target, verdict."""
    out: list[tuple[str, ...]] = []

    def row(
        measure: str, ours: float, peer: float | None, *, target: str, met: bool | None, ratio: str
    ) -> None:
        verdict = "" if met is None else ("met" if met else "NOT MET")
        peer_text = "" if peer is None else _ns(peer)
        out.append((measure, _ns(ours), peer_text, ratio, target, verdict))

    def at_most(measure: str, ours: float, peer: float, limit: float | None) -> None:
        value = ours / peer
        target = "(info)" if limit is None else f"≤ {limit:g}×"
        met = None if limit is None else value <= limit
        row(measure, ours, peer, target=target, met=met, ratio=f"{value:.2f}×")

    console, foundation = r["logmoji console"], r["provide-foundation console"]
    at_most("console line, vs structlog ConsoleRenderer", console, r["structlog console"], 0.5)
    at_most(
        "JSON line, vs structlog JSONRenderer(orjson)", r["logmoji json"], r["structlog json"], 1.0
    )
    at_most(
        "filtered debug, vs structlog filtering logger",
        r["logmoji filtered debug"],
        r["structlog filtered debug"],
        1.2,
    )
    times = foundation / console
    row(
        "console line, vs provide-foundation (emoji)",
        console,
        foundation,
        target="≥ 15× faster",
        met=times >= 15,
        ratio=f"{times:.1f}× faster",
    )
    bare_structlog = r["structlog bare"]
    row(
        "  floor: bare structlog call, one renderer",
        bare_structlog,
        foundation,
        target="(info)",
        met=None,
        ratio=f"{foundation / bare_structlog:.1f}× faster",
    )
    at_most("console line, vs stdlib logging key=value", console, r["stdlib console"], None)
    at_most("console line, vs loguru", console, r["loguru console"], None)
    at_most("import time, vs import structlog", r["logmoji import"], r["structlog import"], 1.1)
    at_most(
        "  import and get_logger, vs structlog's",
        r["logmoji logger import"],
        r["structlog logger import"],
        None,
    )
    at_most("plain call over HTTP, instrumented vs bare", r["http logmoji"], r["http bare"], 1.03)
    at_most("  floor: bare call + 2 structlog lines", r["http two lines"], r["http bare"], None)
    at_most("  logfire instrument_openai vs bare", r["http logfire"], r["http bare"], None)
    _chunk_rows(r, row)
    at_most(
        "instrumentation overhead (CPU), vs logfire",
        r["overhead logmoji"],
        r["overhead logfire"],
        0.1,
    )
    at_most(
        "  floor: 2 structlog lines, vs logfire",
        r["overhead two lines"],
        r["overhead logfire"],
        None,
    )
    at_most(
        "instrumentation overhead (CPU), vs 2 structlog lines",
        r["overhead logmoji"],
        r["overhead two lines"],
        1.5,
    )
    at_most(
        "  floor: the same work by hand, vs 2 structlog lines",
        r["overhead by hand"],
        r["overhead two lines"],
        None,
    )
    at_most(
        "  logmoji vs the same work by hand",
        r["overhead logmoji"],
        r["overhead by hand"],
        None,
    )
    run_added = r["run added"]
    row(
        "call inside an agent run, added CPU (no HTTP)",
        run_added,
        r["run outside"],
        target="≤ 3 µs",
        met=run_added <= 3000,
        ratio=f"+{run_added / r['run outside']:.1%}",
    )
    at_most(
        "monitor record_request, vs ddsketch add",
        r["monitor record_request"],
        r["monitor ddsketch add"],
        1.5,
    )
    query = r["monitor p99 query"]
    row(
        "monitor p99 query, 300k records over 1 h",
        query,
        r["monitor ddsketch p99 query"],
        target="≤ 50 µs",
        met=query <= 50_000,
        ratio=f"{query / r['monitor ddsketch p99 query']:.2f}×",
    )
    if "monitor quantile(0.99)" in r:
        at_most(
            "  quantile(0.99, model), no snapshot",
            r["monitor quantile(0.99)"],
            r["monitor ddsketch p99 query"],
            None,
        )
    memory = r["monitor memory"]
    models, records = int(r["monitor memory models"]), int(r["monitor memory records"])
    out.append(
        (
            f"monitor memory, {models} models × {records // 1000}k records",
            f"{memory / 2**20:.2f} MiB",
            "",
            "",
            "≤ 1 MiB",
            "met" if memory <= 2**20 else "NOT MET",
        )
    )
    lines = f"{r['report lines']:,.0f}"
    at_most(
        f"logmoji report, {lines} lines, vs orjson loop",
        r["report"],
        r["report orjson loop"],
        1.2,
    )
    at_most(
        "  the same in CPU time (all processes)", r["report cpu"], r["report orjson loop cpu"], None
    )
    if "provider overhead gemini" in r:
        at_most(
            "Gemini call overhead (CPU), vs OpenAI call's",
            r["provider overhead gemini"],
            r["provider overhead openai"],
            1.0,
        )
    first, total = r["demo first line"], r["demo total"]
    row("logmoji demo, first line", first, None, target="≤ 1 s", met=first <= 1e9, ratio="")
    row("logmoji demo, whole run", total, None, target="≤ 8 s", met=total <= 8e9, ratio="")
    return out


def machine() -> str:
    """Describe the machine: CPUs, CPU model, Python, load average."""
    model = platform.processor() or "?"
    try:
        with open("/proc/cpuinfo") as info:
            model = next(
                (line.split(":", 1)[1].strip() for line in info if line.startswith("model name")),
                model,
            )
    except OSError:
        pass
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    return (
        f"{os.cpu_count()} CPUs, {model}; Python {platform.python_version()}; load average {load}"
    )


def main() -> None:
    """Run every section in a child process and print the table (or run one section)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="shorter runs, noisier figures")
    parser.add_argument("--section", choices=SECTIONS, help=argparse.SUPPRESS)
    parser.add_argument("--only", action="append", choices=SECTIONS, help="run only these sections")
    args = parser.parse_args()
    if args.section:
        print(json.dumps(SECTIONS[args.section](args.quick)))
        return
    print(machine(), flush=True)
    results: dict[str, float] = {}
    for name in args.only or SECTIONS:
        start = time.perf_counter()
        command = [
            sys.executable,
            __file__,
            "--section",
            name,
            *(["--quick"] if args.quick else []),
        ]
        output = subprocess.run(command, check=True, stdout=subprocess.PIPE, text=True).stdout
        results |= json.loads(output.strip().splitlines()[-1])
        print(f"  {name}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)
    if args.only:
        print(json.dumps(results, indent=1))
        return
    print(table(rows(results), ("measure", "logmoji", "peer", "ratio", "target", "")))
    print(f"load average after: {', '.join(f'{x:.2f}' for x in os.getloadavg())}")


if __name__ == "__main__":
    main()
