"""Run examples/latency_monitoring.py as a user would, and check what it logs and prints."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from itertools import pairwise
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parent.parent
QUIET_SDKS = "httpx2=warning,httpcore2=warning,openai=warning,anthropic=warning"

Result = tuple[str, list[dict[str, Any]]]


@pytest.fixture(scope="module")
def result() -> Result:
    """Run the example once with JSON logs; return its stdout and its log events."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("LOGMOJI_", "OPENAI_", "ANTHROPIC_"))
    }
    env.update(
        LOGMOJI_FORMAT="json",
        LOGMOJI_MODULE_LEVELS=QUIET_SDKS,
        PYTHONPATH=os.pathsep.join(filter(None, [str(ROOT / "src"), env.get("PYTHONPATH")])),
    )
    done = subprocess.run(
        [sys.executable, str(ROOT / "examples" / "latency_monitoring.py")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stderr.splitlines() if line.startswith("{")]
    return done.stdout, events


def named(
    events: list[dict[str, Any]], event: str, model: str | None = None
) -> list[dict[str, Any]]:
    """Return the events called ``event`` (for ``model``, when given)."""
    return [e for e in events if e["event"] == event and model in (None, e.get("model"))]


class TestLatencyMonitoringExample:
    @pytest.mark.parametrize("model", ["gpt-4o", "claude-sonnet-4-5"])
    def test_metrics_are_periodic_not_per_request(self, result: Result, model: str) -> None:
        """About 1500 requests a model, one a second, give metrics each 60 s, not per request."""
        _, events = result
        metrics = named(events, "performance_metrics", model)
        counts = [e["request_count"] for e in metrics]
        gaps = [later - earlier for earlier, later in pairwise(counts)]
        assert 20 <= len(metrics) <= 27  # 1500 s / 60 s, plus the final report
        assert all(0 < gap <= 100 for gap in gaps)
        assert all(e["emoji"] == "⏱️" for e in metrics)
        assert {"p50_latency_ms", "p95_latency_ms", "p99_latency_ms"} <= metrics[0].keys()

    def test_incident_alerts_once_and_recovers(self, result: Result) -> None:
        """The slow, failing stretch of gpt-4o raises each alert once and clears it once."""
        _, events = result
        assert len(named(events, "high_average_latency", "gpt-4o")) == 1
        assert len(named(events, "high_error_rate", "gpt-4o")) == 1
        recovered = {e["alert"] for e in named(events, "performance_recovered", "gpt-4o")}
        assert recovered == {"high_average_latency", "high_error_rate"}
        assert named(events, "high_average_latency", "claude-sonnet-4-5") == []

    def test_instrumented_calls_are_monitored(self, result: Result) -> None:
        """The instrumented fake-provider calls reach the monitor and are merged across workers."""
        stdout, events = result
        assert len(named(events, "performance_metrics", "gpt-4o-mini")) == 2
        assert "worker 1                         6 requests" in stdout
        assert "workers merged                  13 requests" in stdout
        assert "time to first token p50" in stdout

    def test_prints_summary_per_model(self, result: Result) -> None:
        """The simulated traffic is summarized per model and for all models."""
        stdout, _ = result
        assert "gpt-4o                        1512 requests" in stdout
        assert "all models                    3000 requests" in stdout
