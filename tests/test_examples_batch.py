"""Run the model-management, batch and training examples as a user would, and read their logs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"


def _run(name: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "NO_COLOR": "1", "PYTHONIOENCODING": "utf-8"}
    env = {key: value for key, value in env.items() if not key.startswith("LOGMOJI_")}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        encoding="utf-8",
        env=env,
        timeout=120,
        check=False,
    )


class TestExamples:
    """Each example runs standalone, exits 0 and shows the events it is about."""

    @pytest.mark.parametrize(
        ("name", "events", "stdout"),
        [
            (
                "model_management.py",
                [
                    "🤖 model_load_completed",
                    "memory_delta_mb=",
                    "💥 model_load_failed",
                    "💾 cache_miss",
                    "💾 response_cached",
                    "💾 cache_hit",
                ],
                "requests sent: 2, cache hits: 1, misses: 2",
            ),
            (
                "batch_processing.py",
                [
                    "📦 batch_processing_started",
                    "🚦 request_retried",
                    "batch_request_failed",
                    "📦 batch_progress",
                    "📦 batch_processing_completed request_count=12 successes=11 failures=1",
                ],
                "11 of 12 answered; failed: [7]",
            ),
            (
                "training.py",
                [
                    "🤖 model_load_completed",
                    "📚 training_started",
                    "📚 training_step",
                    "📚 training_epoch",
                    "🎓 training_completed",
                    "💥 training_failed",
                ],
                "second run failed as expected",
            ),
        ],
    )
    def test_example_runs_and_logs(self, name: str, events: list[str], stdout: str) -> None:
        """The example exits 0, prints its summary and logs each expected event."""
        result = _run(name)
        assert result.returncode == 0, result.stderr
        assert stdout in result.stdout
        logs = " ".join(result.stderr.split())  # the console pads event names into columns
        for event in events:
            assert event in logs, f"{event!r} not in the output of {name}"
        assert "Traceback" not in result.stderr
