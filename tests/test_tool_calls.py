"""Tool calls a response asks for are logged on its ending, in every wire format.

A real agent loop runs against the fake provider: the model asks for a tool,
the program answers with the tool's result, and the model replies with text.
"""

from __future__ import annotations

import json
import math
import ssl
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from _sdk_calls import llm_events
from logmoji.llm.instrumentation import instrument
from logmoji.testing import capture_logs
from logmoji.testing._fake_provider import FakeLLMProvider

TLS = ssl.create_default_context()
SECRET_CITY = "Atlantis-7f3a"
WEATHER_SCHEMA = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
}
CHAT_TOOLS = [
    {
        "type": "function",
        "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA},
    }
]
RESPONSES_TOOLS = [{"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA}]
CLAUDE_TOOLS = [{"name": "get_weather", "input_schema": WEATHER_SCHEMA}]
ASK = [{"role": "user", "content": f"Weather in {SECRET_CITY}?"}]


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture
def oai(fake: FakeLLMProvider) -> Iterator[openai.OpenAI]:
    """An OpenAI client for the fake provider, closed afterwards."""
    client = fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS), max_retries=0)
    yield client
    client.close()


@pytest.fixture
def claude(fake: FakeLLMProvider) -> Iterator[anthropic.Anthropic]:
    """An Anthropic client for the fake provider, closed afterwards."""
    client = fake.anthropic_client(
        http_client=anthropic.DefaultHttpxClient(verify=TLS), max_retries=0
    )
    yield client
    client.close()


def endings(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the calls' endings."""
    return [e for e in llm_events(logs) if e["event"].endswith(("_completed", "_failed"))]


class TestChat:
    """Chat completions: ``tool_calls`` on the message or in the deltas."""

    def test_agent_loop(self, oai: openai.OpenAI) -> None:
        """Tool call, tool result, answer: two endings, the first with the tool named."""
        instrument(oai)
        with capture_logs() as logs:
            first = oai.chat.completions.create(model="gpt-4o-mini", messages=ASK, tools=CHAT_TOOLS)
            call = first.choices[0].message.tool_calls[0]
            follow_up = [
                *ASK,
                first.choices[0].message.model_dump(exclude_none=True),
                {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
            ]
            second = oai.chat.completions.create(
                model="gpt-4o-mini", messages=follow_up, tools=CHAT_TOOLS
            )
        asked, answered = endings(logs)
        assert asked["finish_reason"] == first.choices[0].finish_reason == "tool_calls"
        assert (asked["tool_call_count"], asked["tool_names"]) == (1, ["get_weather"])
        assert asked["completion_tokens"] == first.usage.completion_tokens > 0
        assert "tool_calls" not in asked  # arguments only with capture_content
        assert answered["finish_reason"] == second.choices[0].finish_reason == "stop"
        assert "tool_names" not in answered
        assert SECRET_CITY not in repr(logs)

    def test_stream(self, oai: openai.OpenAI) -> None:
        """A streamed tool call is logged from its deltas, with its arguments when captured."""
        instrument(oai, capture_content=True)
        with (
            capture_logs() as logs,
            oai.chat.completions.stream(
                model="gpt-4o-mini", messages=ASK, tools=CHAT_TOOLS
            ) as stream,
        ):
            final = stream.get_final_completion()
        (last,) = endings(logs)
        call = final.choices[0].message.tool_calls[0]
        assert last["event"] == "stream_completed"
        assert last["tool_names"] == [call.function.name]
        assert last["tool_calls"] == [
            {"name": call.function.name, "arguments": call.function.arguments}
        ]
        assert json.loads(call.function.arguments) == json.loads(last["tool_calls"][0]["arguments"])
        # The fake provider's count: one token per call plus one per 4 argument characters.
        assert last["completion_tokens"] == 1 + math.ceil(len(call.function.arguments) / 4)

    def test_two_calls(self, oai: openai.OpenAI) -> None:
        """Parallel tool calls are all counted."""
        instrument(oai)
        with capture_logs() as logs:
            result = oai.chat.completions.create(
                model="gpt-4o-mini",
                messages=ASK,
                tools=CHAT_TOOLS,
                extra_headers={"x-fake-tool-calls": "2"},
            )
        (last,) = endings(logs)
        assert last["tool_call_count"] == len(result.choices[0].message.tool_calls) == 2

    def test_arguments_captured(self, oai: openai.OpenAI) -> None:
        """With ``capture_content`` a plain reply's tool arguments are logged."""
        instrument(oai, capture_content=True)
        with capture_logs() as logs:
            result = oai.chat.completions.create(
                model="gpt-4o-mini", messages=ASK, tools=CHAT_TOOLS
            )
        (last,) = endings(logs)
        call = result.choices[0].message.tool_calls[0]
        assert last["tool_calls"] == [
            {"name": call.function.name, "arguments": call.function.arguments}
        ]
        assert "city" in json.loads(call.function.arguments)

    def test_two_calls_streamed(self, oai: openai.OpenAI) -> None:
        """Parallel tool calls in a stream are kept apart by their index, in order."""
        instrument(oai, capture_content=True)
        with (
            capture_logs() as logs,
            oai.chat.completions.stream(
                model="gpt-4o-mini",
                messages=ASK,
                tools=CHAT_TOOLS,
                extra_headers={"x-fake-tool-calls": "2"},
            ) as stream,
        ):
            final = stream.get_final_completion()
        (last,) = endings(logs)
        calls = final.choices[0].message.tool_calls
        assert len(calls) == 2
        assert last["tool_calls"] == [
            {"name": call.function.name, "arguments": call.function.arguments} for call in calls
        ]


class TestResponses:
    """The Responses API: ``function_call`` output items."""

    @pytest.mark.parametrize("stream", [False, True])
    def test_function_call(self, oai: openai.OpenAI, stream: bool) -> None:
        """A function call item is logged as a tool call, plain and streamed."""
        instrument(oai, capture_content=True)
        with capture_logs() as logs:
            if stream:
                with oai.responses.stream(
                    model="gpt-4o-mini", input=ASK, tools=RESPONSES_TOOLS
                ) as events:
                    result = events.get_final_response()
            else:
                result = oai.responses.create(model="gpt-4o-mini", input=ASK, tools=RESPONSES_TOOLS)
        (last,) = endings(logs)
        items = [item for item in result.output if item.type == "function_call"]
        assert last["tool_names"] == [item.name for item in items] == ["get_weather"]
        assert last["tool_calls"][0]["arguments"] == items[0].arguments
        assert last["completion_tokens"] == result.usage.output_tokens


class TestMessages:
    """Anthropic messages: ``tool_use`` content blocks."""

    def test_agent_loop(self, claude: anthropic.Anthropic) -> None:
        """``stop_reason=tool_use``, then the answer to the tool result."""
        instrument(claude)
        with capture_logs() as logs:
            first = claude.messages.create(
                model="claude-haiku-4-5", max_tokens=200, messages=ASK, tools=CLAUDE_TOOLS
            )
            use = next(block for block in first.content if block.type == "tool_use")
            follow_up = [
                *ASK,
                {"role": "assistant", "content": [b.model_dump() for b in first.content]},
                {
                    "role": "user",
                    "content": [{"type": "tool_result", "tool_use_id": use.id, "content": "sunny"}],
                },
            ]
            second = claude.messages.create(
                model="claude-haiku-4-5", max_tokens=200, messages=follow_up, tools=CLAUDE_TOOLS
            )
        asked, answered = endings(logs)
        assert asked["finish_reason"] == first.stop_reason == "tool_use"
        assert asked["tool_names"] == ["get_weather"]
        assert asked["completion_tokens"] == first.usage.output_tokens
        assert answered["finish_reason"] == second.stop_reason == "end_turn"
        assert "tool_names" not in answered

    def test_arguments_captured(self, claude: anthropic.Anthropic) -> None:
        """With ``capture_content`` a plain reply's ``tool_use`` input is logged as JSON."""
        instrument(claude, capture_content=True)
        with capture_logs() as logs:
            reply = claude.messages.create(
                model="claude-haiku-4-5", max_tokens=200, messages=ASK, tools=CLAUDE_TOOLS
            )
        (last,) = endings(logs)
        use = next(block for block in reply.content if block.type == "tool_use")
        assert last["tool_names"] == [use.name]
        assert json.loads(last["tool_calls"][0]["arguments"]) == use.input

    def test_stream(self, claude: anthropic.Anthropic) -> None:
        """A streamed ``tool_use`` block is logged, its input JSON kept only when captured."""
        instrument(claude, capture_content=True)
        with (
            capture_logs() as logs,
            claude.messages.stream(
                model="claude-haiku-4-5", max_tokens=200, messages=ASK, tools=CLAUDE_TOOLS
            ) as stream,
        ):
            final = stream.get_final_message()
        (last,) = endings(logs)
        use = next(block for block in final.content if block.type == "tool_use")
        assert last["finish_reason"] == "tool_use"
        assert last["tool_names"] == [use.name]
        assert json.loads(last["tool_calls"][0]["arguments"]) == use.input
