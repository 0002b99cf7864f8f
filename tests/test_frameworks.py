"""Agent frameworks report their runs and tools with nothing but logmoji turned on.

Each test turns logmoji on the way ``logmoji run`` does (``auto.enable()``),
builds an agent with the framework's own API against the fake provider and
checks the run, its tool and its calls in the log: one ending per model call,
inside the run, and totals equal to the calls' sums.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from typing import Any

import pytest

from logmoji.llm.instrumentation import auto
from logmoji.testing import FakeLLMProvider, capture_logs

agents = pytest.importorskip("agents")
langchain_openai = pytest.importorskip("langchain_openai")

CALL_ENDINGS = ("chat_request_completed", "responses_request_completed")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture
def logmoji_on(fake: FakeLLMProvider) -> Iterator[None]:
    """Turn logmoji on as ``logmoji run`` does, and off afterwards."""
    fake.reset()
    agents.set_trace_processors([])  # the SDK's own exporter would post to api.openai.com
    auto.enable()
    yield
    auto.disable()
    agents.set_trace_processors([])


def events(logs: list[dict[str, Any]], name: str) -> list[dict[str, Any]]:
    """Return the events called ``name``."""
    return [e for e in logs if e["event"] == name]


def check_run(logs: list[dict[str, Any]], agent: str, conversation: str) -> None:
    """One run of ``agent`` holds two calls and one tool, and its totals are theirs."""
    (started,) = events(logs, "agent_run_started")
    (ending,) = events(logs, "agent_run_completed")
    run_id = ending["run_id"]
    assert (started["run_id"], ending["agent"]) == (run_id, agent)
    assert ending["conversation_id"] == conversation
    calls = [e for e in logs if e["event"] in CALL_ENDINGS]
    assert len(calls) == 2
    assert {c["run_id"] for c in calls} == {run_id}
    (tool,) = events(logs, "tool_completed")
    assert (tool["tool"], tool["run_id"], tool["emoji"]) == ("get_weather", run_id, "🔧")
    assert (ending["model_calls"], ending["tool_executions"]) == (2, 1)
    assert ending["input_tokens"] == sum(c["prompt_tokens"] for c in calls)
    assert ending["output_tokens"] == sum(c["completion_tokens"] for c in calls)
    assert math.isclose(ending["cost_usd"], sum(c["cost_usd"] for c in calls), rel_tol=1e-9)


class TestOpenAIAgents:
    async def test_run_with_tool(self, fake: FakeLLMProvider, logmoji_on: None) -> None:
        """An Agent with a function tool: one run, its tool, each model call logged once."""

        @agents.function_tool
        def get_weather(city: str) -> str:
            """Return the weather of a city."""
            return f"sunny in {city}"

        client = fake.async_openai_client(max_retries=0)
        agents.set_default_openai_client(client, use_for_tracing=False)
        bot = agents.Agent(name="weather-bot", tools=[get_weather], model="gpt-4o-mini")
        with capture_logs() as logs, agents.trace("support", group_id="conv-42"):
            result = await agents.Runner.run(bot, "Weather in Oslo?")
        await client.close()
        assert result.final_output
        check_run(logs, "weather-bot", "conv-42")
        assert events(logs, "agent_run_completed")[0]["framework"] == "openai-agents"

    async def test_failing_tool(self, fake: FakeLLMProvider, logmoji_on: None) -> None:
        """A tool that raises is a tool_failed event with the SDK's message."""

        @agents.function_tool
        def get_weather(city: str) -> str:
            """Return the weather of a city."""
            raise RuntimeError("station offline")

        client = fake.async_openai_client(max_retries=0)
        agents.set_default_openai_client(client, use_for_tracing=False)
        bot = agents.Agent(name="weather-bot", tools=[get_weather], model="gpt-4o-mini")
        with capture_logs() as logs:
            await agents.Runner.run(bot, "Weather in Oslo?")
        await client.close()
        (failed,) = events(logs, "tool_failed")
        assert (failed["error"], failed["emoji"]) == ("tool_error", "💥")
        (ending,) = events(logs, "agent_run_completed")
        assert ending["failed_tool_executions"] == 1


class TestLangChain:
    def test_chain_with_tool(self, fake: FakeLLMProvider, logmoji_on: None) -> None:
        """A root runnable is a run; its tool and its two chat calls are inside it."""
        from langchain_core.messages import HumanMessage
        from langchain_core.runnables import RunnableLambda
        from langchain_core.tools import tool

        @tool
        def get_weather(city: str) -> str:
            """Return the weather of a city."""
            return f"sunny in {city}"

        model = langchain_openai.ChatOpenAI(
            model="gpt-4o-mini", base_url=fake.openai_base_url, api_key="sk-test", max_retries=0
        ).bind_tools([get_weather])

        def loop(question: str) -> Any:
            messages: list[Any] = [HumanMessage(question)]
            answer = model.invoke(messages)
            messages.append(answer)
            messages += [get_weather.invoke(call) for call in answer.tool_calls]
            return model.invoke(messages).content

        agent = RunnableLambda(loop).with_config(run_name="weather-agent")
        with capture_logs() as logs:
            assert agent.invoke("Weather?", config={"metadata": {"conversation_id": "c-7"}})
        check_run(logs, "weather-agent", "c-7")

    def test_failing_chain(self, fake: FakeLLMProvider, logmoji_on: None) -> None:
        """A root runnable that raises ends its run as failed; the caller gets the error."""
        from langchain_core.runnables import RunnableLambda

        def broken(question: str) -> str:
            raise LookupError("no index")

        with capture_logs() as logs, pytest.raises(LookupError, match="no index"):
            RunnableLambda(broken).with_config(run_name="rag").invoke("q")
        (ending,) = events(logs, "agent_run_failed")
        assert (ending["agent"], ending["error_type"]) == ("rag", "LookupError")


class TestMissingExtra:
    def test_names_the_extra(self) -> None:
        """A framework that is not installed raises ImportError naming the pip extra."""
        from logmoji.llm.frameworks._import import require

        with pytest.raises(ImportError, match=r"pip install 'logmoji\[langchain\]'"):
            require("no_such_framework_here", "langchain")
