"""openai-agents on chat-completions and Responses models: unchanged by logmoji, calls logged."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from typing import Any

import agents
import openai
import pytest
from agents import (
    Agent,
    ModelSettings,
    OpenAIChatCompletionsModel,
    OpenAIResponsesModel,
    Runner,
    function_tool,
)

from _frameworks import GPT, OPENAI_KEY, Wiring, acompare
from logmoji.testing._fake_provider import FakeLLMProvider

QUESTION = "What is the weather in Paris?"
MODELS = ["chat", "responses"]


@pytest.fixture(autouse=True)
def _no_tracing() -> Iterator[None]:
    """Keep the SDK from exporting traces (it would try to reach OpenAI)."""
    agents.set_tracing_disabled(True)
    yield
    agents.set_tracing_disabled(False)


@function_tool
def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


@asynccontextmanager
async def _agent(kind: str, fake: FakeLLMProvider, **settings: Any) -> AsyncIterator[Agent[Any]]:
    """Yield a weather agent on a ``kind`` model whose client is closed afterwards."""
    async with openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key=OPENAI_KEY) as client:
        model: Any = (
            OpenAIChatCompletionsModel(model=GPT, openai_client=client)
            if kind == "chat"
            else OpenAIResponsesModel(model=GPT, openai_client=client)
        )
        yield Agent(
            name="weather",
            instructions="Answer briefly.",
            model=model,
            tools=[get_weather],
            model_settings=ModelSettings(**settings),
        )


def _usage(result: Any) -> tuple[int, int]:
    """Return the input and output tokens the run reports."""
    usage = result.context_wrapper.usage
    return usage.input_tokens, usage.output_tokens


def _event(event: Any) -> tuple[str, ...]:
    """Describe a stream event by its kinds (its payloads carry the SDK's own clock)."""
    if event.type == "raw_response_event":
        return event.type, event.data.type
    if event.type == "run_item_stream_event":
        return event.type, event.name, event.item.type
    return event.type, event.new_agent.name


@pytest.mark.parametrize("kind", MODELS)
async def test_run(kind: str) -> None:
    """Runner.run calls the tool and answers the same with logmoji; both requests logged once."""

    async def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        async with _agent(kind, fake) as agent:
            result = await Runner.run(agent, QUESTION)
        return result.final_output, result.to_input_list(), _usage(result)

    runs = await acompare(scenario)
    assert [e.get("tool_names") for e in runs.endings] == [["get_weather"], None]
    assert runs.totals() == runs.result[2]


@pytest.mark.parametrize(
    ("kind", "include_usage"),
    [("chat", None), ("chat", True), ("responses", None)],  # Responses streams always carry usage
)
async def test_run_streamed(kind: str, include_usage: bool | None) -> None:
    """Runner.run_streamed yields the same events with logmoji; each request logged once."""

    async def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        async with _agent(kind, fake, include_usage=include_usage) as agent:
            result = Runner.run_streamed(agent, QUESTION)
            events = [_event(event) async for event in result.stream_events()]
        return events, result.final_output, result.to_input_list(), _usage(result)

    runs = await acompare(scenario)
    assert [e["event"] for e in runs.endings] == ["stream_completed", "stream_completed"]
    assert [e.get("tool_names") for e in runs.endings] == [["get_weather"], None]
    if kind == "chat" and include_usage is None:
        # The SDK does not ask a chat stream for usage, so it counts none; logmoji has the server's.
        assert runs.result[3] == (0, 0)
    else:
        assert runs.totals() == runs.result[3]
