"""Run agent loops with the real OpenAI and Anthropic SDKs against the fake provider's tools."""

from __future__ import annotations

import inspect
import json
import math
from collections.abc import AsyncIterator, Iterator
from typing import Any

import anthropic
import openai
import pytest
from pydantic import BaseModel

from logmoji.testing._fake_provider import FakeLLMProvider
from logmoji.testing._fake_text import WORDS

GPT = "gpt-4o"
CLAUDE = "claude-haiku-4-5"
ASK: Any = [{"role": "user", "content": "weather in Paris?"}]
WEATHER_SCHEMA: Any = {
    "type": "object",
    "properties": {"city": {"type": "string"}, "days": {"type": "integer"}},
    "required": ["city", "days"],
}
WEATHER_ARGS = {"city": "text", "days": 1}
TIME_SCHEMA: Any = {"type": "object", "properties": {"zone": {"enum": ["UTC", "CET"]}}}
CHAT_TOOLS: Any = [
    {"type": "function", "function": {"name": "get_weather", "parameters": WEATHER_SCHEMA}},
    {"type": "function", "function": {"name": "get_time", "parameters": TIME_SCHEMA}},
]
RESPONSES_TOOLS: Any = [
    {"type": "function", "name": "get_weather", "parameters": WEATHER_SCHEMA},
    {"type": "function", "name": "get_time", "parameters": TIME_SCHEMA},
]
CLAUDE_TOOLS: Any = [
    {"name": "get_weather", "input_schema": WEATHER_SCHEMA},
    {"name": "get_time", "input_schema": TIME_SCHEMA},
]


class GetWeather(BaseModel):
    """Look up the weather (a strict tool for the SDKs' parsing stream helpers)."""

    city: str
    days: int


def call_tokens(arguments: str) -> int:
    """Apply the documented rule: one token for the name, one per four characters."""
    return 1 + math.ceil(len(arguments) / 4)


def is_words(text: str) -> bool:
    """Return whether ``text`` is a fake reply made of vocabulary words."""
    return bool(text) and all(word in WORDS for word in text.split(" "))


async def resolve(value: Any) -> Any:
    """Await ``value`` when an async client returned a coroutine."""
    return await value if inspect.isawaitable(value) else value


async def drain(stream: Any) -> list[Any]:
    """Collect every item of a sync or async SDK stream."""
    if hasattr(stream, "__aiter__"):
        return [item async for item in stream]
    return list(stream)


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeLLMProvider]:
    """Run one fake provider for the whole module."""
    with FakeLLMProvider() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh(provider: FakeLLMProvider) -> None:
    """Start every test without recorded requests."""
    provider.reset()


@pytest.fixture(params=["sync", "async"])
async def oai(request: pytest.FixtureRequest, provider: FakeLLMProvider) -> AsyncIterator[Any]:
    """Yield a sync or an async OpenAI client without retries."""
    if request.param == "sync":
        with provider.openai_client(max_retries=0) as client:
            yield client
    else:
        async with provider.async_openai_client(max_retries=0) as aclient:
            yield aclient


@pytest.fixture(params=["sync", "async"])
async def claude(request: pytest.FixtureRequest, provider: FakeLLMProvider) -> AsyncIterator[Any]:
    """Yield a sync or an async Anthropic client without retries."""
    if request.param == "sync":
        with provider.anthropic_client(max_retries=0) as client:
            yield client
    else:
        async with provider.async_anthropic_client(max_retries=0) as aclient:
            yield aclient


async def chat_stream_final(client: Any, **options: Any) -> Any:
    """Run chat.completions.stream(), sync or async; return the final completion."""
    if isinstance(client, openai.AsyncOpenAI):
        async with client.chat.completions.stream(**options) as stream:
            return await stream.get_final_completion()
    with client.chat.completions.stream(**options) as stream:
        return stream.get_final_completion()


async def responses_stream_final(client: Any, **options: Any) -> tuple[Any, list[str]]:
    """Run responses.stream(), sync or async; return the final response and event types."""
    if isinstance(client, openai.AsyncOpenAI):
        async with client.responses.stream(**options) as stream:
            kinds = [event.type async for event in stream]
            return await stream.get_final_response(), kinds
    with client.responses.stream(**options) as stream:
        kinds = [event.type for event in stream]
        return stream.get_final_response(), kinds


async def messages_stream_final(client: Any, **options: Any) -> Any:
    """Run messages.stream(), sync or async; return the final message."""
    if isinstance(client, anthropic.AsyncAnthropic):
        async with client.messages.stream(**options) as stream:
            return await stream.get_final_message()
    with client.messages.stream(**options) as stream:
        return stream.get_final_message()


class TestChatCompletions:
    async def test_tool_call(self, oai: Any) -> None:
        """Offered tools are answered with a call to the first one, with schema-fitting args."""
        result = await resolve(
            oai.chat.completions.create(model=GPT, messages=ASK, tools=CHAT_TOOLS)
        )
        choice = result.choices[0]
        (call,) = choice.message.tool_calls
        assert choice.finish_reason == "tool_calls"
        assert choice.message.content is None
        assert call.id.startswith("call_")
        assert (call.type, call.function.name) == ("function", "get_weather")
        assert json.loads(call.function.arguments) == WEATHER_ARGS
        assert result.usage.completion_tokens == call_tokens(call.function.arguments)

    @pytest.mark.parametrize("streamed", [False, True])
    async def test_agent_loop(self, oai: Any, provider: FakeLLMProvider, streamed: bool) -> None:
        """A tool call, then the tool's result, then a text answer ends the loop."""
        messages: list[Any] = list(ASK)
        calls: list[Any] = []
        for _ in range(4):
            options = {"model": GPT, "messages": messages}
            if streamed:
                tools = [openai.pydantic_function_tool(GetWeather, name="get_weather")]
                result = await chat_stream_final(oai, **options, tools=tools)
            else:
                result = await resolve(oai.chat.completions.create(**options, tools=CHAT_TOOLS))
            message = result.choices[0].message
            if not message.tool_calls:
                break
            calls.extend(message.tool_calls)
            messages.append(message.model_dump(exclude_none=True))
            for call in message.tool_calls:
                messages.append({"role": "tool", "tool_call_id": call.id, "content": "sunny"})
        assert [c.function.name for c in calls] == ["get_weather"]
        assert json.loads(calls[0].function.arguments) == WEATHER_ARGS
        if streamed:
            assert calls[0].function.parsed_arguments == GetWeather(city="text", days=1)
        assert result.choices[0].finish_reason == "stop"
        assert is_words(message.content)
        assert len(provider.requests) == 2

    async def test_stream_chunks(self, oai: Any) -> None:
        """A streamed call sends id and name first, then argument fragments, then usage."""
        stream = await resolve(
            oai.chat.completions.create(
                model=GPT,
                messages=ASK,
                tools=CHAT_TOOLS,
                stream=True,
                stream_options={"include_usage": True},
                extra_headers={"x-fake-tool-calls": "2"},
            )
        )
        chunks = await drain(stream)
        deltas = [tc for c in chunks if c.choices for tc in c.choices[0].delta.tool_calls or ()]
        starts = [d for d in deltas if d.id is not None]
        assert [(d.index, d.function.name, d.function.arguments) for d in starts] == [
            (0, "get_weather", ""),
            (1, "get_time", ""),
        ]
        joined = ["".join(d.function.arguments for d in deltas if d.index == i) for i in (0, 1)]
        assert [json.loads(text) for text in joined] == [WEATHER_ARGS, {"zone": "UTC"}]
        assert chunks[-2].choices[0].finish_reason == "tool_calls"
        assert chunks[-1].usage.completion_tokens == sum(call_tokens(t) for t in joined)

    async def test_parallel_stream_helper(self, oai: Any) -> None:
        """x-fake-tool-calls asks for parallel calls, which the stream helper accumulates."""
        tools = [
            openai.pydantic_function_tool(GetWeather, name="get_weather"),
            openai.pydantic_function_tool(GetWeather, name="get_forecast"),
        ]
        final = await chat_stream_final(
            oai, model=GPT, messages=ASK, tools=tools, extra_headers={"x-fake-tool-calls": "3"}
        )
        calls = final.choices[0].message.tool_calls
        assert [c.function.name for c in calls] == ["get_weather", "get_forecast", "get_weather"]
        assert len({c.id for c in calls}) == 3
        assert all(c.function.parsed_arguments == GetWeather(city="text", days=1) for c in calls)

    @pytest.mark.parametrize(
        ("options", "names"),
        [
            ({"tool_choice": "none"}, []),
            ({"tool_choice": {"type": "function", "function": {"name": "get_time"}}}, ["get_time"]),
            ({"parallel_tool_calls": False}, ["get_weather"]),
            ({"extra_headers": {"x-fake-tool-calls": "0"}}, []),
            ({"extra_headers": {"x-fake-tool-calls": "2"}}, ["get_weather", "get_time"]),
        ],
    )
    async def test_tool_choice(self, oai: Any, options: dict[str, Any], names: list[str]) -> None:
        """tool_choice, parallel_tool_calls and x-fake-tool-calls decide which tools are called."""
        if "parallel_tool_calls" in options:
            options = {**options, "extra_headers": {"x-fake-tool-calls": "2"}}
        result = await resolve(
            oai.chat.completions.create(model=GPT, messages=ASK, tools=CHAT_TOOLS, **options)
        )
        message = result.choices[0].message
        assert [c.function.name for c in message.tool_calls or ()] == names
        if names:
            assert (message.content, result.choices[0].finish_reason) == (None, "tool_calls")
        else:
            assert is_words(message.content)

    async def test_required_after_result(self, oai: Any) -> None:
        """A forced tool_choice after a tool result calls a tool not called yet."""
        first = await resolve(
            oai.chat.completions.create(model=GPT, messages=ASK, tools=CHAT_TOOLS)
        )
        call = first.choices[0].message.tool_calls[0]
        messages = [
            *ASK,
            first.choices[0].message.model_dump(exclude_none=True),
            {"role": "tool", "tool_call_id": call.id, "content": "sunny"},
        ]
        result = await resolve(
            oai.chat.completions.create(
                model=GPT, messages=messages, tools=CHAT_TOOLS, tool_choice="required"
            )
        )
        assert [c.function.name for c in result.choices[0].message.tool_calls] == ["get_time"]

    async def test_unknown_named_tool(self, oai: Any) -> None:
        """A tool_choice naming a tool that is not offered is a 400."""
        choice = {"type": "function", "function": {"name": "nope"}}
        with pytest.raises(openai.BadRequestError, match="'nope', which is not in tools"):
            await resolve(
                oai.chat.completions.create(
                    model=GPT, messages=ASK, tools=CHAT_TOOLS, tool_choice=choice
                )
            )


class TestResponses:
    async def test_function_call(self, oai: Any) -> None:
        """Offered function tools are answered with a function_call output item."""
        result = await resolve(oai.responses.create(model=GPT, input=ASK, tools=RESPONSES_TOOLS))
        (item,) = result.output
        assert item.type == "function_call"
        assert item.id.startswith("fc_")
        assert item.call_id.startswith("call_")
        assert (item.name, item.status) == ("get_weather", "completed")
        assert json.loads(item.arguments) == WEATHER_ARGS
        assert result.usage.output_tokens == call_tokens(item.arguments)
        assert [t.name for t in result.tools] == ["get_weather", "get_time"]

    @pytest.mark.parametrize("streamed", [False, True])
    async def test_agent_loop(self, oai: Any, provider: FakeLLMProvider, streamed: bool) -> None:
        """function_call, then function_call_output, then a text answer ends the loop."""
        items: list[Any] = list(ASK)
        calls: list[Any] = []
        kinds: list[str] = []
        for _ in range(4):
            options = {"model": GPT, "input": items, "tools": RESPONSES_TOOLS}
            if streamed:
                result, seen = await responses_stream_final(oai, **options)
                kinds += seen
            else:
                result = await resolve(oai.responses.create(**options))
            asked = [item for item in result.output if item.type == "function_call"]
            if not asked:
                break
            calls += asked
            items += [item.model_dump(exclude_none=True) for item in asked]
            items += [
                {"type": "function_call_output", "call_id": c.call_id, "output": "sunny"}
                for c in asked
            ]
        assert [(c.name, json.loads(c.arguments)) for c in calls] == [("get_weather", WEATHER_ARGS)]
        assert is_words(result.output_text)
        assert len(provider.requests) == 2
        if streamed:
            assert kinds.count("response.function_call_arguments.done") == 1
            assert kinds.count("response.function_call_arguments.delta") == math.ceil(
                len(calls[0].arguments) / 4
            )

    async def test_parallel_stream(self, oai: Any) -> None:
        """Parallel streamed calls arrive as separate output items, each whole in the final."""
        result, kinds = await responses_stream_final(
            oai,
            model=GPT,
            input=ASK,
            tools=RESPONSES_TOOLS,
            extra_headers={"x-fake-tool-calls": "2"},
        )
        assert [(i.name, json.loads(i.arguments)) for i in result.output] == [
            ("get_weather", WEATHER_ARGS),
            ("get_time", {"zone": "UTC"}),
        ]
        assert kinds.count("response.output_item.added") == 2
        assert kinds.count("response.output_item.done") == 2
        assert kinds[-1] == "response.completed"
        assert result.usage.output_tokens == sum(call_tokens(i.arguments) for i in result.output)

    async def test_raw_stream_order(self, oai: Any) -> None:
        """Raw events of parallel calls come item by item, with sequence numbers in order."""
        stream = await resolve(
            oai.responses.create(
                model=GPT,
                input=ASK,
                tools=RESPONSES_TOOLS,
                stream=True,
                extra_headers={"x-fake-tool-calls": "2"},
            )
        )
        events = await drain(stream)
        assert [e.sequence_number for e in events] == list(range(len(events)))
        indexes = [e.output_index for e in events if hasattr(e, "output_index")]
        assert indexes == sorted(indexes) == [0] * indexes.count(0) + [1] * indexes.count(1)
        (done,) = [e for e in events if e.type == "response.function_call_arguments.done"][1:]
        assert json.loads(done.arguments) == {"zone": "UTC"}

    async def test_named_tool(self, oai: Any) -> None:
        """A tool_choice naming a function calls that function."""
        result = await resolve(
            oai.responses.create(
                model=GPT,
                input=ASK,
                tools=RESPONSES_TOOLS,
                tool_choice={"type": "function", "name": "get_time"},
            )
        )
        assert [item.name for item in result.output] == ["get_time"]


class TestAnthropicMessages:
    async def test_tool_use(self, claude: Any) -> None:
        """Offered tools are answered with a tool_use block and stop_reason tool_use."""
        result = await resolve(
            claude.messages.create(model=CLAUDE, max_tokens=100, messages=ASK, tools=CLAUDE_TOOLS)
        )
        (block,) = result.content
        assert result.stop_reason == "tool_use"
        assert block.type == "tool_use"
        assert block.id.startswith("toolu_01")
        assert (block.name, block.input) == ("get_weather", WEATHER_ARGS)
        arguments = json.dumps(WEATHER_ARGS, separators=(",", ":"))
        assert result.usage.output_tokens == call_tokens(arguments)

    @pytest.mark.parametrize("streamed", [False, True])
    async def test_agent_loop(self, claude: Any, provider: FakeLLMProvider, streamed: bool) -> None:
        """tool_use, then a tool_result block, then a text answer ends the loop."""
        messages: list[Any] = list(ASK)
        uses: list[Any] = []
        for _ in range(4):
            options = {"model": CLAUDE, "max_tokens": 100, "messages": messages}
            if streamed:
                result = await messages_stream_final(claude, **options, tools=CLAUDE_TOOLS)
            else:
                result = await resolve(claude.messages.create(**options, tools=CLAUDE_TOOLS))
            asked = [block for block in result.content if block.type == "tool_use"]
            if not asked:
                break
            uses += asked
            messages.append({"role": "assistant", "content": result.content})
            results = [
                {"type": "tool_result", "tool_use_id": b.id, "content": "sunny"} for b in asked
            ]
            messages.append({"role": "user", "content": results})
        assert [(b.name, b.input) for b in uses] == [("get_weather", WEATHER_ARGS)]
        assert result.stop_reason == "end_turn"
        assert is_words(result.content[0].text)
        assert len(provider.requests) == 2

    async def test_stream_events(self, claude: Any) -> None:
        """A streamed call opens tool_use blocks and sends their input as input_json_delta."""
        stream = await resolve(
            claude.messages.create(
                model=CLAUDE,
                max_tokens=100,
                messages=ASK,
                tools=CLAUDE_TOOLS,
                stream=True,
                extra_headers={"x-fake-tool-calls": "2"},
            )
        )
        events = await drain(stream)
        starts = [e for e in events if e.type == "content_block_start"]
        assert [(e.index, e.content_block.type, e.content_block.name) for e in starts] == [
            (0, "tool_use", "get_weather"),
            (1, "tool_use", "get_time"),
        ]
        fragments = [e for e in events if e.type == "content_block_delta"]
        assert {e.delta.type for e in fragments} == {"input_json_delta"}
        joined = ["".join(e.delta.partial_json for e in fragments if e.index == i) for i in (0, 1)]
        assert [json.loads(text) for text in joined] == [WEATHER_ARGS, {"zone": "UTC"}]
        delta = events[-2]
        assert delta.delta.stop_reason == "tool_use"
        assert delta.usage.output_tokens == sum(call_tokens(text) for text in joined)
        assert events[0].message.usage.input_tokens > 0

    async def test_parallel_stream_helper(self, claude: Any) -> None:
        """get_final_message() holds every parallel tool_use block with its parsed input."""
        final = await messages_stream_final(
            claude,
            model=CLAUDE,
            max_tokens=100,
            messages=ASK,
            tools=CLAUDE_TOOLS,
            extra_headers={"x-fake-tool-calls": "2"},
        )
        assert [(b.name, b.input) for b in final.content] == [
            ("get_weather", WEATHER_ARGS),
            ("get_time", {"zone": "UTC"}),
        ]
        assert final.stop_reason == "tool_use"
        assert final.usage.output_tokens > 0

    @pytest.mark.parametrize(
        ("choice", "names"),
        [
            ({"type": "none"}, []),
            ({"type": "auto"}, ["get_weather", "get_time"]),
            ({"type": "tool", "name": "get_time"}, ["get_time", "get_time"]),
            ({"type": "any", "disable_parallel_tool_use": True}, ["get_weather"]),
        ],
    )
    async def test_tool_choice(self, claude: Any, choice: Any, names: list[str]) -> None:
        """Anthropic's tool_choice types and disable_parallel_tool_use decide the calls."""
        result = await resolve(
            claude.messages.create(
                model=CLAUDE,
                max_tokens=100,
                messages=ASK,
                tools=CLAUDE_TOOLS,
                tool_choice=choice,
                extra_headers={"x-fake-tool-calls": "2"},
            )
        )
        assert [b.name for b in result.content if b.type == "tool_use"] == names
        assert result.stop_reason == ("tool_use" if names else "end_turn")

    async def test_server_tools_ignored(self, claude: Any) -> None:
        """Server tools (no input_schema) are not called: the answer is text."""
        result = await resolve(
            claude.messages.create(
                model=CLAUDE,
                max_tokens=100,
                messages=ASK,
                tools=[{"type": "web_search_20250305", "name": "web_search"}],
            )
        )
        assert result.stop_reason == "end_turn"
        assert is_words(result.content[0].text)
