"""Agent runs and tool executions, on real agent loops against the fake provider.

The loop is the real thing: the model (the fake provider) asks for a tool, the
program runs it under ``track_tool``, sends the result back and the model
answers; the run's totals are checked against the calls' own logged events.
"""

from __future__ import annotations

import asyncio
import contextvars
import io
import json
import math
import ssl
import threading
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import openai
import pytest

from logmoji import get_logger
from logmoji.llm import agent_run, track_tool
from logmoji.llm.instrumentation import instrument
from logmoji.testing import FakeLLMProvider, capture_logs

TLS = ssl.create_default_context()
MODEL = "gpt-4o-mini"
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
CALL_ENDINGS = ("chat_request_completed", "chat_request_failed", "stream_completed")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture
def oai(fake: FakeLLMProvider) -> Iterator[openai.OpenAI]:
    """An instrumented OpenAI client for the fake provider."""
    fake.reset()
    client = fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS), max_retries=0)
    with instrument(client):
        yield client
    client.close()


@pytest.fixture
async def aoai(fake: FakeLLMProvider) -> AsyncIterator[openai.AsyncOpenAI]:
    """An instrumented async OpenAI client for the fake provider, closed afterwards."""
    fake.reset()
    client = fake.async_openai_client(
        http_client=openai.DefaultAsyncHttpxClient(verify=TLS), max_retries=0
    )
    with instrument(client):
        yield client
    await client.close()


@track_tool("get_weather")
def get_weather(city: str) -> str:
    """A tool: the weather of ``city``."""
    return f"sunny in {city}"


def agent_loop(client: openai.OpenAI, question: str, *, tool: Any = get_weather) -> str:
    """Ask, run the tool the model asks for, send its result back, return the answer."""
    messages: list[Any] = [{"role": "user", "content": question}]
    first = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    message = first.choices[0].message
    messages.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls or []:
        args = json.loads(call.function.arguments)  # type: ignore[union-attr]
        messages.append({"role": "tool", "tool_call_id": call.id, "content": tool(**args)})
    answer = client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    return answer.choices[0].message.content or ""


async def async_loop(client: openai.AsyncOpenAI, question: str) -> str:
    """The agent loop of :func:`agent_loop`, async, with an async tool."""

    @track_tool("lookup")
    async def lookup(city: str) -> str:
        await asyncio.sleep(0)
        return f"rainy in {city}"

    messages: list[Any] = [{"role": "user", "content": question}]
    first = await client.chat.completions.create(model=MODEL, messages=messages, tools=TOOLS)
    message = first.choices[0].message
    messages.append(message.model_dump(exclude_none=True))
    for call in message.tool_calls or []:
        args = json.loads(call.function.arguments)  # type: ignore[union-attr]
        messages.append({"role": "tool", "tool_call_id": call.id, "content": await lookup(**args)})
    answer = await client.chat.completions.create(model=MODEL, messages=messages)
    return answer.choices[0].message.content or ""


def events(logs: list[dict[str, Any]], name: str, **match: Any) -> list[dict[str, Any]]:
    """Return the events called ``name`` whose fields equal ``match``."""
    return [e for e in logs if e["event"] == name and all(e.get(k) == v for k, v in match.items())]


def calls_of(logs: list[dict[str, Any]], run_id: str) -> list[dict[str, Any]]:
    """Return the call endings logged inside the run ``run_id``."""
    return [e for e in logs if e["event"] in CALL_ENDINGS and e.get("run_id") == run_id]


def assert_totals_match(ending: dict[str, Any], calls: list[dict[str, Any]]) -> None:
    """The run's totals equal the sums over its calls' logged endings."""
    assert ending["model_calls"] == len(calls)
    assert ending["input_tokens"] == sum(c.get("prompt_tokens", 0) for c in calls)
    assert ending["output_tokens"] == sum(c.get("completion_tokens", 0) for c in calls)
    assert ending["cached_tokens"] == sum(c.get("cached_tokens", 0) for c in calls)
    assert math.isclose(ending["cost_usd"], sum(c["cost_usd"] for c in calls), rel_tol=1e-9)


class TestAgentLoop:
    def test_totals_equal_the_calls(self, oai: openai.OpenAI) -> None:
        """Tool call, tool, answer: the run ends once with totals equal to its calls' sums."""
        with capture_logs() as logs, agent_run("support", conversation_id="conv-1") as run:
            answer = agent_loop(oai, "Weather in Oslo?")
        assert answer
        (ending,) = events(logs, "agent_run_completed")
        assert ending["run_id"] == run.run_id
        assert ending["agent"] == "support"
        assert ending["conversation_id"] == "conv-1"
        calls = calls_of(logs, run.run_id)
        assert len(calls) == 2
        assert calls[0]["tool_names"] == ["get_weather"]
        assert_totals_match(ending, calls)
        assert ending["cost_usd"] > 0
        assert ending["tool_executions"] == 1
        assert ending["failed_tool_executions"] == 0
        assert ending["failed_calls"] == 0
        assert ending["duration_ms"] >= sum(c["duration_ms"] for c in calls)
        assert run.totals.model_calls == 2

    def test_every_line_carries_the_run(self, oai: openai.OpenAI) -> None:
        """Lines inside a run, the app's and the calls', carry run_id, agent, conversation_id."""
        log = get_logger("app")
        with capture_logs() as logs:
            with agent_run("support", conversation_id="c9") as run:
                log.info("thinking")
                agent_loop(oai, "Weather?")
            log.info("after")
        inside = [e for e in logs if e["event"] != "after"]
        assert len(inside) >= 8
        for event in inside:
            assert (event["run_id"], event["agent"], event["conversation_id"]) == (
                run.run_id,
                "support",
                "c9",
            ), event["event"]
        assert "run_id" not in events(logs, "after")[0]

    def test_events_and_emojis(self, oai: openai.OpenAI) -> None:
        """Runs log 🧭 started/completed, tools 🔧 started/completed with duration_ms."""
        with capture_logs() as logs, agent_run("support"):
            agent_loop(oai, "Weather?")
        names = [(e["emoji"], e["event"]) for e in logs if e["event"].startswith(("agent", "tool"))]
        assert names == [
            ("🧭", "agent_run_started"),
            ("🔧", "tool_started"),
            ("🔧", "tool_completed"),
            ("🧭", "agent_run_completed"),
        ]
        (done,) = events(logs, "tool_completed")
        assert done["tool"] == "get_weather"
        assert done["duration_ms"] >= 0
        assert "arguments" not in events(logs, "tool_started")[0]
        assert "result" not in done

    def test_captured_arguments_masked(self, oai: openai.OpenAI) -> None:
        """Under capture, a tool's arguments and result are logged, secrets masked."""
        key = "sk-proj-" + "a1B2c3D4" * 6

        @track_tool("fetch", capture_content=True)
        def fetch(url: str, token: str) -> str:
            return f"ok {token}"

        with capture_logs() as logs:
            fetch("https://example.com", token=key)
        (started,) = events(logs, "tool_started")
        (done,) = events(logs, "tool_completed")
        assert "https://example.com" in started["arguments"]
        assert key not in started["arguments"]
        assert done["result"].startswith("ok ")
        assert key not in done["result"]

    def test_request_settings_on_started(self, oai: openai.OpenAI) -> None:
        """The request's sampling settings are fields of the started event."""
        with capture_logs() as logs:
            oai.chat.completions.create(
                model=MODEL,
                messages=[{"role": "user", "content": "hi"}],
                temperature=0.2,
                max_tokens=50,
                top_p=0.9,
                seed=7,
                stop="END",
            )
        (started,) = events(logs, "chat_request_started")
        assert (started["temperature"], started["max_tokens"], started["top_p"]) == (0.2, 50, 0.9)
        assert (started["seed"], started["stop_sequences"]) == (7, ["END"])


class TestNesting:
    def test_sub_agent_rolls_up(self, oai: openai.OpenAI) -> None:
        """A sub-agent's calls and tools count in its own totals and in its parent's."""
        with capture_logs() as logs, agent_run("planner", conversation_id="c1") as parent:
            agent_loop(oai, "first")
            with agent_run("researcher") as child:
                agent_loop(oai, "second")
                agent_loop(oai, "third")
        (child_end,) = events(logs, "agent_run_completed", agent="researcher")
        (parent_end,) = events(logs, "agent_run_completed", agent="planner")
        assert child_end["conversation_id"] == "c1"
        assert events(logs, "agent_run_started", agent="researcher")[0]["parent_run_id"] == (
            parent.run_id
        )
        assert_totals_match(child_end, calls_of(logs, child.run_id))
        everything = calls_of(logs, parent.run_id) + calls_of(logs, child.run_id)
        assert_totals_match(parent_end, everything)
        assert (child_end["model_calls"], parent_end["model_calls"]) == (4, 6)
        assert (child_end["tool_executions"], parent_end["tool_executions"]) == (2, 3)

    async def test_twenty_concurrent_runs(self, aoai: openai.AsyncOpenAI) -> None:
        """Twenty runs in asyncio tasks keep their own totals and their own lines."""

        async def one(i: int) -> str:
            async with agent_run(f"agent-{i}", conversation_id=f"conv-{i}") as run:
                for _ in range(1 + i % 3):
                    await async_loop(aoai, f"question {i}")
            assert run.run_id is not None
            return run.run_id

        with capture_logs() as logs:
            run_ids = await asyncio.gather(*(one(i) for i in range(20)))
        assert len(set(run_ids)) == 20
        for i, run_id in enumerate(run_ids):
            (ending,) = events(logs, "agent_run_completed", run_id=run_id)
            assert ending["agent"] == f"agent-{i}"
            calls = calls_of(logs, run_id)
            assert len(calls) == 2 * (1 + i % 3)
            assert {c["conversation_id"] for c in calls} == {f"conv-{i}"}
            assert_totals_match(ending, calls)
            assert ending["tool_executions"] == 1 + i % 3

    def test_thread_with_copied_context(self, oai: openai.OpenAI) -> None:
        """A thread started with a copied context works inside the run that started it."""
        with capture_logs() as logs, agent_run("threaded") as run:
            context = contextvars.copy_context()
            worker = threading.Thread(target=context.run, args=(agent_loop, oai, "hi"))
            worker.start()
            worker.join()
        (ending,) = events(logs, "agent_run_completed")
        assert ending["model_calls"] == 2
        assert_totals_match(ending, calls_of(logs, run.run_id))


class TestCounting:
    """Calls are queued and counted in batches; the totals are exact whenever they are read."""

    def test_longer_than_a_batch(self, oai: openai.OpenAI) -> None:
        """A nested run of more calls than one batch: read mid-run and at the end, both exact."""
        from logmoji.llm._runs import BATCH

        loops = BATCH // 2 + 3  # two calls a loop: more than one batch
        with capture_logs() as logs, agent_run("outer") as outer:
            with agent_run("inner") as inner:
                agent_loop(oai, "first")
                assert (inner.totals.model_calls, outer.totals.model_calls) == (2, 2)
                for i in range(loops - 1):
                    agent_loop(oai, f"question {i}")
            agent_loop(oai, "last")
        (inner_end,) = events(logs, "agent_run_completed", agent="inner")
        (outer_end,) = events(logs, "agent_run_completed", agent="outer")
        assert inner_end["model_calls"] == 2 * loops > BATCH
        assert_totals_match(inner_end, calls_of(logs, inner.run_id))
        everything = calls_of(logs, inner.run_id) + calls_of(logs, outer.run_id)
        assert_totals_match(outer_end, everything)
        assert outer.totals.model_calls == outer_end["model_calls"] == 2 * loops + 2

    def test_odd_counts_are_unknown(self) -> None:
        """A count that is no number is not added; the call counts as one without usage."""
        from logmoji.llm._record import CallRecord
        from logmoji.llm._runs import RunState

        run = RunState("odd", "o", None, None)
        run.add_call(CallRecord("openai", "chat", MODEL, input_tokens=3, output_tokens=5), None)
        odd = CallRecord("openai", "chat", MODEL, input_tokens="7", output_tokens=2)  # type: ignore[arg-type]
        run.add_call(odd, 0.5)
        totals = run.totals
        assert (totals.model_calls, totals.calls_without_usage) == (2, 1)
        assert (totals.input_tokens, totals.output_tokens) == (3, 5)
        assert (totals.cost_usd, totals.priced_calls) == (0.5, 1)

    def test_threads_lose_no_call(self) -> None:
        """Eight threads ending calls in one nested run while it is read: nothing is lost."""
        from logmoji.llm._record import CallRecord
        from logmoji.llm._runs import RunState

        parent = RunState("parent", "p", None, None)
        child = RunState("child", "c", None, parent)
        ok = CallRecord("openai", "chat", MODEL, input_tokens=3, output_tokens=5, cached_tokens=1)
        unknown = CallRecord("openai", "chat", MODEL)
        failed = CallRecord("openai", "chat", MODEL, success=False, error_category="timeout")
        start = threading.Barrier(9)

        def end_calls() -> None:
            start.wait()
            for _ in range(500):
                child.add_call(ok, 0.25)
                child.add_call(unknown, None)
                child.add_call(failed, None)
                child.add_tool(failed=False)

        workers = [threading.Thread(target=end_calls) for _ in range(8)]
        for worker in workers:
            worker.start()
        start.wait()
        while any(worker.is_alive() for worker in workers):
            assert child.totals.model_calls <= 12_000  # reading meanwhile counts what is queued
        for worker in workers:
            worker.join()
        for run in (child, parent):
            totals = run.totals
            assert totals.model_calls == 12_000
            assert (totals.input_tokens, totals.output_tokens, totals.cached_tokens) == (
                12_000,
                20_000,
                4_000,
            )
            assert (totals.calls_without_usage, totals.failed_calls) == (4_000, 4_000)
            assert (totals.cost_usd, totals.priced_calls) == (1_000.0, 4_000)
            assert totals.tool_executions == 4_000


class TestFailures:
    def test_failing_tool(self, oai: openai.OpenAI) -> None:
        """A tool that raises fails the run; the same exception reaches the caller."""
        boom = ValueError("no such city")

        @track_tool("get_weather")
        def broken(city: str) -> str:
            raise boom

        with (
            capture_logs() as logs,
            pytest.raises(ValueError, match="no such city") as raised,
            agent_run("support"),
        ):
            agent_loop(oai, "Weather?", tool=broken)
        assert raised.value is boom
        (failed_tool,) = events(logs, "tool_failed")
        assert (failed_tool["emoji"], failed_tool["error"]) == ("💥", "tool_error")
        assert failed_tool["error_type"] == "ValueError"
        (ending,) = events(logs, "agent_run_failed")
        assert ending["log_level"] == "error"
        assert (ending["error"], ending["failed_tool"]) == ("tool_error", "get_weather")
        assert (ending["tool_executions"], ending["failed_tool_executions"]) == (1, 1)
        assert ending["model_calls"] == 1

    def test_failing_call(self, oai: openai.OpenAI, fake: FakeLLMProvider) -> None:
        """A call that fails (429) fails the run with the call's error category."""
        fake.inject("rate_limit", times=1)
        with (
            capture_logs() as logs,
            pytest.raises(openai.RateLimitError) as raised,
            agent_run("support"),
        ):
            agent_loop(oai, "Weather?")
        assert type(raised.value) is openai.RateLimitError
        (call,) = events(logs, "chat_request_failed")
        (ending,) = events(logs, "agent_run_failed")
        assert ending["error"] == call["error"] == "rate_limit_exceeded"
        assert ending["error_type"] == "RateLimitError"
        assert (ending["model_calls"], ending["failed_calls"]) == (1, 1)
        assert ending["emoji"] == "🛑"

    async def test_async_decorated_run(self, aoai: openai.AsyncOpenAI) -> None:
        """A decorated async function is one fresh run per call."""

        @agent_run("decorated")
        async def answer(question: str) -> str:
            return await async_loop(aoai, question)

        with capture_logs() as logs:
            await answer("a")
            await answer("b")
        endings = events(logs, "agent_run_completed")
        assert len(endings) == 2
        assert endings[0]["run_id"] != endings[1]["run_id"]
        assert [e["model_calls"] for e in endings] == [2, 2]

    def test_cancelled_run(self) -> None:
        """A run left by KeyboardInterrupt ends as cancelled, and the interrupt propagates."""
        with capture_logs() as logs, pytest.raises(KeyboardInterrupt), agent_run("support"):
            raise KeyboardInterrupt
        (ending,) = events(logs, "agent_run_cancelled")
        assert (ending["emoji"], ending["reason"]) == ("🚫", "KeyboardInterrupt")

    @pytest.mark.parametrize("name", ["", None, 3])
    def test_bad_name(self, name: Any) -> None:
        """A run or tool without a name is a ValueError saying what to pass."""
        with pytest.raises(ValueError, match="name such as"):
            agent_run(name)
        with pytest.raises(ValueError, match="name such as"):
            track_tool(name)


class TestAnthropic:
    def test_messages_loop(self, fake: FakeLLMProvider) -> None:
        """An Anthropic tool loop inside a run counts its calls and the tool."""
        client = fake.anthropic_client(
            http_client=anthropic.DefaultHttpxClient(verify=TLS), max_retries=0
        )
        tools = [{"name": "get_weather", "input_schema": TOOLS[0]["function"]["parameters"]}]  # type: ignore[index]
        with capture_logs() as logs, instrument(client), agent_run("claude-agent") as run:
            ask: list[Any] = [{"role": "user", "content": "Weather?"}]
            first = client.messages.create(
                model="claude-haiku-4-5", max_tokens=100, messages=ask, tools=tools
            )  # type: ignore[arg-type]
            use = next(b for b in first.content if b.type == "tool_use")
            with track_tool("get_weather", tool_call_id=use.id):
                result = "sunny"
            ask += [
                {"role": "assistant", "content": [b.model_dump() for b in first.content]},
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": use.id, "content": result}],
                },
            ]
            client.messages.create(
                model="claude-haiku-4-5", max_tokens=100, messages=ask, tools=tools
            )  # type: ignore[arg-type]
        client.close()
        (ending,) = events(logs, "agent_run_completed")
        calls = [e for e in logs if e["event"] == "messages_request_completed"]
        assert all(c["run_id"] == run.run_id for c in calls)
        assert_totals_match(ending, calls)
        assert events(logs, "tool_completed")[0]["tool_call_id"] == use.id


class TestSpans:
    """With OpenTelemetry export on, at the local OTLP receiver."""

    @pytest.fixture
    def rx(self, fake: FakeLLMProvider) -> Iterator[Any]:
        """Export to a fresh OTLP receiver, with content capture on."""
        import logmoji
        from _otlp_receiver import OTLPReceiver
        from logmoji import LoggingConfig, TelemetryConfig
        from logmoji.logger.config import LLMConfig, OTelConfig
        from logmoji.setup import setup_telemetry

        fake.reset()
        with OTLPReceiver() as receiver:
            setup_telemetry(
                TelemetryConfig(
                    service_name="agents-tests",
                    logging=LoggingConfig(stream=io.StringIO()),
                    llm=LLMConfig(capture_content=True),
                    otel=OTelConfig(endpoint=receiver.endpoint),
                ),
                environ={},
            )
            yield receiver
            logmoji.reset()  # stop exporting before the receiver closes

    def test_run_tree(self, rx: Any, fake: FakeLLMProvider) -> None:
        """invoke_agent holds the calls and execute_tool; they carry conversation and agent."""
        import logmoji.otel

        client = fake.openai_client(max_retries=0)
        with instrument(client), agent_run("support", conversation_id="conv-7") as run:
            messages: list[Any] = [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "Weather in Oslo?"},
            ]
            first = client.chat.completions.create(
                model=MODEL, messages=messages, tools=TOOLS, temperature=0.3, max_tokens=64
            )
            call = first.choices[0].message.tool_calls[0]  # type: ignore[index]
            with track_tool("get_weather", tool_call_id=call.id, arguments={"city": "Oslo"}):
                pass
            messages += [
                first.choices[0].message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
            ]
            client.chat.completions.create(model=MODEL, messages=messages, seed=3, stop=["END"])
        client.close()
        assert logmoji.otel.force_flush(5.0)
        spans = rx.spans()
        (agent,) = [s for s in spans if s["name"] == "invoke_agent support"]
        (tool,) = [s for s in spans if s["name"] == "execute_tool get_weather"]
        chats = [s for s in spans if s["name"] == f"chat {MODEL}"]
        assert len(chats) == 2
        assert agent["parent_span_id"] == ""
        for child in (tool, *chats):
            assert child["trace_id"] == agent["trace_id"]
            assert child["parent_span_id"] == agent["span_id"]
            assert child["attributes"]["gen_ai.conversation.id"] == "conv-7"
            assert child["attributes"]["gen_ai.agent.name"] == "support"
        attrs = agent["attributes"]
        assert attrs["gen_ai.operation.name"] == "invoke_agent"
        assert (attrs["gen_ai.agent.name"], attrs["gen_ai.conversation.id"]) == (
            "support",
            "conv-7",
        )
        assert attrs["logmoji.agent.run_id"] == run.run_id
        assert attrs["logmoji.agent.model_calls"] == 2
        assert attrs["gen_ai.usage.input_tokens"] == sum(
            c["attributes"]["gen_ai.usage.input_tokens"] for c in chats
        )
        tattrs = tool["attributes"]
        assert tattrs["gen_ai.operation.name"] == "execute_tool"
        assert (tattrs["gen_ai.tool.name"], tattrs["gen_ai.tool.call.id"]) == (
            "get_weather",
            call.id,
        )
        assert "Oslo" in tattrs["gen_ai.tool.call.arguments"]
        first_span, second_span = sorted(chats, key=lambda s: s["start"])
        one = first_span["attributes"]
        assert (one["gen_ai.request.temperature"], one["gen_ai.request.max_tokens"]) == (0.3, 64)
        two = second_span["attributes"]
        assert (two["gen_ai.request.seed"], two["gen_ai.request.stop_sequences"]) == (3, ["END"])
        assert json.loads(one["gen_ai.system_instructions"]) == [
            {"type": "text", "content": "Be brief."}
        ]
        assert json.loads(one["gen_ai.input.messages"]) == [
            {"role": "user", "parts": [{"type": "text", "content": "Weather in Oslo?"}]}
        ]
        (definition,) = json.loads(one["gen_ai.tool.definitions"])
        assert (definition["type"], definition["name"]) == ("function", "get_weather")
        assert json.loads(one["gen_ai.output.messages"])[0]["parts"][0]["type"] == "tool_call"
        response = json.loads(two["gen_ai.input.messages"])[-1]
        assert response == {
            "role": "tool",
            "parts": [{"type": "tool_call_response", "id": call.id, "response": "sunny"}],
        }
        assert json.loads(two["gen_ai.output.messages"])[0]["parts"][0]["type"] == "text"

    def test_failed_tool_span(self, rx: Any) -> None:
        """A failed tool's span and its run's have error status and error.type."""
        import logmoji.otel

        with pytest.raises(KeyError), agent_run("support"), track_tool("lookup"):
            raise KeyError("missing")
        assert logmoji.otel.force_flush(5.0)
        spans = {s["name"]: s for s in rx.spans()}
        for name in ("invoke_agent support", "execute_tool lookup"):
            assert spans[name]["status_code"] == 2
            assert spans[name]["attributes"]["error.type"] == "KeyError"


class TestCaptureSwitch:
    @pytest.mark.parametrize(
        ("environ", "expected"),
        [
            ({}, False),
            ({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true"}, True),
            ({"OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "false"}, False),
            (
                {
                    "OTEL_INSTRUMENTATION_GENAI_CAPTURE_MESSAGE_CONTENT": "true",
                    "LOGMOJI_CAPTURE_CONTENT": "off",
                },
                False,
            ),
        ],
    )
    def test_otel_variable(self, environ: dict[str, str], expected: bool) -> None:
        """OpenTelemetry's capture variable turns capture on unless logmoji's own says otherwise."""
        from logmoji.logger.config import LLMConfig

        assert LLMConfig().resolve(environ).capture_content is expected


class TestReadme:
    def test_agents_snippet_runs(self) -> None:
        """The README's Agents example runs as written and logs a run with its tool."""
        from pathlib import Path

        readme = (Path(__file__).parent.parent / "README.md").read_text(encoding="utf-8")
        section = readme.split("## Agents", 1)[1]
        code = section.split("```python\n", 1)[1].split("```", 1)[0]
        with capture_logs() as logs:
            exec(compile(code, "README.md", "exec"), {})
        assert [e["event"] for e in logs] == [
            "agent_run_started",
            "tool_started",
            "tool_completed",
            "agent_run_completed",
        ]
        assert logs[-1]["conversation_id"] == "ticket-42"
