"""Tests that run examples/cost_tracking.py as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

EXAMPLE = Path(__file__).parent.parent / "examples" / "cost_tracking.py"


def _run(**env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOGMOJI_")}
    return subprocess.run(
        [sys.executable, str(EXAMPLE)],
        capture_output=True,
        text=True,
        timeout=120,
        env={**environ, **env},
        check=False,
    )


@pytest.fixture(scope="module")
def json_run() -> subprocess.CompletedProcess[str]:
    """Run the example once with JSON output."""
    return _run(LOGMOJI_FORMAT="json")


class TestCostTrackingExample:
    """The spec's cost-tracking snippet, rewritten, runs and reports real figures."""

    def test_exits_cleanly_with_emojis(self) -> None:
        """The example exits 0 and its cost events carry 💰 in console output."""
        result = _run()
        assert result.returncode == 0, result.stderr
        for text in (
            "💰 request_cost_calculated",
            "💰 high_cost_request",
            "💰 unknown_model_pricing",
            "💰 daily_usage_summary",
            "💰 budget_soft_limit_reached",
            "💰 budget_exceeded",
        ):
            assert text in result.stderr

    def test_prints_hand_checkable_costs(self, json_run: subprocess.CompletedProcess[str]) -> None:
        """The printed table has gpt-4o's cost with cached tokens, and the budget stop."""
        assert json_run.returncode == 0, json_run.stderr
        # gpt-4o: 476 uncached × $2.50 + 1024 cached × $1.25 + 400 output × $10, per million.
        assert "gpt-4o                               1900     0.006470" in json_run.stdout
        assert "internal-model-x" in json_run.stdout
        assert "unknown" in json_run.stdout
        assert "stopped after 3 requests" in json_run.stdout

    def test_instrumented_events_carry_cost(
        self, json_run: subprocess.CompletedProcess[str]
    ) -> None:
        """Every completed SDK call in part 2 has cost_usd at gpt-4o's price."""
        events = [orjson.loads(line) for line in json_run.stderr.splitlines()]
        completed = [e for e in events if e["event"] == "chat_request_completed"]
        assert len(completed) == 3
        assert {e["cost_usd"] for e in completed} == {0.0002525}
        assert {e["user_id"] for e in completed} == {"erin"}
