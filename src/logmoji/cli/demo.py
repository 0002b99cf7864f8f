"""``logmoji demo``: show what logmoji logs."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "run", "showcase"]


def add_parser(subparsers: Any) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo",
        help="show logmoji's LLM logging",
        description="Print one line for every LLM emoji, then the spec's basic LLM events.",
    )
    parser.set_defaults(handler=run)


def showcase() -> None:
    """Log one event for every emoji of the LLM set, then the spec's basic events."""
    from logmoji import get_logger

    log = get_logger("llm")
    log.info("model_loaded", model="gpt-4", version="0613")
    log.info("inference_completed", model="gpt-4", duration_ms=1250)
    log.info("training_started", run="demo")
    log.info("training_completed", run="demo", loss=0.12)
    log.info("prompt_processing", prompt_chars=812)
    log.info("token_generated", token_index=1)
    log.info("chat_request_completed", model="gpt-4", completion_tokens=75)
    log.info("stream_started", model="gpt-4")
    log.info("token_count", prompt_tokens=150)
    log.info("latency_measured", duration_ms=1250)
    log.info("request_cost_calculated", model="gpt-4", cost_usd=0.0135)
    log.info("rate_limit_status", remaining_requests=10)
    log.error("model_timeout", model="gpt-4", timeout_seconds=30)
    log.error("inference_failed", model="gpt-4", error="rate_limit_exceeded", retry_after=60)
    log.error("inference_failed", model="gpt-4", error="boom")
    log.error("inference_failed", model="gpt-4", error="context_length_exceeded")


def run(args: argparse.Namespace) -> int:
    """Run the showcase."""
    showcase()
    return 0
