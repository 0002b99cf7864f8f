"""Tests that run the core examples as a user would."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

EXAMPLES = Path(__file__).parent.parent / "examples"


def _run(name: str, **env: str) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("LOGMOJI_")}
    return subprocess.run(
        [sys.executable, str(EXAMPLES / name)],
        capture_output=True,
        text=True,
        timeout=60,
        env={**environ, **env},
        check=False,
    )


class TestCoreExamples:
    @pytest.mark.parametrize(
        ("name", "expected"),
        [
            (
                "basic_logging.py",
                ["🤖 model_loaded", "🧠 inference_completed", "🛑 inference_failed"],
            ),
            (
                "enabling_emoji_set.py",
                ["🤖 model_loaded", "🌊 stream_started", "💰 high_cost_request"],
            ),
            (
                "custom_emoji_set.py",
                [
                    "🏠🤖 local_inference_completed",
                    "🎯 fine_tune_completed",
                    "📊 embedding_completed",
                    "🤖 model_loaded",
                ],
            ),
            (
                "best_practices.py",
                [
                    "🧠 inference_completed",
                    "⏰ model_timeout",
                    "💰 high_cost_request",
                    "🧠 model_inference_completed",
                ],
            ),
        ],
    )
    def test_runs(self, name: str, expected: list[str]) -> None:
        """The example exits 0 and logs its events with the spec's emojis."""
        result = _run(name)
        assert result.returncode == 0, result.stderr
        for text in expected:
            assert text in result.stderr

    def test_basic_debug_hidden(self) -> None:
        """At the default level the debug event is not shown."""
        assert "inference_started" not in _run("basic_logging.py").stderr

    def test_secret_masked(self) -> None:
        """The best-practices example's API key never reaches the output."""
        result = _run("best_practices.py", LOGMOJI_LEVEL="debug")
        assert "sk-proj-" not in result.stderr
        assert "🔢 token_count" in result.stderr

    def test_enabling_honours_json_variable(self) -> None:
        """LOGMOJI_FORMAT=json turns the enabling example's output into JSON lines."""
        result = _run("enabling_emoji_set.py", LOGMOJI_FORMAT="json")
        events = [orjson.loads(line)["event"] for line in result.stderr.splitlines()]
        assert events == ["model_loaded", "stream_started", "high_cost_request"]
