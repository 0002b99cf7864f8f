"""A wide, realistic report page, and headless Chromium to measure or photograph it.

Shared by ``tests/test_report_browser.py`` and ``make report-screenshot``. The
log has three seconds of calls to long-named models of three providers, with
every error category, tokens, costs (one model unpriced) and streams: what
makes the report's table widest.

Run: ``python tests/_report_page.py OUT.html [OUT.png]`` writes the page (and
its screenshot at 1280 px wide when Chromium is installed).
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from datetime import UTC, datetime
from pathlib import Path

import orjson

from logmoji.report import render_html, summarize

T0 = 1_795_773_600.0  # 2026-11-27T10:00:00Z
WIDTH = 1280
_MODELS = [
    ("openai", "gpt-4o-mini-2024-07-18", 0.00015),
    ("openai", "text-embedding-3-small", 0.0000002),
    ("anthropic", "claude-3-5-sonnet-20241022", 0.0042),
    ("anthropic", "claude-haiku-4-5", 0.0008),
    ("google", "gemini-2.0-flash-thinking-exp-01-21", None),
]
_ERRORS = ["rate_limit_exceeded", "timeout", "context_length_exceeded", "server_error"]
CHROMIUM_FLAGS = (
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
)


def write_log(path: Path) -> Path:
    """Write the log: 60 calls in three seconds, failures of every kind on two models."""
    lines = []
    for i in range(60):
        provider, model, cost = _MODELS[i % len(_MODELS)]
        moment = datetime.fromtimestamp(T0 + i * 0.05, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
        fields: dict[str, object] = {
            "timestamp": moment,
            "level": "info",
            "logger": f"llm.{provider}",
            "provider": provider,
            "model": model,
            "prompt_tokens": 1200 + 37 * i,
            "completion_tokens": 300 + 11 * i,
            "cached_tokens": 512 if i % 3 == 0 else 0,
            "duration_ms": 180.0 + 97.5 * (i % 13),
            "user_id": f"user-{i % 4}",
        }
        if cost is not None:
            fields["cost_usd"] = cost * (1 + i / 10)
        if i % 7 == 3 and provider != "openai":
            fields["event"] = "chat_request_failed"
            fields["level"] = "error"
            fields["error"] = _ERRORS[(i // 7) % len(_ERRORS)]
        elif i % 4 == 1:
            fields["event"] = "stream_completed"
            fields["ttft_ms"] = 95.0 + i
            fields["tokens_per_second"] = 61.5 + i
        else:
            fields["event"] = "chat_request_completed"
        lines.append(orjson.dumps(fields))
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def page(folder: Path) -> str:
    """Return the report page of the log, written in ``folder``."""
    log = write_log(folder / "calls.jsonl")
    return render_html(summarize([log]), generated=datetime(2026, 11, 27, 12, 0, tzinfo=UTC))


def chromium() -> str | None:
    """Return the Chromium command, if installed."""
    return shutil.which("chromium") or shutil.which("chromium-browser")


def run_chromium(html_file: Path, *args: str, height: int = 900) -> str:
    """Open ``html_file`` in headless Chromium at 1280 px; return what it printed on stdout."""
    command = chromium()
    if command is None:
        raise RuntimeError("Chromium is not installed: apt-get install chromium")
    with tempfile.TemporaryDirectory(prefix="logmoji-chromium-") as profile:
        result = subprocess.run(
            [
                command,
                *CHROMIUM_FLAGS,
                f"--user-data-dir={profile}",
                f"--window-size={WIDTH},{height}",
                *args,
                html_file.resolve().as_uri(),
            ],
            capture_output=True,
            text=True,
            timeout=120,
            check=True,
            env={**os.environ, "HOME": profile},
        )
    return result.stdout


def main(argv: list[str]) -> int:
    """Write the page to ``argv[0]`` and, given ``argv[1]``, its screenshot."""
    out = Path(argv[0])
    with tempfile.TemporaryDirectory() as folder:
        out.write_text(page(Path(folder)), encoding="utf-8")
    print(f"wrote {out}")
    if len(argv) > 1:
        run_chromium(out, f"--screenshot={Path(argv[1]).resolve()}", height=2000)
        print(f"wrote {argv[1]}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
