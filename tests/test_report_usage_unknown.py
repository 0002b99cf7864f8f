"""Calls whose usage is unknown are counted as such in the report, never as zero tokens.

The log comes from real instrumented calls against the fake provider: some
read normally, one streaming response closed unread (``usage_known=False``),
plus a hand-written ending without counts.
"""

from __future__ import annotations

import csv
import io
import json
import ssl
from pathlib import Path

import openai
import orjson

from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry
from logmoji.llm.instrumentation import instrument
from logmoji.report import render_csv, render_text, summarize
from logmoji.testing import FakeLLMProvider

TLS = ssl.create_default_context()
CHAT = {"model": "gpt-4o-mini", "messages": [{"role": "user", "content": "Hello there"}]}


def _write_log(path: Path) -> list[dict[str, object]]:
    """Log three read calls and one unread streaming response as JSON lines; return the lines."""
    setup_telemetry(
        TelemetryConfig(logging=LoggingConfig(formatter="json", json_file=str(path))),
        environ={},
    )
    with FakeLLMProvider() as fake:
        client = fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS))
        instrument(client)
        for _ in range(3):
            client.chat.completions.create(**CHAT)  # type: ignore[call-overload]
        with client.chat.completions.with_streaming_response.create(**CHAT) as response:  # type: ignore[call-overload]
            assert response.status_code == 200  # closed without reading the body
        client.close()
    from logmoji import get_logger

    get_logger("app").info("inference_completed", model="gpt-4o-mini", provider="openai")
    import logmoji

    logmoji.reset()  # flush and close the JSON file
    return [orjson.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_unknown_usage_counted_apart(tmp_path: Path) -> None:
    """Two calls of unknown usage are counted; token totals are the sum of the known ones."""
    log = tmp_path / "calls.jsonl"
    lines = _write_log(log)
    endings = [e for e in lines if e["event"] in ("chat_request_completed", "inference_completed")]
    known = [e for e in endings if "completion_tokens" in e]
    assert len(endings) == 5
    assert len(known) == 3
    assert [e.get("usage_known") for e in endings if e not in known] == [False, None]

    report = summarize([log])
    total = report.total
    assert total.requests == 5
    assert total.usage_unknown == 2
    assert total.input_tokens == sum(int(e["prompt_tokens"]) for e in known)  # type: ignore[call-overload]
    assert total.output_tokens == sum(int(e["completion_tokens"]) for e in known)  # type: ignore[call-overload]
    assert total.priced_requests == 3

    text = render_text(report)
    assert "Usage unknown: 2 calls logged no token counts" in text
    assert json.loads(json.dumps(report.to_dict()))["total"]["usage_unknown"] == 2
    rows = list(csv.DictReader(io.StringIO(render_csv(report))))
    assert rows[-1]["usage_unknown"] == "2"


def test_no_unknown_no_line(tmp_path: Path) -> None:
    """A log whose calls all said their usage has no 'usage unknown' line."""
    log = tmp_path / "calls.jsonl"
    log.write_text(
        orjson.dumps(
            {
                "event": "chat_request_completed",
                "model": "gpt-4o-mini",
                "provider": "openai",
                "prompt_tokens": 0,
                "completion_tokens": 0,
            }
        ).decode()
        + "\n",
        encoding="utf-8",
    )
    report = summarize([log])
    assert report.total.usage_unknown == 0  # zero tokens reported is known usage
    assert "Usage unknown" not in render_text(report)
