"""Time one log call in logmoji and in plain structlog, in one process run.

The call: ``log.info("inference_completed", model="gpt-4", prompt_tokens=150,
completion_tokens=75, duration_ms=1250)`` written to a null sink, as a console
line, as a JSON line, and a filtered-out ``debug`` call.

Run: ``python benchmarks/bench_core.py``
"""

from __future__ import annotations

import os
import sys

import orjson
import structlog

sys.path.insert(0, os.path.dirname(__file__))
from _harness import compare, table

import logmoji
from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry


def structlog_logger(processors: list[object], logger_factory: object) -> object:
    structlog.reset_defaults()
    structlog.configure(
        processors=processors,  # type: ignore[arg-type]
        wrapper_class=structlog.make_filtering_bound_logger(20),
        logger_factory=logger_factory,  # type: ignore[arg-type]
        cache_logger_on_first_use=True,
    )
    log = structlog.get_logger("llm")
    log.info("warm")
    return log


def logmoji_logger(formatter: str, stream: object) -> object:
    logmoji.reset()
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(formatter=formatter, stream=stream, colors=False)),
        environ={},
    )  # type: ignore[arg-type]
    log = logmoji.get_logger("llm")
    log.info("warm")
    return log


def call(log: object) -> object:
    def run() -> None:
        log.info(
            "inference_completed",
            model="gpt-4",
            prompt_tokens=150,  # type: ignore[attr-defined]
            completion_tokens=75,
            duration_ms=1250,
        )

    return run


def debug_call(log: object) -> object:
    def run() -> None:
        log.debug("inference_started", model="gpt-4", prompt_tokens=150)  # type: ignore[attr-defined]

    return run


def main() -> None:
    text_null = open(os.devnull, "w")  # noqa: SIM115
    bytes_null = open(os.devnull, "wb")  # noqa: SIM115
    # Each logger is configured, then its call closure is bound; structlog's
    # cached loggers keep their processors after reconfiguration.
    s_console = call(
        structlog_logger(
            [
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False),
                structlog.dev.ConsoleRenderer(colors=False),
            ],
            structlog.PrintLoggerFactory(text_null),
        )
    )
    s_json = call(
        structlog_logger(
            [
                structlog.contextvars.merge_contextvars,
                structlog.processors.add_log_level,
                structlog.processors.TimeStamper(fmt="iso"),
                structlog.processors.JSONRenderer(serializer=orjson.dumps),
            ],
            structlog.BytesLoggerFactory(bytes_null),
        )
    )
    s_debug = debug_call(
        structlog_logger(
            [structlog.processors.JSONRenderer(serializer=orjson.dumps)],
            structlog.BytesLoggerFactory(bytes_null),
        )
    )
    m_console_log = logmoji_logger("console", text_null)
    m_console = call(m_console_log)
    m_json_log = logmoji_logger("json", bytes_null)
    m_json = call(m_json_log)
    m_debug = debug_call(m_json_log)
    # logmoji's loggers re-resolve after reconfiguration, so measure each
    # configuration's calls in its own round.
    results = {}
    logmoji_logger("console", text_null)
    results |= compare({"structlog console": s_console, "logmoji console": m_console})
    logmoji_logger("json", bytes_null)
    results |= compare(
        {
            "structlog json": s_json,
            "logmoji json": m_json,
            "structlog filtered debug": s_debug,
            "logmoji filtered debug": m_debug,
        },
        number=50_000,
    )
    rows = []
    for kind, peer in (
        ("console", "structlog console"),
        ("json", "structlog json"),
        ("filtered debug", "structlog filtered debug"),
    ):
        ours = results[f"logmoji {kind}"]
        theirs = results[peer]
        rows.append((kind, f"{ours:,.0f}", f"{theirs:,.0f}", f"{ours / theirs:.2f}x"))
    print(table(rows, ("measure", "logmoji ns/call", "structlog ns/call", "ratio")))


if __name__ == "__main__":
    main()
