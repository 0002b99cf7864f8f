"""Tests for ``logmoji run``: a program's SDK calls logged without changing its code."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import orjson
import pytest

from logmoji.testing import FakeLLMProvider

APP = """
import sys
import anthropic
import openai

client = openai.OpenAI(base_url=sys.argv[1] + "/v1", api_key="sk-fake")
reply = client.chat.completions.create(
    model="gpt-4o-mini", messages=[{"role": "user", "content": "PROMPT-MARKER hello"}])
print("reply", len(reply.choices[0].message.content) > 0)
claude = anthropic.Anthropic(base_url=sys.argv[1], api_key="sk-ant-fake")
claude.messages.create(model="claude-haiku-4-5", max_tokens=50,
                       messages=[{"role": "user", "content": "hi"}])
sys.exit(int(sys.argv[2]))
"""


_LOOKUP = """
assert importlib.util.find_spec("openai") is not None
assert importlib.util.find_spec("anthropic") is not None
"""


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the module."""
    with FakeLLMProvider() as provider:
        yield provider


def _run(
    *args: str,
    env: dict[str, str] | None = None,
    cwd: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    environ = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("LOGMOJI_", "OTEL_")) and k != "PYTHONPATH"
    }
    return subprocess.run(
        [sys.executable, "-m", "logmoji.cli", "run", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env={**environ, **(env or {})},
        cwd=cwd,
    )


class TestRun:
    def test_calls_logged_and_status_passed(self, fake: FakeLLMProvider, tmp_path: Path) -> None:
        """Both SDKs' calls are logged, the exit status passes through, the report follows."""
        app = tmp_path / "app.py"
        app.write_text(APP, encoding="utf-8")
        log = tmp_path / "calls.jsonl"
        result = _run("--json-log", str(log), "--", sys.executable, str(app), fake.base_url, "3")
        assert result.returncode == 3
        assert result.stdout.strip() == "reply True"
        events = [orjson.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
        assert [e["event"] for e in events if e["event"].endswith("_completed")] == [
            "chat_request_completed",
            "messages_request_completed",
        ]
        assert "✨ chat_request_completed" in result.stderr
        assert "LLM usage · 2 calls" in result.stderr
        assert "PROMPT-MARKER" not in result.stderr + log.read_text(encoding="utf-8")

    def test_no_report(self, fake: FakeLLMProvider, tmp_path: Path) -> None:
        """--no-report leaves out the report."""
        app = tmp_path / "app.py"
        app.write_text(APP, encoding="utf-8")
        result = _run("--no-report", "--", sys.executable, str(app), fake.base_url, "0")
        assert result.returncode == 0
        assert "LLM usage" not in result.stderr
        assert "chat_request_completed" in result.stderr

    def test_report_names_no_deleted_file(self, fake: FakeLLMProvider, tmp_path: Path) -> None:
        """Without --json-log the report's header names the run, not a deleted temporary file."""
        app = tmp_path / "app.py"
        app.write_text(APP, encoding="utf-8")
        result = _run("--", sys.executable, str(app), fake.base_url, "0")
        (header,) = [line for line in result.stderr.splitlines() if "LLM usage ·" in line]
        assert header.endswith("· this run (--json-log FILE keeps its events)")
        assert "events.jsonl" not in result.stderr

    def test_report_names_kept_file(self, fake: FakeLLMProvider, tmp_path: Path) -> None:
        """With --json-log the report's header names that file, which is still there."""
        app = tmp_path / "app.py"
        app.write_text(APP, encoding="utf-8")
        log = tmp_path / "calls.jsonl"
        result = _run("--json-log", str(log), "--", sys.executable, str(app), fake.base_url, "0")
        (header,) = [line for line in result.stderr.splitlines() if "LLM usage ·" in line]
        assert header.endswith(f"· {log}")
        assert log.exists()

    def test_module_and_plain_program(self, tmp_path: Path) -> None:
        """A program that never imports an SDK runs as usual, also with -m."""
        (tmp_path / "plain_mod.py").write_text("print('plain ok')\n", encoding="utf-8")
        result = _run(
            "--", sys.executable, "-m", "plain_mod", cwd=tmp_path, env={"PYTHONPATH": str(tmp_path)}
        )
        assert (result.returncode, result.stdout.strip()) == (0, "plain ok")
        assert "No LLM calls found" in result.stderr

    def test_existing_sitecustomize_still_runs(self, tmp_path: Path) -> None:
        """A sitecustomize the environment already had is still imported."""
        site = tmp_path / "site"
        site.mkdir()
        (site / "sitecustomize.py").write_text(
            "import os\nos.environ['THEIRS'] = 'yes'\n", encoding="utf-8"
        )
        code = "import os; print(os.environ.get('THEIRS'))"
        result = _run(
            "--no-report", "--", sys.executable, "-c", code, env={"PYTHONPATH": str(site)}
        )
        assert result.stdout.strip() == "yes"

    @pytest.mark.parametrize(
        ("args", "status", "message"),
        [
            ((), 2, "no command given"),
            (("--", "no-such-program-xyz"), 127, "command not found"),
        ],
    )
    def test_errors(self, args: tuple[str, ...], status: int, message: str) -> None:
        """Mistakes give one clear line and a non-zero status, never a traceback."""
        result = _run(*args)
        assert result.returncode == status
        assert message in result.stderr
        assert "Traceback" not in result.stderr
        assert "[]" not in result.stderr

    def test_find_spec_before_import(self, fake: FakeLLMProvider, tmp_path: Path) -> None:
        """A program that looks the SDK up first (as instructor does) is still logged."""
        app = tmp_path / "app.py"
        app.write_text("import importlib.util\n" + _LOOKUP + APP, encoding="utf-8")
        log = tmp_path / "calls.jsonl"
        result = _run("--json-log", str(log), "--", sys.executable, str(app), fake.base_url, "0")
        assert result.returncode == 0, result.stderr
        events = [orjson.loads(x) for x in log.read_text(encoding="utf-8").splitlines()]
        assert [e["event"] for e in events if e["event"].endswith("_completed")] == [
            "chat_request_completed",
            "messages_request_completed",
        ]

    def test_python_is_logmojis_interpreter(self, fake: FakeLLMProvider, tmp_path: Path) -> None:
        """``python`` in the command is the interpreter logmoji is installed in."""
        app = tmp_path / "app.py"
        app.write_text("import sys\nprint(sys.executable)\n", encoding="utf-8")
        decoy = tmp_path / "bin"
        decoy.mkdir()
        for name in ("python", "python3"):  # a foreign interpreter first on PATH
            fake_python = decoy / name
            fake_python.write_text("#!/bin/sh\necho foreign\n", encoding="utf-8")
            fake_python.chmod(0o755)
        for name in ("python", "python3"):
            result = _run(
                "--no-report",
                "--",
                name,
                str(app),
                env={"PATH": f"{decoy}{os.pathsep}{os.environ.get('PATH', '')}"},
            )
            assert result.returncode == 0, result.stderr
            assert Path(result.stdout.strip()).parent == Path(sys.executable).parent

    def test_foreign_interpreter_says_so(self, tmp_path: Path) -> None:
        """An interpreter without logmoji runs the program, with one line saying why no logs."""
        foreign = tmp_path / "venv"
        subprocess.run(
            [sys.executable, "-m", "venv", "--without-pip", str(foreign)], check=True, timeout=60
        )
        python = foreign / "bin" / "python"
        result = _run("--no-report", "--", str(python), "-c", "print('ran')")
        assert result.stdout.strip() == "ran"
        lines = [line for line in result.stderr.splitlines() if "logmoji run:" in line]
        assert len(lines) == 1
        assert "not logged" in lines[0]
        assert str(python) in lines[0]
        assert sys.executable in lines[0]
        assert "Traceback" not in result.stderr


class TestAuto:
    def test_enable_before_and_after_import(self, fake: FakeLLMProvider) -> None:
        """enable() instruments an SDK imported later, and one imported already."""
        code = f"""
import logmoji
from logmoji.llm.instrumentation import auto
from logmoji.testing import capture_logs
import anthropic
auto.enable()
import openai
with capture_logs() as logs:
    openai.OpenAI(base_url="{fake.openai_base_url}", api_key="k").embeddings.create(
        model="text-embedding-3-small", input="x")
    anthropic.Anthropic(base_url="{fake.anthropic_base_url}", api_key="k").messages.create(
        model="claude-haiku-4-5", max_tokens=5, messages=[{{"role": "user", "content": "x"}}])
auto.disable()
with capture_logs() as after:
    openai.OpenAI(base_url="{fake.openai_base_url}", api_key="k").embeddings.create(
        model="text-embedding-3-small", input="x")
print([e["event"] for e in logs if e["event"].endswith("completed")],
      len([e for e in after if str(e["logger"]).startswith("llm")]))
"""
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True
        )
        assert out.stdout.strip() == (
            "['embeddings_request_completed', 'messages_request_completed'] 0"
        )

    def test_unknown_sdk(self) -> None:
        """enable() names the SDKs it knows."""
        from logmoji.llm.instrumentation import auto

        with pytest.raises(ValueError, match="openai, anthropic"):
            auto.enable(["cohere"])
