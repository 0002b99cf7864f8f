"""Run the SDK examples (OpenAI, Anthropic, streaming) as a user would, on the fake provider."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUIET_SDKS = "httpx2=warning,httpcore2=warning,openai=warning,anthropic=warning"


def run_example(name: str) -> tuple[str, list[dict[str, Any]]]:
    """Run ``examples/<name>.py`` with JSON logs; return its stdout and its log events."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOGMOJI_", "OPENAI_", "ANTHROPIC_"))
    }
    env.update(
        LOGMOJI_FORMAT="json",
        LOGMOJI_LEVEL="DEBUG",
        LOGMOJI_MODULE_LEVELS=QUIET_SDKS,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])),
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / f"{name}.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    return done.stdout, events


def named(events: list[dict[str, Any]], event: str) -> list[dict[str, Any]]:
    """Return the events called ``event``."""
    return [e for e in events if e["event"] == event]


@pytest.fixture(scope="module")
def result() -> tuple[str, list[dict[str, Any]]]:
    """Run the OpenAI example once for the module."""
    return run_example("openai_integration")


class TestOpenAIIntegration:
    """examples/openai_integration.py."""

    def test_replies(self, result: tuple[str, list[dict[str, Any]]]) -> None:
        """Both questions get a reply and the over-long prompt is refused before sending."""
        stdout, _ = result

        assert stdout.count("reply: ") == 2
        assert "refused: prompt of ~10003 tokens" in stdout

    def test_events(self, result: tuple[str, list[dict[str, Any]]]) -> None:
        """Each call is logged started and completed with the server's tokens; the retry shows."""
        _, events = result

        completed = named(events, "chat_request_completed")
        assert [(e["emoji"], e["completion_tokens"]) for e in completed] == [("✨", 24)] * 2
        assert [e["retries"] for e in completed] == [0, 1]
        assert len(named(events, "chat_request_started")) == 2
        assert named(events, "request_retried")[0]["emoji"] == "🚦"
        assert named(events, "context_length_exceeded")[0]["emoji"] == "📏"


class TestAnthropicIntegration:
    """examples/anthropic_integration.py."""

    def test_rate_limit_waited_out(self) -> None:
        """The rate limit is logged 🛑 with retry_after, waited out, and the retry succeeds."""
        stdout, events = run_example("anthropic_integration")

        assert stdout.count("reply: ") == 2
        (failed,) = named(events, "messages_request_failed")
        assert (failed["emoji"], failed["error"], failed["retry_after"]) == (
            "🛑",
            "rate_limit_exceeded",
            0.05,
        )
        assert named(events, "claude_backoff")[0]["retry_after"] == 0.05
        completed = named(events, "messages_request_completed")
        assert [(e["input_tokens"], e["output_tokens"]) for e in completed] == [(7, 24), (6, 24)]


class TestStreaming:
    """examples/streaming.py."""

    def test_stream_events(self) -> None:
        """The full stream logs progress and exact usage; the one stopped early, a cancel."""
        stdout, events = run_example("streaming")

        assert "streamed 120 pieces" in stdout
        (completed,) = named(events, "stream_completed")
        assert (completed["emoji"], completed["completion_tokens"]) == ("🌊", 120)
        assert completed["tokens_per_second"] > 0
        assert [e["tokens_streamed"] for e in named(events, "stream_progress")] == [50, 100]
        (cancelled,) = named(events, "stream_cancelled")
        assert (cancelled["tokens_streamed"], cancelled["reason"]) == (20, "closed")
