"""The benchmarks' floor writes the two lines logmoji writes for the same call.

``make bench`` and ``benchmarks/instructions.py`` compare an instrumented call's
overhead with that of two structlog lines carrying constant fields
(``bench_peers.STARTED`` and ``COMPLETED``). The comparison is fair only while
those are the fields logmoji logs for the replayed call; a field added to
logmoji's lines and not to the floor's would flatter the floor.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import openai
import pytest

from logmoji.llm.instrumentation import instrument
from logmoji.testing import FakeLLMProvider, capture_logs

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import bench_peers
from bench_instrument import MESSAGES, replay_client

# What the capture adds to every event, beside the call's own fields.
META = {"event", "log_level", "logger", "emoji"}


@pytest.fixture(scope="module")
def lines() -> dict[str, dict[str, Any]]:
    """The fields of the two lines logmoji logs for the benchmarks' replayed call."""
    with FakeLLMProvider(rate_limit_requests=10**9, rate_limit_tokens=10**12) as fake:
        recorder = openai.OpenAI(base_url=fake.openai_base_url, api_key="sk-fake", max_retries=0)
        raw = recorder.chat.completions.with_raw_response.create(model="gpt-4o", messages=MESSAGES)
    client = replay_client(raw.http_response)
    instrument(client)
    with capture_logs("INFO") as logs:
        client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
    client.close()
    return {
        event["event"]: {k: v for k, v in event.items() if k not in META}
        for event in logs
        if event["event"] in ("chat_request_started", "chat_request_completed")
    }


def test_started_line(lines: dict[str, dict[str, Any]]) -> None:
    """The floor's first line has the fields and values of logmoji's 💭 line."""
    assert lines["chat_request_started"] == bench_peers.STARTED


def test_completed_line(lines: dict[str, dict[str, Any]]) -> None:
    """The floor's second line has the fields of logmoji's ✨ line, the same values but the time."""
    completed = dict(lines["chat_request_completed"])
    assert isinstance(completed.pop("duration_ms"), float)
    floor = dict(bench_peers.COMPLETED)
    floor.pop("duration_ms")
    assert completed == floor
    assert list(lines["chat_request_completed"]) == list(bench_peers.COMPLETED)
