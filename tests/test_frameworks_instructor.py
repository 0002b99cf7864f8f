"""instructor's call pattern: a create method captured before instrument(client), still logged.

instructor 1.17 pins ``jiter<0.15`` and the newest openai needs ``jiter>=0.16``,
so instructor itself cannot be installed beside the current openai SDK. These
tests make its calls directly: ``from_openai(client)`` / ``from_anthropic(client)``
keep the client's bound ``create`` method, then the user calls
``instrument(client)``, and every structured call goes through the method kept
earlier, with a pydantic model turned into a forced tool (``Mode.TOOLS``), a
JSON-schema response format (``Mode.JSON_SCHEMA``) or a streamed tool call
(``create_partial``).
"""

from __future__ import annotations

import json
from typing import Any

import anthropic
import openai
import pytest
from pydantic import BaseModel

from _frameworks import ANTHROPIC_KEY, CLAUDE, GPT, OPENAI_KEY, Wiring, acompare, compare
from logmoji.testing._fake_provider import FakeLLMProvider

ASK = [{"role": "user", "content": "Name a big city and its population."}]


class City(BaseModel):
    """A city and its population."""

    name: str
    population: int


def _tool() -> dict[str, Any]:
    """Return the forced tool instructor's ``Mode.TOOLS`` makes of a response model."""
    schema = City.model_json_schema()
    return {
        "type": "function",
        "function": {"name": "City", "description": City.__doc__, "parameters": schema},
    }


def _chat_kwargs(mode: str) -> dict[str, Any]:
    """Return the request instructor sends for ``City`` in ``mode``."""
    if mode == "tools":
        return {
            "tools": [_tool()],
            "tool_choice": {"type": "function", "function": {"name": "City"}},
        }
    schema = {"name": "City", "schema": City.model_json_schema(), "strict": True}
    return {"response_format": {"type": "json_schema", "json_schema": schema}}


def _parse_chat(completion: Any, mode: str) -> City:
    """Validate the model's answer as instructor does."""
    message = completion.choices[0].message
    if mode == "tools":
        return City.model_validate_json(message.tool_calls[0].function.arguments)
    return City.model_validate_json(message.content)


@pytest.mark.parametrize("mode", ["tools", "json_schema"])
def test_openai_create_captured_before_instrument(mode: str) -> None:
    """A bound create kept before instrument(client) is logged once, the parsed model unchanged."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with openai.OpenAI(base_url=fake.openai_base_url, api_key=OPENAI_KEY) as client:
            create = client.chat.completions.create  # what instructor.from_openai keeps
            wiring.instrument(client)
            completion = create(model=GPT, messages=ASK, **_chat_kwargs(mode))
        return _parse_chat(completion, mode), completion.usage

    runs = compare(scenario, hooks="client")
    city, usage = runs.result
    assert isinstance(city, City)
    assert runs.totals() == (usage.prompt_tokens, usage.completion_tokens)
    expected = ["City"] if mode == "tools" else None
    assert [e.get("tool_names") for e in runs.endings] == [expected]


@pytest.mark.parametrize("mode", ["tools", "json_schema"])
async def test_async_openai_create_captured_before_instrument(mode: str) -> None:
    """The async client's create kept before instrument(client) is logged once too."""

    async def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        async with openai.AsyncOpenAI(base_url=fake.openai_base_url, api_key=OPENAI_KEY) as client:
            create = client.chat.completions.create
            wiring.instrument(client)
            completion = await create(model=GPT, messages=ASK, **_chat_kwargs(mode))
        return _parse_chat(completion, mode), completion.usage

    runs = await acompare(scenario, hooks="client")
    city, usage = runs.result
    assert isinstance(city, City)
    assert runs.totals() == (usage.prompt_tokens, usage.completion_tokens)


def test_openai_partial_stream_captured_before_instrument() -> None:
    """create_partial's streamed tool call, through a create kept earlier, is logged once."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with openai.OpenAI(base_url=fake.openai_base_url, api_key=OPENAI_KEY) as client:
            create = client.chat.completions.create
            wiring.instrument(client)
            stream = create(model=GPT, messages=ASK, stream=True, **_chat_kwargs("tools"))
            fragments = [
                chunk.choices[0].delta.tool_calls[0].function.arguments
                for chunk in stream
                if chunk.choices and chunk.choices[0].delta.tool_calls
            ]
        return fragments, City.model_validate_json("".join(fragments))

    runs = compare(scenario, hooks="client")
    assert isinstance(runs.result[1], City)
    assert [(e["event"], e.get("tool_names")) for e in runs.endings] == [
        ("stream_completed", ["City"])
    ]


def test_anthropic_create_captured_before_instrument() -> None:
    """instructor.from_anthropic's kept messages.create is logged once, the tool input unchanged."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with anthropic.Anthropic(base_url=fake.anthropic_base_url, api_key=ANTHROPIC_KEY) as client:
            create = client.messages.create  # what instructor.from_anthropic keeps
            wiring.instrument(client)
            message = create(
                model=CLAUDE,
                max_tokens=256,
                messages=ASK,
                tools=[{"name": "City", "input_schema": City.model_json_schema()}],
                tool_choice={"type": "tool", "name": "City"},
            )
        block = next(b for b in message.content if b.type == "tool_use")
        return City.model_validate_json(json.dumps(block.input)), message.usage

    runs = compare(scenario, hooks="client")
    city, usage = runs.result
    assert isinstance(city, City)
    assert runs.totals() == (usage.input_tokens, usage.output_tokens)
    assert [e.get("tool_names") for e in runs.endings] == [["City"]]
