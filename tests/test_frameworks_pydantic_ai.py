"""pydantic-ai agents on OpenAI and Anthropic models: unchanged by logmoji, each request logged."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import anthropic
import openai
import pytest
from pydantic_ai import Agent
from pydantic_ai.messages import ModelMessagesTypeAdapter
from pydantic_ai.models import Model
from pydantic_ai.models.anthropic import AnthropicModel
from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
from pydantic_ai.providers.anthropic import AnthropicProvider
from pydantic_ai.providers.openai import OpenAIProvider

from _frameworks import ANTHROPIC_KEY, CLAUDE, GPT, OPENAI_KEY, Wiring, acompare, without
from logmoji.testing._fake_provider import FakeLLMProvider

PROMPT = "Say something nice about the sea"
# Clocks, run ids and the fake provider's port differ between two runs of the same agent.
VOLATILE = frozenset(
    {"timestamp", "request_timestamp", "duration", "run_id", "conversation_id", "provider_url"}
)


@asynccontextmanager
async def _model(kind: str, fake: FakeLLMProvider) -> AsyncIterator[Model]:
    """Yield a model of ``kind`` on an SDK client of ours, closed afterwards."""
    if kind.startswith("openai"):
        client: Any = openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key=OPENAI_KEY)
        kinds = {"openai": OpenAIChatModel, "openai-responses": OpenAIResponsesModel}
        model: Model = kinds[kind](GPT, provider=OpenAIProvider(openai_client=client))
    else:
        client = anthropic.AsyncAnthropic(base_url=fake.anthropic_base_url, api_key=ANTHROPIC_KEY)
        model = AnthropicModel(CLAUDE, provider=AnthropicProvider(anthropic_client=client))
    async with client:
        yield model


def _seen(result: Any, output: str) -> dict[str, Any]:
    """Return what an application sees of a run: output, usage and the messages exchanged."""
    messages = ModelMessagesTypeAdapter.dump_python(result.all_messages(), mode="json")
    return {
        "output": output,
        "usage": result.usage,
        "messages": without(messages, VOLATILE),
    }


def _weather_agent(model: Model, calls: list[str]) -> Agent[None, str]:
    agent = Agent(model, instructions="Answer briefly.")

    @agent.tool_plain
    def get_weather(city: str) -> str:
        """Return the weather in a city."""
        calls.append(city)
        return f"sunny in {city}"

    return agent


@pytest.mark.parametrize("kind", ["openai", "openai-responses", "anthropic"])
async def test_run(kind: str) -> None:
    """agent.run answers the same with logmoji, whose one ending carries the server's usage."""

    async def scenario(fake: FakeLLMProvider, wiring: Wiring) -> dict[str, Any]:
        async with _model(kind, fake) as model:
            result = await Agent(model).run(PROMPT)
        return _seen(result, result.output)

    runs = await acompare(scenario)
    assert len(runs.endings) == 1
    usage = runs.result["usage"]
    assert runs.totals() == (usage.input_tokens, usage.output_tokens)
    assert len(runs.result["output"].split()) == usage.output_tokens


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_run_stream(kind: str) -> None:
    """agent.run_stream streams the same text with logmoji, logged once as a stream."""

    async def scenario(fake: FakeLLMProvider, wiring: Wiring) -> dict[str, Any]:
        async with _model(kind, fake) as model, Agent(model).run_stream(PROMPT) as result:
            deltas = [delta async for delta in result.stream_text(delta=True)]
            seen = _seen(result, await result.get_output())
        return {"deltas": deltas, **seen}

    runs = await acompare(scenario)
    assert [e["event"] for e in runs.endings] == ["stream_completed"]
    assert "".join(runs.result["deltas"]) == runs.result["output"]
    usage = runs.result["usage"]
    assert runs.totals() == (usage.input_tokens, usage.output_tokens)


@pytest.mark.parametrize("kind", ["openai", "openai-responses", "anthropic"])
async def test_tool_calling_agent(kind: str) -> None:
    """An agent that calls a tool then answers is logged once per model request, tools named."""

    async def scenario(fake: FakeLLMProvider, wiring: Wiring) -> dict[str, Any]:
        calls: list[str] = []
        async with _model(kind, fake) as model:
            result = await _weather_agent(model, calls).run("What is the weather in Paris?")
        return {"calls": calls, **_seen(result, result.output)}

    runs = await acompare(scenario)
    assert len(runs.result["calls"]) == 1
    assert [e.get("tool_names") for e in runs.endings] == [["get_weather"], None]
    usage = runs.result["usage"]
    assert usage.requests == len(runs.requests) == 2
    assert runs.totals() == (usage.input_tokens, usage.output_tokens)


@pytest.mark.parametrize("kind", ["openai", "anthropic"])
async def test_tool_calling_agent_streamed(kind: str) -> None:
    """run_stream through a tool call logs the tool-call request and the answer, once each."""

    async def scenario(fake: FakeLLMProvider, wiring: Wiring) -> dict[str, Any]:
        calls: list[str] = []
        async with (
            _model(kind, fake) as model,
            _weather_agent(model, calls).run_stream("What is the weather in Paris?") as result,
        ):
            seen = _seen(result, await result.get_output())
        return {"calls": calls, **seen}

    runs = await acompare(scenario)
    assert len(runs.result["calls"]) == 1
    assert [e["event"] for e in runs.endings] == ["stream_completed", "stream_completed"]
    usage = runs.result["usage"]
    assert runs.totals() == (usage.input_tokens, usage.output_tokens)
