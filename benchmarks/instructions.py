"""Count the instructions an instrumented OpenAI call costs, deterministically, under callgrind.

Timings on a shared machine move with its load; instruction counts do not.
Each case makes replayed chat calls (the fake provider's recorded reply served
from memory by an ``httpx2.MockTransport``), once ``N`` and once ``N + 200``
times, each run under ``valgrind --tool=callgrind`` with ``PYTHONHASHSEED=0``;
the difference of the two totals over 200 is the cost of one call, start-up
and warm-up cancelled out. Cases:

* ``bare``: a bare client;
* ``logmoji``: an ``instrument()``-ed client, default observers;
* ``logmoji-no-observers``: the same with ``observers=()`` (no cost tracker,
  no performance monitor);
* ``logmoji-silent``: default observers, the logger at ERROR (no lines written);
* ``logmoji-run``: the ``logmoji`` call made inside an ``agent_run`` (its
  accounting, and its ``run_id`` and ``agent`` fields on both lines);
* ``logmoji-fields``: the ``logmoji`` call with the same two fields bound
  (``bind_contextvars``) and no run: what the fields alone cost;
* ``floor``: a bare client around whose calls structlog logs the same two lines;
* ``by-hand``: a bare client whose calls do logmoji's work written by hand for
  this one call (``bench_peers._ByHand``; needs ``ddsketch``, as in ``.bench-venv``).

And the added cost of one streamed chunk (``--chunks``): bare and
``instrument()``-ed clients read a replayed chat stream of 50 and of 1050
chunks (recorded with its usage chunk, so both read the same bytes); the
difference of the differences over 1000 is what logmoji adds per chunk.

Lines go to the null device as JSON (``--console`` for console lines).
Needs valgrind; a run takes a few minutes (two valgrind runs per case, two at a time).

Run: ``python benchmarks/instructions.py [--console] [CASE ...]``.
"""

from __future__ import annotations

import argparse
import os
import re
import subprocess
import sys
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

CASES = (
    "bare",
    "logmoji",
    "logmoji-no-observers",
    "logmoji-silent",
    "logmoji-run",
    "logmoji-fields",
    "floor",
    "by-hand",
)
SHORT, EXTRA = 20, 200


def _configure(formatter: str, level: str) -> None:
    import logmoji
    from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry

    logmoji.reset()
    null = open(os.devnull, "w" if formatter == "console" else "wb")  # noqa: SIM115 - process
    config = LoggingConfig(formatter=formatter, stream=null, colors=False, default_level=level)
    setup_telemetry(TelemetryConfig(logging=config), environ={})


def record_chat(**options: Any) -> Any:
    """Return the fake provider's HTTP response, read, to the cases' chat request with ``options``.

    Rate limits are set too high to run low, so that no case logs a warning.
    """
    import openai
    from bench_instrument import MESSAGES

    from logmoji.testing import FakeLLMProvider

    with FakeLLMProvider(rate_limit_requests=10**9, rate_limit_tokens=10**12) as fake:
        recorder = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-fake", max_retries=0)
        raw = recorder.chat.completions.with_raw_response.create(
            model="gpt-4o", messages=MESSAGES, **options
        )
        raw.http_response.read()
        recorder.close()
    return raw.http_response


def _call(case: str) -> Callable[[], object]:
    """Return one replayed chat call of ``case``."""
    from bench_instrument import MESSAGES, plain, replay_client
    from bench_peers import _ByHand, _TwoLines

    from logmoji.llm.instrumentation import instrument

    client = replay_client(record_chat())
    if case == "floor":
        floor = _TwoLines(client)
        return lambda: floor.call(model="gpt-4o", messages=MESSAGES)
    if case == "by-hand":
        hand = _ByHand(client)
        return lambda: hand.call(model="gpt-4o", messages=MESSAGES)
    if case == "logmoji-no-observers":
        instrument(client, observers=())
    elif case != "bare":
        instrument(client)
    return plain(client)


CHUNK_CASES = ("stream-50-bare", "stream-1050-bare", "stream-50-logmoji", "stream-1050-logmoji")
CHUNK_SHORT, CHUNK_EXTRA = 2, 20


def _stream(case: str) -> Callable[[], object]:
    """Return one read of a replayed stream of ``case`` (``stream-<chunks>-<bare|logmoji>``)."""
    from bench_instrument import MESSAGES, replay_client

    from logmoji.llm.instrumentation import instrument

    _, chunks, kind = case.split("-")
    reply = record_chat(
        stream=True,
        stream_options={"include_usage": True},
        extra_headers={"x-fake-reply-tokens": chunks},
    )
    client = replay_client(reply)
    if kind == "logmoji":
        instrument(client)

    def read() -> None:
        for _ in client.chat.completions.create(model="gpt-4o", messages=MESSAGES, stream=True):
            pass

    return read


def run(case: str, calls: int, formatter: str) -> None:
    """Make ``calls`` calls of ``case`` after a warm-up (the child side of a count)."""
    sys.path.insert(0, os.path.dirname(__file__))
    _configure(formatter, "ERROR" if case == "logmoji-silent" else "INFO")
    call = _stream(case) if case.startswith("stream-") else _call(case)
    if case == "logmoji-run":
        from logmoji.llm.agents import agent_run

        agent_run("bench").__enter__()  # left open: every call below is inside it
    elif case == "logmoji-fields":
        from logmoji import bind_contextvars

        bind_contextvars(run_id="0123456789abcdef", agent="bench")
    for _ in range(30 + calls):
        call()


def count(case: str, calls: int, formatter: str) -> int:
    """Return the instructions callgrind counts for one child run of ``calls`` calls."""
    command = [
        "valgrind",
        "--tool=callgrind",
        "--callgrind-out-file=/dev/null",
        sys.executable,
        __file__,
        "--run",
        case,
        str(calls),
        f"--format={formatter}",
    ]
    env = {**os.environ, "PYTHONHASHSEED": "0"}
    done = subprocess.run(command, capture_output=True, text=True, env=env, check=True)
    match = re.search(r"Collected : (\d+)", done.stderr)
    if match is None:
        raise RuntimeError(f"no instruction count from valgrind:\n{done.stderr[-2000:]}")
    return int(match.group(1))


def main() -> None:
    """Count every asked case and print kinstr per call, and over the bare call."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("cases", nargs="*", metavar="CASE", help=f"any of {', '.join(CASES)}")
    parser.add_argument("--console", action="store_true", help="console lines instead of JSON")
    parser.add_argument("--chunks", action="store_true", help="count the cost per streamed chunk")
    parser.add_argument("--run", nargs=2, metavar=("CASE", "CALLS"), help=argparse.SUPPRESS)
    parser.add_argument("--format", default="json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run:
        run(args.run[0], int(args.run[1]), args.format)
        return
    formatter = "console" if args.console else "json"
    if args.chunks:
        _chunks(formatter)
        return
    cases: list[str] = args.cases or list(CASES)
    unknown = sorted(set(cases) - set(CASES))
    if unknown:
        parser.error(f"unknown case {unknown[0]!r}; the cases are {', '.join(CASES)}")
    if "bare" not in cases:
        cases.insert(0, "bare")
    jobs = [(case, calls) for case in cases for calls in (SHORT, SHORT + EXTRA)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        totals: list[Any] = list(pool.map(lambda job: count(*job, formatter), jobs))
    per_call = {
        case: (totals[2 * i + 1] - totals[2 * i]) / EXTRA / 1000 for i, case in enumerate(cases)
    }
    print(f"kinstr per replayed chat call, {formatter} lines")
    for case, kinstr in per_call.items():
        over = "" if case == "bare" else f"  (+{kinstr - per_call['bare']:,.0f} over bare)"
        print(f"{case:22} {kinstr:8,.0f}{over}")


def _chunks(formatter: str) -> None:
    """Count the four stream cases and print the instructions logmoji adds per chunk."""
    jobs = [(case, n) for case in CHUNK_CASES for n in (CHUNK_SHORT, CHUNK_SHORT + CHUNK_EXTRA)]
    with ThreadPoolExecutor(max_workers=2) as pool:
        totals: list[Any] = list(pool.map(lambda job: count(*job, formatter), jobs))
    per_read = {
        case: (totals[2 * i + 1] - totals[2 * i]) / CHUNK_EXTRA
        for i, case in enumerate(CHUNK_CASES)
    }
    bare = (per_read["stream-1050-bare"] - per_read["stream-50-bare"]) / 1000
    ours = (per_read["stream-1050-logmoji"] - per_read["stream-50-logmoji"]) / 1000
    print(f"instructions per streamed chunk: bare {bare:,.0f}, logmoji {ours:,.0f}")
    print(f"added by logmoji per chunk: {ours - bare:,.0f} instructions")


if __name__ == "__main__":
    main()
