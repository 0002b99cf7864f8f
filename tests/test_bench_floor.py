"""The benchmarks' floors write the two lines logmoji writes for the same call.

``make bench`` and ``benchmarks/instructions.py`` compare an instrumented call's
overhead with two floors: two structlog lines carrying constant fields
(``bench_peers.STARTED`` and ``COMPLETED``), and the same work written by hand
for that one call (``bench_peers._ByHand``). The comparison is fair only while
both write the fields and values logmoji logs for the replayed call; a field
added to logmoji's lines and not to a floor's would flatter the floor.
"""

from __future__ import annotations

import io
import sys
from pathlib import Path
from typing import Any

import orjson
import pytest

from logmoji.llm import tokens
from logmoji.llm.instrumentation import instrument
from logmoji.testing import capture_logs

sys.path.insert(0, str(Path(__file__).parent.parent / "benchmarks"))
import bench_peers
from bench_instrument import MESSAGES, replay_client
from instructions import record_chat

# What the capture and structlog's chain add to every event, beside the call's fields.
META = {"event", "log_level", "logger", "emoji", "level", "timestamp"}
ENDS = ("chat_request_started", "chat_request_completed")

Lines = dict[str, dict[str, Any]]


class _Latencies(list[float]):
    """Stands in for ddsketch's sketch (a benchmark peer, not installed for the tests)."""

    def add(self, value: float) -> None:
        self.append(value)


def _fields(events: list[dict[str, Any]]) -> Lines:
    return {
        event["event"]: {k: v for k, v in event.items() if k not in META}
        for event in events
        if event["event"] in ENDS
    }


@pytest.fixture(scope="module")
def recorded() -> Any:
    """The fake provider's reply to the benchmarks' chat request, to replay from memory."""
    return record_chat()


@pytest.fixture(scope="module")
def logmoji_lines(recorded: Any) -> Lines:
    """The fields of the two lines logmoji logs for the benchmarks' replayed call."""
    with pytest.MonkeyPatch.context() as patch:
        # The heuristic estimate, as on a machine without tiktoken's encodings on disk.
        patch.setitem(sys.modules, "tiktoken", None)
        patch.setattr(tokens, "_BY_MODEL", {})
        client = replay_client(recorded)
        instrument(client)
        with capture_logs("INFO") as logs:
            client.chat.completions.create(model="gpt-4o", messages=MESSAGES)
        client.close()
    return _fields(logs)


@pytest.fixture(scope="module")
def by_hand(recorded: Any) -> tuple[Any, io.BytesIO]:
    """The hand-written floor after one replayed call, and the lines it wrote."""
    out = io.BytesIO()
    client = replay_client(recorded)
    hand = bench_peers._ByHand(client, stream=out, sketch=_Latencies)
    hand.call(model="gpt-4o", messages=MESSAGES)
    client.close()
    return hand, out


def _without_duration(fields: dict[str, Any]) -> dict[str, Any]:
    rest = dict(fields)
    assert isinstance(rest.pop("duration_ms"), float)
    return rest


class TestTwoLines:
    """The constant lines of the two-line floor."""

    def test_started_line(self, logmoji_lines: Lines) -> None:
        """The floor's first line has the fields and values of logmoji's 💭 line, in order."""
        started = logmoji_lines["chat_request_started"]
        assert started == bench_peers.STARTED
        assert list(started) == list(bench_peers.STARTED)

    def test_completed_line(self, logmoji_lines: Lines) -> None:
        """The second has the fields of logmoji's ✨ line, in order, its values but the time."""
        completed = logmoji_lines["chat_request_completed"]
        floor = dict(bench_peers.COMPLETED)
        floor.pop("duration_ms")
        assert _without_duration(completed) == floor
        assert list(completed) == list(bench_peers.COMPLETED)


class TestByHand:
    """The same work written by hand: its lines, price, latencies and rate-limit check."""

    def test_lines(self, by_hand: tuple[Any, io.BytesIO], logmoji_lines: Lines) -> None:
        """Its two lines have logmoji's fields and values, but the time."""
        lines = _fields([orjson.loads(line) for line in by_hand[1].getvalue().splitlines()])
        assert list(lines) == list(ENDS)
        assert lines["chat_request_started"] == logmoji_lines["chat_request_started"]
        completed = lines["chat_request_completed"]
        assert _without_duration(completed) == _without_duration(
            logmoji_lines["chat_request_completed"]
        )
        assert sorted(completed) == sorted(logmoji_lines["chat_request_completed"])

    def test_work(self, by_hand: tuple[Any, io.BytesIO]) -> None:
        """It priced the call into the model's spending and kept its latency in its sketch."""
        hand = by_hand[0]
        assert float(hand.spent["gpt-4o"]) == bench_peers.COMPLETED["cost_usd"]
        assert len(hand.sketches["gpt-4o"]) == 1

    def test_low_budget_warns(self, recorded: Any) -> None:
        """A budget under a tenth left is logged; a limit without its remaining count is not."""
        out = io.BytesIO()
        client = replay_client(recorded)
        hand = bench_peers._ByHand(client, stream=out, sketch=_Latencies)
        client._client.event_hooks["response"].clear()  # the headers below stand in
        hand.headers = [
            (b"x-ratelimit-limit-requests", b"100"),
            (b"x-ratelimit-remaining-requests", b"5"),
            (b"x-ratelimit-limit-tokens", b"1000"),
        ]
        hand.call(model="gpt-4o", messages=MESSAGES)
        hand.headers = [(b"x-ratelimit-limit-tokens", b"1000")]
        hand.call(model="gpt-4o", messages=MESSAGES)
        client.close()
        events = [orjson.loads(line) for line in out.getvalue().splitlines()]
        warnings = [e for e in events if e["event"] == "rate_limit_status"]
        assert [w["lowest_remaining_ratio"] for w in warnings] == [0.05]
