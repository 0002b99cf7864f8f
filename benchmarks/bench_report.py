"""Time ``logmoji report`` on one million realistic JSON log lines (target: under 2 s).

The log is what an instrumented app writes: for each call a
``*_request_started`` line and its ending (``chat_request_completed``,
``stream_completed`` with time to first token, or ``*_request_failed`` with
an error category), across OpenAI and Anthropic models and 50 users, with
``rate_limit_status`` debug lines, unrelated HTTP events and a few malformed
lines mixed in. It is written once to a temporary file (or ``--keep PATH``),
then read three ways, each the best of ``--repeats`` runs:

* ``summarize()`` in this process with the default workers (one per CPU),
* ``summarize(workers=1)``: one process, for comparison,
* the ``logmoji report FILE`` command in a subprocess, start-up included.

Run: ``python benchmarks/bench_report.py [--lines 1000000] [--keep PATH]``

The machine's CPU count and load average are printed with the figures:
other work on a 2-core machine slows a 2-process report down directly.

Measured on the project's 2-core machine (AMD EPYC, Python 3.11, load average
0.5-0.9 from other work), 1,000,001 lines, 386 MB, 416,333 calls:

    case                                  seconds  lines/s  CPU seconds (all processes)
    summarize() in process, workers=auto  1.34     743,892  2.55
    summarize() in process, workers=1     2.47     405,655  2.44
    logmoji report FILE (subprocess)      1.86     537,126  2.82
"""

from __future__ import annotations

import argparse
import math
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable

import orjson

sys.path.insert(0, os.path.dirname(__file__))
from _harness import table

from logmoji.report import summarize

TARGET_SECONDS = 2.0
MODELS = [
    ("openai", "chat", "gpt-4o", 2.5e-6, 1e-5),
    ("openai", "chat", "gpt-4o-mini", 1.5e-7, 6e-7),
    ("openai", "embeddings", "text-embedding-3-small", 2e-8, 0.0),
    ("anthropic", "messages", "claude-sonnet-4-5", 3e-6, 1.5e-5),
    ("anthropic", "messages", "claude-haiku-4-5", 1e-6, 5e-6),
]
ERRORS = [
    ("rate_limit_exceeded", "RateLimitError", 429),
    ("timeout", "APITimeoutError", None),
    ("overloaded", "OverloadedError", 529),
    ("context_length_exceeded", "BadRequestError", 400),
]


def _iso(moment: float) -> str:
    seconds = int(moment)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(seconds)) + (
        f".{int((moment - seconds) * 1_000_000):06d}Z"
    )


def write_log(path: str, lines: int, seed: int = 7) -> int:
    """Write about ``lines`` realistic log lines to ``path``; return the exact count."""
    rnd = random.Random(seed)
    now = 1_795_000_000.0
    written = 0
    dumps = orjson.dumps
    with open(path, "wb") as out:
        batch: list[bytes] = []
        while written < lines:
            now += rnd.random() * 0.2
            provider, operation, model, price_in, price_out = rnd.choice(MODELS)
            user = f"user-{rnd.randrange(50)}"
            base = {"provider": provider, "operation": operation, "model": model}
            head = {"level": "info", "logger": f"llm.{provider}"}
            stream = operation == "chat" and rnd.random() < 0.3
            started = {
                "timestamp": _iso(now),
                **head,
                "event": f"{operation}_request_started",
                "emoji": "💭",
                **base,
                "message_count": rnd.randint(1, 12),
                "prompt_chars": rnd.randint(20, 20_000),
                "estimated_prompt_tokens": rnd.randint(5, 5000),
                "token_estimate": "heuristic",
                "stream": stream,
                "user_id": user,
            }
            batch.append(dumps(started))
            duration = round(rnd.lognormvariate(6.5, 0.7), 2)
            end = now + duration / 1000
            request_id = f"req_{rnd.getrandbits(96):024x}"
            if rnd.random() < 0.1:
                batch.append(
                    dumps(
                        {
                            "timestamp": _iso(end),
                            **head,
                            "level": "debug",
                            "event": "rate_limit_status",
                            "emoji": "🚦",
                            **base,
                            "request_id": request_id,
                            "requests_limit": 10_000,
                            "requests_remaining": rnd.randint(0, 10_000),
                            "tokens_limit": 2_000_000,
                            "tokens_remaining": rnd.randint(0, 2_000_000),
                        }
                    )
                )
            if rnd.random() < 0.05:
                error, error_type, status = rnd.choice(ERRORS)
                event = {
                    "timestamp": _iso(end),
                    **head,
                    "level": "error",
                    "event": f"{operation}_request_failed",
                    "emoji": "💥",
                    **base,
                    "error": error,
                    "error_type": error_type,
                    "status_code": status,
                    "request_id": request_id,
                    "error_message": "The server had an error while processing your request.",
                    "duration_ms": duration,
                    "retries": rnd.randint(0, 2),
                    "user_id": user,
                }
            else:
                prompt = rnd.randint(50, 4000)
                completion = 0 if operation == "embeddings" else rnd.randint(5, 900)
                cached = rnd.choice((0, 0, 0, 1024))
                event = {
                    "timestamp": _iso(end),
                    **head,
                    "event": "stream_completed" if stream else f"{operation}_request_completed",
                    "emoji": "🌊" if stream else "✨",
                    **base,
                    "request_id": request_id,
                    "response_model": f"{model}-2025-06-01",
                    "finish_reason": "stop",
                    "prompt_tokens": prompt,
                    "completion_tokens": completion,
                    "total_tokens": prompt + completion,
                    "cached_tokens": cached,
                    "reasoning_tokens": 0,
                    "duration_ms": duration,
                    "retries": 0,
                    "cost_usd": round(prompt * price_in + completion * price_out, 8),
                    "user_id": user,
                }
                if stream:
                    event["chunks"] = completion + 3
                    event["ttft_ms"] = round(duration * rnd.uniform(0.05, 0.4), 2)
                    event["tokens_per_second"] = round(rnd.uniform(20, 150), 2)
            ending = dumps(event)
            batch.append(ending)
            if rnd.random() < 0.3:
                batch.append(
                    dumps(
                        {
                            "timestamp": _iso(end),
                            "level": "info",
                            "logger": "app.http",
                            "event": "http_request_completed",
                            "emoji": "📥",
                            "method": "POST",
                            "path": "/api/chat",
                            "status_code": 200,
                            "duration_ms": round(duration + 4.2, 2),
                            "user_id": user,
                        }
                    )
                )
            if rnd.random() < 0.002:  # a line cut short, as by a crash
                batch.append(ending[: len(ending) // 2])
            if len(batch) > 10_000 or written + len(batch) >= lines:
                out.write(b"\n".join(batch) + b"\n")
                written += len(batch)
                batch.clear()
    return written


def best_of(repeats: int, run: Callable[[], object]) -> tuple[float, float]:
    """Return the fastest of ``repeats`` calls of ``run``: wall and CPU seconds (workers too)."""
    best = (math.inf, math.inf)
    for _ in range(repeats):
        before = _cpu()
        start = time.perf_counter()
        run()
        wall = time.perf_counter() - start
        best = min(best, (wall, _cpu() - before))
    return best


def _cpu() -> float:
    """Return the CPU seconds of this process and its finished children."""
    me, children = (resource.getrusage(w) for w in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return me.ru_utime + me.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    """Write the log, time the report three ways and print a table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--keep", metavar="PATH", help="write the log here and keep it")
    args = parser.parse_args()
    folder = tempfile.TemporaryDirectory()
    path = args.keep or os.path.join(folder.name, "bench.jsonl")
    if args.keep and os.path.exists(path):
        with open(path, "rb") as f:
            lines = sum(chunk.count(b"\n") for chunk in iter(lambda: f.read(1 << 24), b""))
    else:
        start = time.perf_counter()
        lines = write_log(path, args.lines)
        print(f"wrote {lines:,} lines in {time.perf_counter() - start:.1f} s")
    size = os.path.getsize(path)
    report = summarize([path])
    print(
        f"log: {lines:,} lines, {size / 1e6:.0f} MB: {report.calls:,} calls, "
        f"{report.other_events:,} other events, {report.skipped:,} skipped"
    )
    command = [sys.executable, "-m", "logmoji.cli", "report", path]
    cases = {
        "summarize() in process, workers=auto": lambda: summarize([path]),
        "summarize() in process, workers=1": lambda: summarize([path], workers=1),
        "logmoji report FILE (subprocess)": lambda: subprocess.run(
            command, stdout=subprocess.DEVNULL, check=True
        ),
    }
    rows: list[tuple[str, ...]] = []
    for name, run in cases.items():
        wall, cpu = best_of(args.repeats, run)
        rows.append((name, f"{wall:.2f}", f"{lines / wall:,.0f}", f"{cpu:.2f}"))
    print(table(rows, ("case", "seconds", "lines/s", "CPU seconds (all processes)")))
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    load = ", ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"CPUs: {cpus}; load average (1, 5, 15 min): {load}; target: {TARGET_SECONDS} s")
    folder.cleanup()


if __name__ == "__main__":
    main()
