"""A JSON-lines log with known LLM usage, written by real logmoji loggers.

Shared by ``tests/test_report.py`` and ``tests/test_cli_report.py``. Event
``i`` of the script is logged at ``T0 + i`` minutes, so time windows select
known calls. The expected numbers are worked out by hand in ``EXPECTED``.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import logmoji
from logmoji import LoggingConfig, get_logger
from logmoji.logger import core
from logmoji.logger.render import JSONRenderer

T0 = 1_795_773_600.0  # 2026-11-27T10:00:00Z
MINI_DURATIONS = [float(10 * i) for i in range(1, 21)]  # 10, 20, ... 200 ms

# (logger, level, event, fields): one entry per minute from T0.
SCRIPT: list[tuple[str, str, str, dict[str, Any]]] = [
    ("llm.openai", "info", "chat_request_started", {"provider": "openai", "model": "gpt-4o"}),
    (
        "llm.openai",
        "info",
        "chat_request_completed",
        {
            "provider": "openai",
            "operation": "chat",
            "model": "gpt-4o",
            "prompt_tokens": 100,
            "completion_tokens": 50,
            "cached_tokens": 20,
            "duration_ms": 100.0,
            "cost_usd": 0.001,
            "user_id": "alice",
        },
    ),
    (
        "llm.openai",
        "info",
        "chat_request_completed",
        {
            "provider": "openai",
            "model": "gpt-4o",
            "prompt_tokens": 200,
            "completion_tokens": 100,
            "duration_ms": 200.0,
            "cost_usd": 0.002,
            "retries": 1,
            "user_id": "bob",
        },
    ),
    (
        "llm.openai",
        "info",
        "stream_completed",
        {
            "provider": "openai",
            "model": "gpt-4o",
            "prompt_tokens": 300,
            "completion_tokens": 150,
            "duration_ms": 300.0,
            "ttft_ms": 50.0,
            "tokens_per_second": 60.0,
            "cost_usd": 0.003,
            "user_id": "alice",
        },
    ),
    (
        "llm.openai",
        "error",
        "chat_request_failed",
        {
            "provider": "openai",
            "model": "gpt-4o",
            "error": "rate_limit_exceeded",
            "error_type": "RateLimitError",
            "status_code": 429,
            "duration_ms": 400.0,
            "user_id": "bob",
        },
    ),
    (
        "llm.openai",
        "error",
        "chat_request_failed",
        {
            "provider": "openai",
            "model": "gpt-4o",
            "error": "timeout",
            "duration_ms": 500.0,
            "user_id": "alice",
        },
    ),
    (
        "llm.anthropic",
        "info",
        "messages_request_completed",
        {
            "provider": "anthropic",
            "model": "claude-sonnet-4-5",
            "prompt_tokens": 1000,
            "completion_tokens": 500,
            "reasoning_tokens": 10,
            "duration_ms": 1000.0,
            "cost_usd": 0.01,
            "user_id": "carol",
        },
    ),
    (
        "llm.anthropic",
        "warning",
        "stream_cancelled",
        {"provider": "anthropic", "model": "claude-sonnet-4-5", "duration_ms": 250.0},
    ),
    (
        "llm",
        "info",
        "inference_completed",
        {"model": "gpt-4o", "prompt_tokens": 150, "completion_tokens": 75, "duration_ms": 1250},
    ),
    (
        "llm",
        "error",
        "inference_failed",
        {"model": "gpt-4o", "error": "Rate limit reached for requests per minute"},
    ),
    ("llm.models", "info", "model_load_completed", {"model": "gpt-4o", "duration_ms": 9000.0}),
    ("llm.batch", "info", "batch_processing_completed", {"request_count": 3}),
    ("llm.openai", "debug", "stream_progress", {"model": "gpt-4o", "tokens_streamed": 50}),
    ("app.http", "info", "http_request_completed", {"status_code": 200, "duration_ms": 3.0}),
    *[
        (
            "llm.openai",
            "info",
            "chat_request_completed",
            {
                "provider": "openai",
                "model": "gpt-4o-mini",
                "prompt_tokens": 10,
                "completion_tokens": 1,
                "duration_ms": duration,
                "user_id": "dave",
            },
        )
        for duration in MINI_DURATIONS
    ],
]

# Lines that are not JSON log events, appended after the script.
BAD_LINES = [
    "this is not json",
    '{"timestamp": "2026-11-27T11:00:00Z", "event": "chat_request_completed", "model": "gpt',
    "[1, 2, 3]",
]

EXPECTED: dict[str, Any] = {
    "lines": len(SCRIPT) + len(BAD_LINES),
    "calls": 29,
    "other_events": 5,  # started, model_load, batch_processing, stream_progress, http
    "skipped": 3,  # the text, the call cut short, and "[1, 2, 3]" (no event)
    "gpt-4o": {
        "requests": 7,
        "failed": 3,
        "errors": {"rate_limit_exceeded": 2, "timeout": 1},
        "input_tokens": 750,
        "output_tokens": 375,
        "cached_tokens": 20,
        "cost_usd": 0.006,
        "priced_requests": 3,
        "retries": 1,
        # durations 100 200 300 400 500 1250 (inference_failed has none): nearest rank
        "latency_ms": {"count": 6, "p50": 300.0, "p95": 1250.0, "p99": 1250.0, "max": 1250.0},
        "ttft_ms": {"count": 1, "p50": 50.0},
        # 50/0.1 s = 500, 100/0.2 s = 500, 60 (logged), 75/1.25 s = 60
        "tokens_per_second": {"count": 4, "p50": 60.0, "max": 500.0},
    },
    "gpt-4o-mini": {
        "requests": 20,
        "latency_ms": {"count": 20, "p50": 100.0, "p95": 190.0, "p99": 200.0, "max": 200.0},
    },
    "claude-sonnet-4-5": {
        "requests": 2,
        "cancelled": 1,
        "input_tokens": 1000,
        "output_tokens": 500,
        "reasoning_tokens": 10,
        "cost_usd": 0.01,
    },
}


class _Clock:
    def __init__(self) -> None:
        self.now = T0

    def __call__(self) -> float:
        return self.now


def write_log(path: Path, *, bad_lines: bool = True) -> Path:
    """Write the script's events to ``path`` as logmoji JSON lines; return ``path``."""
    clock = _Clock()
    with path.open("wb") as stream:
        resolved = LoggingConfig(formatter="json", stream=stream, default_level="DEBUG").resolve({})
        processors, _, _ = core.build_processors(resolved, renderer=JSONRenderer(clock=clock))
        core.configure(resolved, processors=processors)
        try:
            for minute, (name, level, event, fields) in enumerate(SCRIPT):
                clock.now = T0 + 60 * minute
                getattr(get_logger(name), level)(event, **fields)
        finally:
            logmoji.reset()
        if bad_lines:
            stream.write("".join(line + "\n" for line in BAD_LINES).encode())
            stream.write(b"\n")  # a blank line is neither read nor skipped
    return path
