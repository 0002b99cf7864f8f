"""Tests that run ``logmoji demo`` as a user would: a subprocess, on the embedded fake provider."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import orjson
import pytest

SPEC_EMOJIS = "🤖🧠📚🎓💭⚡✨🌊🔢⏱💰🚦⏰🛑💥📏"


def _demo(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith(("LOGMOJI_", "OTEL_"))}
    return subprocess.run(
        [sys.executable, "-m", "logmoji.cli", "demo", "--no-color", *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**environ, **(env or {})},
    )


@pytest.fixture(scope="module")
def demo_run(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[subprocess.CompletedProcess[str], Path]:
    """Run the demo once for the module's tests."""
    path = tmp_path_factory.mktemp("demo") / "demo.jsonl"
    return _demo("--json-log", str(path)), path


class TestDemo:
    def test_exit_and_every_spec_emoji(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """The demo exits 0 and its console log shows every emoji of the spec."""
        result, _ = demo_run
        assert result.returncode == 0, result.stderr
        missing = [e for e in SPEC_EMOJIS if e not in result.stdout]
        assert missing == []
        assert "Traceback" not in result.stdout + result.stderr

    def test_json_log_matches_console(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """Every console event is also in the JSON-lines file, which parses line by line."""
        result, path = demo_run
        events = [orjson.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        names = {e["event"] for e in events}
        assert {
            "chat_request_completed",
            "stream_completed",
            "responses_request_completed",
            "embeddings_request_completed",
            "messages_request_completed",
            "cache_hit",
            "cache_miss",
            "request_retried",
            "batch_processing_completed",
            "training_completed",
            "model_load_completed",
            "performance_metrics",
            "daily_usage_summary",
        } <= names
        assert {e["error"] for e in events if e["event"].endswith("_failed") and "error" in e} >= {
            "rate_limit_exceeded",
            "timeout",
            "context_length_exceeded",
            "server_error",
        }
        console_events = sum(
            1 for line in result.stdout.splitlines() if re.match(r"\d\d:\d\d:\d\d\.\d{3} ", line)
        )
        assert console_events == len(events)

    def test_costs_and_report(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """Completed calls carry cost_usd, and the run ends with the usage report."""
        result, path = demo_run
        events = [orjson.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        completed = [e for e in events if e["event"] == "chat_request_completed"]
        assert completed
        assert all(e["cost_usd"] > 0 for e in completed)
        assert "LLM usage" in result.stdout
        assert "claude-haiku-4-5" in result.stdout.split("usage report")[-1]

    def test_batch_of_twenty(self, demo_run: tuple[subprocess.CompletedProcess[str], Path]) -> None:
        """The batch runs 20 requests at concurrency 5 and recovers its 429."""
        _, path = demo_run
        events = [orjson.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        (done,) = [e for e in events if e["event"] == "batch_processing_completed"]
        assert (done["request_count"], done["successes"], done["failures"]) == (20, 20, 0)
        (started,) = [e for e in events if e["event"] == "batch_processing_started"]
        assert started["max_concurrent"] == 5

    def test_no_prompt_text_logged(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """Prompts are not logged: only their sizes."""
        result, path = demo_run
        assert "concise assistant" not in result.stdout
        assert "concise assistant" not in path.read_text(encoding="utf-8")

    def test_live_without_keys(self) -> None:
        """--live without API keys says what is missing in one line and exits 2."""
        env = {"OPENAI_API_KEY": "", "ANTHROPIC_API_KEY": ""}
        result = _demo("--live", env=env)
        assert result.returncode == 2
        assert "OPENAI_API_KEY and ANTHROPIC_API_KEY" in result.stderr
        assert "Traceback" not in result.stderr
        assert len(result.stderr.strip().splitlines()) == 1

    def test_unwritable_log(self, tmp_path: Path) -> None:
        """A JSON log path that cannot be written is one clear error."""
        result = _demo("--json-log", str(tmp_path / "no" / "such" / "dir.jsonl"))
        assert result.returncode == 2
        assert "cannot write" in result.stderr

    def test_training_logs_real_steps(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """Each training epoch logs the step reached, not step=0."""
        _, path = demo_run
        events = [orjson.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
        epochs = [e for e in events if e["event"] == "training_epoch"]
        assert [(e["epoch"], e["step"]) for e in epochs] == [(1, 4), (2, 8), (3, 12)]

    def test_first_section_before_sdk_clients(
        self, demo_run: tuple[subprocess.CompletedProcess[str], Path]
    ) -> None:
        """The first line is the local-model section, which needs no SDK; clients come after."""
        result, _ = demo_run
        lines = [line for line in result.stdout.splitlines() if line.strip()]
        assert lines[0].startswith("── a local model")
        fake_line = next(i for i, line in enumerate(lines) if line.startswith("Fake OpenAI"))
        first_call = next(i for i, line in enumerate(lines) if "chat_request_started" in line)
        assert 0 < fake_line < first_call


class TestStartup:
    def test_cli_does_not_import_sdks_up_front(self, tmp_path: Path) -> None:
        """`logmoji demo` checks the SDKs are installed without importing them (seconds of CPU)."""
        code = (
            "import sys, logmoji.demo\n"
            "logmoji.demo.run_demo = lambda **kw: print(sorted("
            "m for m in ('openai', 'anthropic') if m in sys.modules))\n"
            "from logmoji.cli import main\n"
            f"main(['demo', '--no-report', '--json-log', {str(tmp_path / 'x.jsonl')!r}])\n"
        )
        result = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60
        )
        assert result.stdout.splitlines()[0] == "[]"
