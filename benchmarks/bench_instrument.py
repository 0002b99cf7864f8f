"""Time an instrumented OpenAI call against a bare one on the same fake provider, in one run.

Both clients are sync ``openai.OpenAI`` clients of one local
:class:`~logmoji.testing.FakeLLMProvider`, served from a child process so its
thread does not share this process's GIL (in-process, GIL hand-offs add
milliseconds of noise to every call). Logs go to a null sink at the default
INFO level (the SDK's and httpx2's own INFO lines are silenced, so both sides
pay only for their own work). Repetitions are interleaved (bare,
instrumented, bare, ...) and medians reported.

Cases:

* plain call: ``chat.completions.create`` (ns per call, and the ratio);
* streamed chunk over HTTP: streams of 50 and 1050 tokens, bare and
  instrumented; the difference of the differences over the 1000 extra chunks
  is the cost added per chunk, with per-call costs cancelled out;
* plain call, replayed: the fake provider's recorded reply served from memory
  (an ``httpx2.MockTransport``), so the difference is the instrumentation's
  CPU cost without network or scheduling noise;
* streamed chunk, watcher alone: the same chunks replayed from memory through
  the stream watcher (generator step + tracker), against a bare loop: the
  per-chunk cost without HTTP noise.

Wall-clock and CPU-time medians are both shown; on a busy machine the HTTP
rows are noisy, the replayed rows much less so.

Targets (see the issue): plain call ≤ 1.03× bare; ≤ 2 µs added per chunk.

Run: ``python benchmarks/bench_instrument.py`` (``--quick`` for a short run).
"""

from __future__ import annotations

import contextlib
import contextvars
import os
import re
import statistics
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx2
import openai

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, table

import logmoji
from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
from logmoji.llm._defaults import default_observers
from logmoji.llm._runs import RunState, current_run
from logmoji.llm.agents import agent_run
from logmoji.llm.instrumentation import instrument
from logmoji.llm.instrumentation._call import Call
from logmoji.llm.instrumentation._outcome import Outcome
from logmoji.llm.instrumentation._runtime import Runtime, Settings
from logmoji.llm.instrumentation.providers.openai import CHAT, ChatTracker
from logmoji.llm.instrumentation.streams import _watch

MESSAGES: Any = [{"role": "user", "content": "Name three rivers of Europe, briefly."}]
SHORT, LONG = 50, 1050
# Replayed calls go to OpenAI's address, so they are named and priced as in production;
# their transport is mocked, so nothing leaves the process.
REPLAY_BASE_URL = "https://api.openai.com/v1"


def configure_null_sink(formatter: str = "console") -> None:
    """Send logmoji's lines (console or JSON) to the null device, SDK chatter off."""
    logmoji.reset()
    null = open(os.devnull, "w" if formatter == "console" else "wb")  # noqa: SIM115 - process
    quiet = {"httpx2": "WARNING", "httpcore2": "WARNING", "openai": "WARNING"}
    config = LoggingConfig(formatter=formatter, stream=null, colors=False, module_levels=quiet)
    setup_telemetry(TelemetryConfig(logging=config), environ={})


@contextlib.contextmanager
def fake_provider() -> Iterator[str]:
    """Serve the fake provider from a child process; yield its OpenAI base URL."""
    # Limits too high to run low: a low limit turns rate_limit_status into a warning line.
    code = (
        "from logmoji.testing._fake_provider import serve;"
        "serve(port=0, rate_limit_requests=10**9, rate_limit_tokens=10**12)"
    )
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    child = subprocess.Popen(
        [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=env
    )
    try:
        assert child.stdout is not None
        match = re.search(r"OpenAI (\S+)", child.stdout.readline())
        if match is None:
            raise RuntimeError("the fake provider did not start")
        yield match.group(1)
    finally:
        child.terminate()
        child.wait(timeout=5)


def plain(client: openai.OpenAI) -> Callable[[], object]:
    """Return one non-streaming chat call."""

    def run() -> object:
        return client.chat.completions.create(model="gpt-4o", messages=MESSAGES)

    return run


def streamed(client: openai.OpenAI, tokens: int, **options: Any) -> Callable[[], object]:
    """Return one streamed chat call of ``tokens`` chunks, read to the end."""
    headers = {"x-fake-reply-tokens": str(tokens)}

    def run() -> object:
        stream = client.chat.completions.create(
            model="gpt-4o", messages=MESSAGES, stream=True, extra_headers=headers, **options
        )
        for _ in stream:
            pass
        return stream

    return run


def compare_cpu(
    cases: dict[str, Callable[[], object]], *, number: int, repeats: int
) -> dict[str, float]:
    """Like ``compare`` but in this process's CPU time: the server's time and waits drop out."""
    for fn in cases.values():
        fn()
    samples: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(repeats):
        for name, fn in cases.items():
            start = time.process_time_ns()
            for _ in range(number):
                fn()
            samples[name].append((time.process_time_ns() - start) / number)
    return {name: statistics.median(values) for name, values in samples.items()}


def watcher(chunks: list[Any]) -> tuple[Callable[[], object], Callable[[], object]]:
    """Return a bare loop over ``chunks`` and the same loop through the stream watcher."""
    runtime = Runtime("openai", Settings(), get_logger("llm.openai"), "x-request-id")
    prompt = CHAT.prompt({"model": "gpt-4o", "messages": MESSAGES}, False)

    def bare() -> object:
        for _ in iter(chunks):
            pass
        return None

    def watched() -> object:
        call = Call(runtime, "chat", prompt, stream=True)
        for _ in _watch(iter(chunks), ChatTracker(call, True)):
            pass
        return None

    return bare, watched


def replay_client(reply: Any) -> openai.OpenAI:
    """Return a bare client that gets ``reply`` (a recorded response) from memory."""
    headers, content = list(reply.headers.multi_items()), reply.content

    def handler(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers=headers, content=content)

    return openai.OpenAI(
        base_url=REPLAY_BASE_URL,
        api_key="sk-fake",
        max_retries=0,
        http_client=httpx2.Client(transport=httpx2.MockTransport(handler)),
    )


def replayed_clients(reply: Any) -> tuple[openai.OpenAI, openai.OpenAI]:
    """Return a bare and an instrumented client that get ``reply`` (recorded) from memory."""
    bare, client = replay_client(reply), replay_client(reply)
    instrument(client)
    return bare, client


def stream_cases(bare: openai.OpenAI, client: openai.OpenAI) -> dict[str, Callable[[], object]]:
    """Return short and long streams: bare, bare asking for usage, and instrumented."""
    usage = {"stream_options": {"include_usage": True}}
    return {
        "bare short": streamed(bare, SHORT),
        "usage short": streamed(bare, SHORT, **usage),
        "instrumented short": streamed(client, SHORT),
        "bare long": streamed(bare, LONG),
        "usage long": streamed(bare, LONG, **usage),
        "instrumented long": streamed(client, LONG),
    }


def per_chunk(ns: dict[str, float], case: str, baseline: str = "bare") -> float:
    """Return the ns ``case`` adds per chunk over ``baseline``; per-call costs cancel out."""
    long = ns[f"{case} long"] - ns[f"{baseline} long"]
    short = ns[f"{case} short"] - ns[f"{baseline} short"]
    return (long - short) / (LONG - SHORT)


def call_in_memory() -> Callable[[], object]:
    """Return one instrumented call's bookkeeping (start, end, events, cost) without HTTP."""
    rt = Runtime("openai", Settings(observers=default_observers()), get_logger("llm.openai"), "")
    prompt = CHAT.prompt({"model": "gpt-4o", "messages": MESSAGES}, False)

    def run() -> object:
        call = Call(rt, "chat", prompt, stream=False)
        call.start()
        call.completed(Outcome(prompt_tokens=12, completion_tokens=24, response_model="gpt-4o"))
        return call

    return run


def run_cases_for(call: Callable[[], object]) -> dict[str, Callable[[], object]]:
    """Return the same call made in a context without a run and in one inside an agent run."""
    outside = contextvars.copy_context()
    inside = contextvars.copy_context()
    inside.run(agent_run("bench").__enter__)  # left open: every call below is inside it
    # The run's accounting alone, without its fields (run_id, agent) on the call's lines.
    totals = contextvars.copy_context()
    totals.run(current_run.set, RunState("bench", "0123456789abcdef", None, None))
    return {
        "outside": lambda: outside.run(call),
        "inside": lambda: inside.run(call),
        "totals": lambda: totals.run(call),
    }


def main() -> None:
    """Run every case and print the table."""
    quick = "--quick" in sys.argv
    calls, streams, repeats = (30, 3, 5) if quick else (200, 10, 9)
    configure_null_sink()
    with fake_provider() as base_url:
        bare = openai.OpenAI(base_url=base_url, api_key="sk-fake", max_retries=0)
        client = openai.OpenAI(base_url=base_url, api_key="sk-fake", max_retries=0)
        instrument(client)
        plain_cases = {"bare": plain(bare), "instrumented": plain(client)}
        plain_wall = compare(plain_cases, number=calls, repeats=repeats)
        plain_cpu = compare_cpu(plain_cases, number=calls, repeats=repeats)
        stream_wall = compare(stream_cases(bare, client), number=streams, repeats=repeats)
        stream_cpu = compare_cpu(stream_cases(bare, client), number=streams, repeats=repeats)
        chunks = list(
            bare.chat.completions.create(
                model="gpt-4o",
                messages=MESSAGES,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers={"x-fake-reply-tokens": "1000"},
            )
        )
        recorded = bare.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
        replay_bare, replay_client = replayed_clients(recorded.http_response)
        replay_cases = {"bare": plain(replay_bare), "instrumented": plain(replay_client)}
        replay_wall = compare(replay_cases, number=calls * 2, repeats=repeats)
        replay_cpu = compare_cpu(replay_cases, number=calls * 2, repeats=repeats)
        run_cases = run_cases_for(plain(replay_client))
        run_cpu = compare_cpu(run_cases, number=calls * 2, repeats=repeats)
        memory_cpu = compare_cpu(
            run_cases_for(call_in_memory()), number=calls * 20, repeats=repeats * 3
        )
        bare_loop, watched_loop = watcher(chunks)
        loop_ns = compare({"bare": bare_loop, "watched": watched_loop}, number=50, repeats=repeats)
        bare.close()
        client.close()
    configure_null_sink("json")  # the run's rows again, with production's JSON lines
    json_cpu = compare_cpu(run_cases_for(call_in_memory()), number=calls * 20, repeats=repeats * 3)
    configure_null_sink()

    def ns(value: float) -> str:
        return f"{value:,.0f} ns"

    def run_rows(cpu: dict[str, float], lines: str) -> list[tuple[str, str, str, str]]:
        """Return the rows of a call's bookkeeping outside a run and what a run adds to it."""
        return [
            (f"call bookkeeping, outside a run, {lines} lines", "", ns(cpu["outside"]), "no HTTP"),
            ("  added by the run's totals", "", ns(cpu["totals"] - cpu["outside"]), ""),
            (
                "  added by the run, with its fields",
                "",
                ns(cpu["inside"] - cpu["outside"]),
                "run_id, agent on each line; ≤ 3,000 ns",
            ),
        ]

    rows = [
        ("plain call, bare", ns(plain_wall["bare"]), ns(plain_cpu["bare"]), ""),
        (
            "plain call, instrumented",
            ns(plain_wall["instrumented"]),
            ns(plain_cpu["instrumented"]),
            "",
        ),
        (
            "  ratio",
            f"{plain_wall['instrumented'] / plain_wall['bare']:.3f}×",
            f"{plain_cpu['instrumented'] / plain_cpu['bare']:.3f}×",
            "target ≤ 1.03×",
        ),
        ("plain call replayed, bare", ns(replay_wall["bare"]), ns(replay_cpu["bare"]), ""),
        (
            "plain call replayed, instrumented",
            ns(replay_wall["instrumented"]),
            ns(replay_cpu["instrumented"]),
            "",
        ),
        (
            "  added",
            ns(replay_wall["instrumented"] - replay_wall["bare"]),
            ns(replay_cpu["instrumented"] - replay_cpu["bare"]),
            f"{replay_cpu['instrumented'] / replay_cpu['bare']:.3f}× in CPU",
        ),
        ("replayed call, outside a run", "", ns(run_cpu["outside"]), ""),
        ("replayed call, inside an agent run", "", ns(run_cpu["inside"]), ""),
        ("  added by the run", "", ns(run_cpu["inside"] - run_cpu["outside"]), "over HTTP"),
        *run_rows(memory_cpu, "console"),
        *run_rows(json_cpu, "JSON"),
        (
            f"stream of {LONG}, bare",
            ns(stream_wall["bare long"]),
            ns(stream_cpu["bare long"]),
            "",
        ),
        (
            f"stream of {LONG}, instrumented",
            ns(stream_wall["instrumented long"]),
            ns(stream_cpu["instrumented long"]),
            "",
        ),
        (
            "added per chunk, over HTTP",
            ns(per_chunk(stream_wall, "instrumented")),
            ns(per_chunk(stream_cpu, "instrumented")),
            "target ≤ 2,000 ns",
        ),
        (
            "  SDK parsing usage:null alone",
            ns(per_chunk(stream_wall, "usage")),
            ns(per_chunk(stream_cpu, "usage")),
            "bare client asking include_usage",
        ),
        (
            "added per chunk, watcher alone",
            ns((loop_ns["watched"] - loop_ns["bare"]) / len(chunks)),
            "",
            "chunks replayed from memory",
        ),
    ]
    print(table(rows, ("case", "wall (median)", "CPU (median)", "note")))


if __name__ == "__main__":
    main()
