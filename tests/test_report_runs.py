"""The report's runs view, from JSON logs that real agent runs wrote."""

from __future__ import annotations

import io
from pathlib import Path

import openai
import pytest

from logmoji import LoggingConfig, TelemetryConfig
from logmoji.llm import agent_run, track_tool
from logmoji.llm.instrumentation import instrument
from logmoji.report import render_html, render_text, summarize
from logmoji.setup import setup_telemetry
from logmoji.testing import FakeLLMProvider

TOOLS = [{"type": "function", "function": {"name": "search", "parameters": {"type": "object"}}}]


@agent_run("support", conversation_id="c2")
def give_up(client: openai.OpenAI) -> None:
    """A run that makes one call, then fails."""
    client.chat.completions.create(
        model="gpt-4o-mini", messages=[{"role": "user", "content": "hi"}]
    )
    raise RuntimeError("gave up")


@pytest.fixture(scope="module")
def log_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Write a JSON log of five runs: three 'support' (one failed), two 'triage'."""
    path = tmp_path_factory.mktemp("runs") / "app.jsonl"
    with path.open("w", encoding="utf-8") as out, FakeLLMProvider() as fake:
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=out, formatter="json")), environ={}
        )
        client = fake.openai_client(max_retries=0)
        with instrument(client):
            for agent, conversation, turns in [
                ("support", "c1", 1),
                ("support", "c1", 2),
                ("triage", "c2", 1),
                ("triage", "c3", 3),
            ]:
                with agent_run(agent, conversation_id=conversation):
                    for _ in range(turns):
                        client.chat.completions.create(
                            model="gpt-4o-mini",
                            messages=[{"role": "user", "content": "hi"}],
                            tools=TOOLS,  # type: ignore[arg-type]
                        )
                        with track_tool("search"):
                            pass
            with pytest.raises(RuntimeError, match="gave up"):
                give_up(client)
        client.close()
        setup_telemetry(TelemetryConfig(logging=LoggingConfig(stream=io.StringIO())), environ={})
    return path


class TestRunsView:
    def test_per_agent(self, log_file: Path) -> None:
        """Runs are grouped per agent with their calls, tools, failures and cost."""
        report = summarize([log_file])
        assert report.calls == 8  # runs and tools are not LLM calls
        assert report.runs is not None
        groups = {g.key: g for g in report.runs.groups}
        support, triage = groups[("support",)], groups[("triage",)]
        assert (support.runs, support.failed, support.model_calls) == (3, 1, 4)
        assert (triage.runs, triage.failed, triage.model_calls) == (2, 0, 4)
        assert (support.tool_executions, triage.tool_executions) == (3, 4)
        assert triage.duration_ms.count == 2
        assert triage.duration_ms.p50 is not None
        assert triage.cost_usd == pytest.approx(report.total.cost_usd - support.cost_usd)
        costs = [r.cost_usd for r in report.runs.most_expensive]
        assert costs == sorted(costs, reverse=True)
        assert len(costs) == 5
        durations = [r.duration_ms for r in report.runs.slowest]
        assert durations == sorted(durations, reverse=True)
        assert durations[0] == max(support.duration_ms.max or 0, triage.duration_ms.max or 0)

    def test_by_conversation(self, log_file: Path) -> None:
        """--by conversation_id groups calls and runs by conversation."""
        report = summarize([log_file], by=["conversation_id"])
        assert {g.key: g.requests for g in report.groups} == {
            ("c1",): 3,
            ("c2",): 2,
            ("c3",): 3,
        }
        assert report.runs is not None
        assert {g.key: g.runs for g in report.runs.groups} == {("c1",): 2, ("c2",): 2, ("c3",): 1}

    def test_rendered(self, log_file: Path) -> None:
        """The text, JSON and HTML reports have the runs section."""
        report = summarize([log_file])
        text = render_text(report)
        assert "Agent runs" in text
        assert "Most expensive runs" in text
        assert "Slowest runs" in text
        assert report.to_dict()["runs"]["groups"][0]["group"] == {"agent": "support"}
        page = render_html(report)
        assert "<h2>Agent runs</h2>" in page
        assert "<h2>Slowest runs</h2>" in page
