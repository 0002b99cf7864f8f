"""Exercise the fake provider with the real OpenAI and Anthropic SDKs over real HTTP."""

from __future__ import annotations

import asyncio
import base64
import http.client
import inspect
import json
import math
import os
import signal
import ssl
import struct
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any, Literal

import anthropic
import httpx2
import openai
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from logmoji.testing._fake_provider import FakeLLMProvider, Fault, RecordedRequest
from logmoji.testing._fake_schema import sample
from logmoji.testing._fake_text import WORDS

GPT = "gpt-4o"
CLAUDE = "claude-haiku-4-5"
HELLO: Any = [{"role": "user", "content": "hello there"}]  # 11 chars: ceil(11/4) + 3 = 6 tokens
HELLO_TOKENS = 6


TLS = ssl.create_default_context()  # shared: building one per client costs ~25 ms


def openai_sync(fake: FakeLLMProvider, **kw: Any) -> openai.OpenAI:
    """Return the provider's sync OpenAI client, sharing the TLS context."""
    return fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS), **kw)


def openai_async(fake: FakeLLMProvider, **kw: Any) -> openai.AsyncOpenAI:
    """Return the provider's async OpenAI client, sharing the TLS context."""
    return fake.async_openai_client(http_client=openai.DefaultAsyncHttpxClient(verify=TLS), **kw)


def anthropic_sync(fake: FakeLLMProvider, **kw: Any) -> anthropic.Anthropic:
    """Return the provider's sync Anthropic client, sharing the TLS context."""
    return fake.anthropic_client(http_client=anthropic.DefaultHttpxClient(verify=TLS), **kw)


def anthropic_async(fake: FakeLLMProvider, **kw: Any) -> anthropic.AsyncAnthropic:
    """Return the provider's async Anthropic client, sharing the TLS context."""
    http_client = anthropic.DefaultAsyncHttpxClient(verify=TLS)
    return fake.async_anthropic_client(http_client=http_client, **kw)


def prompt_tokens(*texts: str) -> int:
    """Apply the documented rule: ceil(chars / 4) + 3 per message."""
    return math.ceil(sum(map(len, texts)) / 4) + 3 * len(texts)


async def resolve(value: Any) -> Any:
    """Await ``value`` when an async client returned a coroutine."""
    return await value if inspect.isawaitable(value) else value


async def drain(stream: Any) -> list[Any]:
    """Collect every item of a sync or async SDK stream."""
    if hasattr(stream, "__aiter__"):
        return [item async for item in stream]
    return list(stream)


async def collect(stream: Any, into: list[Any]) -> None:
    """Append a sync or async stream's items to ``into`` until it ends or raises."""
    if hasattr(stream, "__aiter__"):
        async for item in stream:
            into.append(item)
    else:
        into.extend(stream)


async def until_done(claude: Any, **options: Any) -> None:
    """Run anthropic's messages.stream() helper, sync or async, to its end."""
    if isinstance(claude, anthropic.AsyncAnthropic):
        async with claude.messages.stream(**options) as stream:
            await stream.until_done()
    else:
        with claude.messages.stream(**options) as stream:
            stream.until_done()


def words_of(text: str) -> list[str]:
    """Split a fake reply into its words, checking each comes from the vocabulary."""
    words = text.split(" ")
    assert all(word in WORDS for word in words), text
    return words


@pytest.fixture(scope="module")
def provider() -> Iterator[FakeLLMProvider]:
    """Run one fake provider for the whole module."""
    with FakeLLMProvider() as fake:
        yield fake


@pytest.fixture(autouse=True)
def _fresh(provider: FakeLLMProvider) -> None:
    """Start every test without queued faults, recorded requests or rate-limit usage."""
    provider.reset()


@pytest.fixture(params=["sync", "async"])
async def oai(request: pytest.FixtureRequest, provider: FakeLLMProvider) -> AsyncIterator[Any]:
    """Yield a sync or an async OpenAI client without retries."""
    if request.param == "sync":
        with openai_sync(provider, max_retries=0) as client:
            yield client
    else:
        async with openai_async(provider, max_retries=0) as aclient:
            yield aclient


@pytest.fixture(params=["sync", "async"])
async def claude(request: pytest.FixtureRequest, provider: FakeLLMProvider) -> AsyncIterator[Any]:
    """Yield a sync or an async Anthropic client without retries."""
    if request.param == "sync":
        with anthropic_sync(provider, max_retries=0) as client:
            yield client
    else:
        async with anthropic_async(provider, max_retries=0) as aclient:
            yield aclient


class TestChatCompletions:
    async def test_plain(self, oai: Any) -> None:
        """A chat completion parses, echoes a dated model and follows the token rule."""
        first = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        again = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        assert first.model == "gpt-4o-2025-01-01"
        assert first.choices[0].finish_reason == "stop"
        assert len(words_of(first.choices[0].message.content)) == 24
        assert again.choices[0].message.content == first.choices[0].message.content
        usage = first.usage
        assert (usage.prompt_tokens, usage.completion_tokens) == (HELLO_TOKENS, 24)
        assert usage.total_tokens == HELLO_TOKENS + 24
        assert usage.prompt_tokens_details.cached_tokens == 0
        assert usage.completion_tokens_details.reasoning_tokens == 0

    async def test_prompt_changes_reply(self, oai: Any) -> None:
        """A different prompt or model gives a different reply."""
        base = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        other_prompt = [{"role": "user", "content": "goodbye"}]
        other = await resolve(oai.chat.completions.create(model=GPT, messages=other_prompt))
        mini = await resolve(oai.chat.completions.create(model="gpt-4o-mini", messages=HELLO))
        texts = {r.choices[0].message.content for r in (base, other, mini)}
        assert len(texts) == 3

    async def test_stream_without_usage(self, oai: Any) -> None:
        """A stream sends a role chunk, one chunk per word and a finish chunk, without usage."""
        chunks = await drain(
            await resolve(oai.chat.completions.create(model=GPT, messages=HELLO, stream=True))
        )
        plain = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        assert chunks[0].choices[0].delta.role == "assistant"
        text = "".join(c.choices[0].delta.content or "" for c in chunks)
        assert text == plain.choices[0].message.content
        assert len(chunks) == 1 + 24 + 1
        assert chunks[-1].choices[0].finish_reason == "stop"
        assert all(c.usage is None for c in chunks)
        assert {c.id for c in chunks} == {chunks[0].id}

    async def test_stream_with_usage(self, oai: Any) -> None:
        """With include_usage the stream ends with a chunk that has no choices and the usage."""
        stream = await resolve(
            oai.chat.completions.create(
                model=GPT, messages=HELLO, stream=True, stream_options={"include_usage": True}
            )
        )
        chunks = await drain(stream)
        last = chunks[-1]
        assert last.choices == []
        assert (last.usage.prompt_tokens, last.usage.completion_tokens) == (HELLO_TOKENS, 24)
        assert all(c.usage is None for c in chunks[:-1])

    @pytest.mark.parametrize(
        ("model", "reasoning"),
        [("gpt-4o", 0), ("o1", 12), ("o3-mini", 12), ("o4-mini", 12), ("gpt-5", 12)],
    )
    async def test_reasoning_models(self, oai: Any, model: str, reasoning: int) -> None:
        """Reasoning models add reply_tokens // 2 reasoning tokens to the completion tokens."""
        result = await resolve(oai.chat.completions.create(model=model, messages=HELLO))
        assert result.usage.completion_tokens_details.reasoning_tokens == reasoning
        assert result.usage.completion_tokens == 24 + reasoning
        assert len(words_of(result.choices[0].message.content)) == 24

    @pytest.mark.parametrize("limit", ["max_tokens", "max_completion_tokens"])
    async def test_max_tokens_truncates(self, oai: Any, limit: str) -> None:
        """A smaller token limit truncates the reply to a prefix and finishes with length."""
        full = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        short = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO, **{limit: 5}))
        assert short.choices[0].finish_reason == "length"
        assert short.usage.completion_tokens == 5
        assert full.choices[0].message.content.startswith(short.choices[0].message.content)
        assert len(words_of(short.choices[0].message.content)) == 5

    async def test_cached_tokens_header(self, oai: Any) -> None:
        """The x-fake-cached-tokens header reports cached prompt tokens, capped at the prompt."""
        result = await resolve(
            oai.chat.completions.create(
                model=GPT, messages=HELLO, extra_headers={"x-fake-cached-tokens": "4"}
            )
        )
        capped = await resolve(
            oai.chat.completions.create(
                model=GPT, messages=HELLO, extra_headers={"x-fake-cached-tokens": "999"}
            )
        )
        assert result.usage.prompt_tokens_details.cached_tokens == 4
        assert result.usage.prompt_tokens == HELLO_TOKENS
        assert capped.usage.prompt_tokens_details.cached_tokens == HELLO_TOKENS

    async def test_dated_model_kept(self, oai: Any) -> None:
        """A model that already ends in a date is echoed unchanged."""
        result = await resolve(
            oai.chat.completions.create(model="gpt-4o-2024-08-06", messages=HELLO)
        )
        assert result.model == "gpt-4o-2024-08-06"

    async def test_raw_headers(self, oai: Any) -> None:
        """Responses carry a request id and rate-limit headers that count down per request."""
        raws = [
            await resolve(oai.chat.completions.with_raw_response.create(model=GPT, messages=HELLO))
            for _ in range(2)
        ]
        first, second = (raw.headers for raw in raws)
        assert first["x-request-id"].startswith("req_")
        assert first["x-request-id"] != second["x-request-id"]
        assert first["x-ratelimit-limit-requests"] == "1000"
        assert first["x-ratelimit-remaining-requests"] == "999"
        assert second["x-ratelimit-remaining-requests"] == "998"
        assert first["x-ratelimit-limit-tokens"] == "1000000"
        assert int(first["x-ratelimit-remaining-tokens"]) == 1_000_000 - (HELLO_TOKENS + 24)
        assert int(second["x-ratelimit-remaining-tokens"]) == 1_000_000 - 2 * (HELLO_TOKENS + 24)
        assert first["x-ratelimit-reset-requests"].endswith("s")
        completion = await resolve(raws[0].parse())
        assert completion.choices[0].message.content


class TestPromptTokens:
    @settings(
        max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
    )
    @given(
        texts=st.lists(
            st.text(st.characters(blacklist_categories=("Cs",)), max_size=60),
            min_size=1,
            max_size=4,
        )
    )
    def test_rule(self, provider: FakeLLMProvider, texts: list[str]) -> None:
        """Prompt tokens are ceil(chars / 4) + 3 per message for any message texts."""
        messages = [{"role": "user", "content": text} for text in texts]
        with openai_sync(provider, max_retries=0) as client:
            result = client.chat.completions.create(model=GPT, messages=messages)
        assert result.usage is not None
        assert result.usage.prompt_tokens == prompt_tokens(*texts)

    def test_parts_and_system(self, provider: FakeLLMProvider) -> None:
        """Text parts are counted and a system prompt or instructions count as one message."""
        with openai_sync(provider) as oai, anthropic_sync(provider) as claude:
            parts = [{"type": "text", "text": "abc"}, {"type": "text", "text": "defgh"}]
            chat = oai.chat.completions.create(
                model=GPT,
                messages=[
                    {"role": "system", "content": "be brief"},
                    {"role": "user", "content": parts},
                ],
            )
            resp = oai.responses.create(model=GPT, input="hello there", instructions="be brief")
            message = claude.messages.create(
                model=CLAUDE,
                max_tokens=50,
                system="be brief",
                messages=HELLO,
            )
        assert chat.usage is not None
        assert resp.usage is not None
        assert chat.usage.prompt_tokens == prompt_tokens("be brief", "abcdefgh")
        assert resp.usage.input_tokens == prompt_tokens("be brief", "hello there")
        assert message.usage.input_tokens == prompt_tokens("be brief", "hello there")


class TestResponses:
    async def test_plain(self, oai: Any) -> None:
        """A Responses call parses, with output_text and usage details."""
        first = await resolve(oai.responses.create(model=GPT, input="hello there"))
        again = await resolve(oai.responses.create(model=GPT, input="hello there"))
        assert first.status == "completed"
        assert first.model == "gpt-4o-2025-01-01"
        assert first.output_text == again.output_text
        assert len(words_of(first.output_text)) == 24
        usage = first.usage
        assert (usage.input_tokens, usage.output_tokens) == (prompt_tokens("hello there"), 24)
        assert usage.input_tokens_details.cached_tokens == 0
        assert usage.output_tokens_details.reasoning_tokens == 0

    async def test_reasoning_and_cache(self, oai: Any) -> None:
        """A reasoning model reports reasoning tokens and the header reports cached tokens."""
        result = await resolve(
            oai.responses.create(
                model="o3", input="hello there", extra_headers={"x-fake-cached-tokens": "2"}
            )
        )
        assert result.usage.output_tokens_details.reasoning_tokens == 12
        assert result.usage.output_tokens == 36
        assert result.usage.input_tokens_details.cached_tokens == 2

    async def test_truncated(self, oai: Any) -> None:
        """max_output_tokens below the reply length gives an incomplete response."""
        result = await resolve(
            oai.responses.create(model=GPT, input="hello there", max_output_tokens=4)
        )
        assert result.status == "incomplete"
        assert result.incomplete_details.reason == "max_output_tokens"
        assert len(words_of(result.output_text)) == 4

    async def test_stream_events(self, oai: Any) -> None:
        """A Responses stream sends the real event sequence, ending with usage."""
        events = await drain(
            await resolve(oai.responses.create(model="gpt-5", input="hello there", stream=True))
        )
        kinds = [e.type for e in events]
        assert kinds == [
            "response.created",
            "response.in_progress",
            "response.output_item.added",
            "response.content_part.added",
            *["response.output_text.delta"] * 24,
            "response.output_text.done",
            "response.content_part.done",
            "response.output_item.done",
            "response.completed",
        ]
        assert [e.sequence_number for e in events] == list(range(len(events)))
        text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
        assert events[-4].text == text
        final = events[-1].response
        assert final.output_text == text
        assert final.usage.output_tokens_details.reasoning_tokens == 12
        assert final.usage.input_tokens_details.cached_tokens == 0

    async def test_stream_helper(self, oai: Any) -> None:
        """The SDK's responses.stream() helper accumulates the final response."""
        plain = await resolve(oai.responses.create(model=GPT, input="hello there"))
        if isinstance(oai, openai.AsyncOpenAI):
            async with oai.responses.stream(model=GPT, input="hello there") as stream:
                deltas = [e.delta async for e in stream if e.type == "response.output_text.delta"]
                final = await stream.get_final_response()
        else:
            with oai.responses.stream(model=GPT, input="hello there") as stream:
                deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
                final = stream.get_final_response()
        assert "".join(deltas) == final.output_text == plain.output_text


class Verdict(BaseModel):
    """A structured output with a nested model, a list, an optional and a literal."""

    class Reason(BaseModel):
        text: str
        weight: float

    reasons: list[Reason]
    answer: Literal["yes", "no"]
    count: int
    note: str | None = None


class TestStructuredOutputs:
    """A json_schema request gets JSON that fits the schema (the SDKs' parse() works)."""

    async def test_chat_parse(self, oai: Any) -> None:
        """chat.completions.parse returns the model; usage counts the JSON's chunks."""
        result = await resolve(
            oai.chat.completions.parse(model=GPT, messages=HELLO, response_format=Verdict)
        )
        parsed = result.choices[0].message.parsed
        assert parsed == Verdict(
            reasons=[Verdict.Reason(text="text", weight=1.0)], answer="yes", count=1, note="text"
        )
        content = result.choices[0].message.content
        assert result.usage.completion_tokens == math.ceil(len(content) / 4)
        assert result.choices[0].finish_reason == "stop"

    async def test_responses_parse(self, oai: Any) -> None:
        """responses.parse returns the model too."""
        result = await resolve(oai.responses.parse(model=GPT, input="hi", text_format=Verdict))
        assert result.output_parsed.answer == "yes"
        assert result.usage.output_tokens == math.ceil(len(result.output_text) / 4)

    async def test_messages_parse(self, claude: Any) -> None:
        """Anthropic's messages.parse (output_config format) returns the model too."""
        result = await resolve(
            claude.messages.parse(
                model=CLAUDE, max_tokens=100, messages=HELLO, output_format=Verdict
            )
        )
        assert result.parsed_output.reasons[0].weight == 1.0
        text = result.content[0].text
        assert result.usage.output_tokens == math.ceil(len(text) / 4)

    def test_stream_parse(self, provider: FakeLLMProvider) -> None:
        """The streaming helper with a response_format assembles the same JSON."""
        with (
            openai_sync(provider, max_retries=0) as client,
            client.chat.completions.stream(
                model=GPT, messages=HELLO, response_format=Verdict
            ) as stream,
        ):
            for _ in stream:
                pass
            final = stream.get_final_completion()
        assert final.choices[0].message.parsed.count == 1

    @pytest.mark.parametrize(
        ("schema", "value"),
        [
            ({"type": "string", "enum": ["b", "a"]}, "b"),
            ({"const": 3}, 3),
            ({"anyOf": [{"type": "null"}, {"type": "integer"}]}, 1),
            ({"type": ["null", "boolean"]}, True),
            ({"type": "array", "items": {"type": "number"}}, [1.0]),
            ({"type": "object"}, {}),
            (
                {"$defs": {"A": {"type": "string"}}, "properties": {"a": {"$ref": "#/$defs/A"}}},
                {"a": "text"},
            ),
            (
                {
                    "$ref": "#/$defs/Loop",
                    "$defs": {"Loop": {"properties": {"next": {"$ref": "#/$defs/Loop"}}}},
                },
                "deep",
            ),
            ("not a schema", None),
        ],
    )
    def test_sample(self, schema: Any, value: Any) -> None:
        """Each schema construct gets its smallest value; a recursive schema ends."""
        result = sample(schema)
        if value == "deep":
            depth = 0
            while isinstance(result, dict) and result.get("next") is not None:
                result, depth = result["next"], depth + 1
            assert 0 < depth < 40
        else:
            assert result == value


class TestEmbeddings:
    async def test_float(self, oai: Any) -> None:
        """Float embeddings are unit vectors, deterministic per input, with token usage."""
        result = await resolve(
            oai.embeddings.create(
                model="text-embedding-3-small", input=["hello", "hi"], encoding_format="float"
            )
        )
        again = await resolve(
            oai.embeddings.create(
                model="text-embedding-3-small", input=["hello"], encoding_format="float"
            )
        )
        first = result.data[0].embedding
        assert len(first) == 1536
        assert math.isclose(math.sqrt(sum(v * v for v in first)), 1.0, rel_tol=1e-5)
        assert again.data[0].embedding == first
        assert result.data[1].embedding != first
        assert [d.index for d in result.data] == [0, 1]
        assert result.usage.prompt_tokens == math.ceil(5 / 4) + math.ceil(2 / 4)
        assert result.model == "text-embedding-3-small"

    async def test_base64_explicit(self, oai: Any) -> None:
        """encoding_format=base64 returns little-endian float32 equal to the float form."""
        floats = await resolve(
            oai.embeddings.create(
                model="text-embedding-3-small", input="hello", dimensions=8, encoding_format="float"
            )
        )
        encoded = await resolve(
            oai.embeddings.create(
                model="text-embedding-3-small",
                input="hello",
                dimensions=8,
                encoding_format="base64",
            )
        )
        raw = encoded.data[0].embedding
        assert isinstance(raw, str)
        assert list(struct.unpack("<8f", base64.b64decode(raw))) == floats.data[0].embedding

    async def test_sdk_default_decodes_base64(self, oai: Any, provider: FakeLLMProvider) -> None:
        """The SDK asks for base64 by default and decodes it to the same floats."""
        floats = await resolve(
            oai.embeddings.create(
                model="text-embedding-3-large", input="hello", encoding_format="float"
            )
        )
        default = await resolve(
            oai.embeddings.create(model="text-embedding-3-large", input="hello")
        )
        assert provider.requests[-1].body["encoding_format"] == "base64"
        assert len(default.data[0].embedding) == 3072
        assert default.data[0].embedding == floats.data[0].embedding


class TestAnthropicMessages:
    async def test_plain(self, claude: Any) -> None:
        """A message parses, echoes the model and follows the token rule."""
        first = await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))
        again = await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))
        assert first.model == CLAUDE
        assert first.stop_reason == "end_turn"
        assert first.id.startswith("msg_")
        assert len(words_of(first.content[0].text)) == 24
        assert again.content[0].text == first.content[0].text
        usage = first.usage
        assert (usage.input_tokens, usage.output_tokens) == (HELLO_TOKENS, 24)
        assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (0, 0)

    async def test_max_tokens(self, claude: Any) -> None:
        """A max_tokens below the reply length stops with max_tokens."""
        result = await resolve(claude.messages.create(model=CLAUDE, max_tokens=3, messages=HELLO))
        assert result.stop_reason == "max_tokens"
        assert result.usage.output_tokens == 3
        assert len(words_of(result.content[0].text)) == 3

    async def test_cache_read(self, claude: Any) -> None:
        """Cached tokens are reported as cache reads and left out of input_tokens."""
        result = await resolve(
            claude.messages.create(
                model=CLAUDE,
                max_tokens=100,
                messages=HELLO,
                extra_headers={"x-fake-cached-tokens": "4"},
            )
        )
        assert result.usage.cache_read_input_tokens == 4
        assert result.usage.input_tokens == HELLO_TOKENS - 4

    async def test_cache_write(self, claude: Any) -> None:
        """Cache writes are reported as cache_creation_input_tokens, left out of input_tokens."""
        headers = {"x-fake-cached-tokens": "2", "x-fake-cache-write-tokens": "3"}
        options: dict[str, Any] = {
            "model": CLAUDE,
            "max_tokens": 100,
            "messages": HELLO,
            "extra_headers": headers,
        }
        result = await resolve(claude.messages.create(**options))
        stream = await resolve(claude.messages.create(**options, stream=True))
        start = (await drain(stream))[0].message.usage
        for usage in (result.usage, start):
            assert usage.input_tokens == HELLO_TOKENS - 2 - 3
            assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (2, 3)
            assert usage.cache_creation.ephemeral_5m_input_tokens == 3

    async def test_cache_write_capped(self, claude: Any) -> None:
        """Cache writes are capped at the prompt tokens that were not read from the cache."""
        headers = {"x-fake-cached-tokens": "4", "x-fake-cache-write-tokens": "100"}
        result = await resolve(
            claude.messages.create(
                model=CLAUDE, max_tokens=100, messages=HELLO, extra_headers=headers
            )
        )
        usage = result.usage
        assert (usage.input_tokens, usage.cache_read_input_tokens) == (0, 4)
        assert usage.cache_creation_input_tokens == HELLO_TOKENS - 4

    async def test_cache_write_not_on_openai(self, oai: Any) -> None:
        """OpenAI reports no cache writes: its prompt tokens stay whole."""
        result = await resolve(
            oai.chat.completions.create(
                model=GPT, messages=HELLO, extra_headers={"x-fake-cache-write-tokens": "3"}
            )
        )
        assert result.usage.prompt_tokens == HELLO_TOKENS
        assert result.usage.prompt_tokens_details.cached_tokens == 0

    @pytest.mark.parametrize(
        ("mode", "repeated"),
        [(None, False), ("output", False), ("cumulative", True)],
    )
    async def test_delta_usage(self, claude: Any, mode: str | None, repeated: bool) -> None:
        """message_delta carries only output_tokens by default, every count with 'cumulative'."""
        headers = {"x-fake-cached-tokens": "1", "x-fake-cache-write-tokens": "2"}
        if mode is not None:
            headers["x-fake-delta-usage"] = mode
        stream = await resolve(
            claude.messages.create(
                model=CLAUDE, max_tokens=100, messages=HELLO, stream=True, extra_headers=headers
            )
        )
        events = await drain(stream)
        start, delta = events[0].message.usage, events[-2].usage
        assert (start.input_tokens, start.output_tokens) == (HELLO_TOKENS - 3, 1)
        assert (start.cache_read_input_tokens, start.cache_creation_input_tokens) == (1, 2)
        assert delta.output_tokens == 24
        counts = (delta.input_tokens, delta.cache_read_input_tokens)
        assert counts == ((HELLO_TOKENS - 3, 1) if repeated else (None, None))
        assert delta.cache_creation_input_tokens == (2 if repeated else None)
        assert ("input_tokens" in delta.model_fields_set) is repeated

    async def test_delta_usage_merged_by_helper(self, claude: Any) -> None:
        """messages.stream() merges message_start's input and cache counts into the final usage."""
        headers = {"x-fake-cached-tokens": "1", "x-fake-cache-write-tokens": "2"}
        options: dict[str, Any] = {
            "model": CLAUDE,
            "max_tokens": 100,
            "messages": HELLO,
            "extra_headers": headers,
        }
        if isinstance(claude, anthropic.AsyncAnthropic):
            async with claude.messages.stream(**options) as stream:
                final = await stream.get_final_message()
        else:
            with claude.messages.stream(**options) as stream:
                final = stream.get_final_message()
        usage = final.usage
        assert (usage.input_tokens, usage.output_tokens) == (HELLO_TOKENS - 3, 24)
        assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (1, 2)

    async def test_bad_delta_usage(self, claude: Any) -> None:
        """An unknown x-fake-delta-usage is answered with a 400."""
        with pytest.raises(anthropic.BadRequestError, match="'output' or 'cumulative'"):
            await resolve(
                claude.messages.create(
                    model=CLAUDE,
                    max_tokens=100,
                    messages=HELLO,
                    stream=True,
                    extra_headers={"x-fake-delta-usage": "both"},
                )
            )

    async def test_create_stream(self, claude: Any) -> None:
        """create(stream=True) yields the real event sequence with usage in start and delta."""
        stream = await resolve(
            claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO, stream=True)
        )
        events = await drain(stream)
        plain = await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))
        kinds = [e.type for e in events]
        assert kinds == [
            "message_start",
            "content_block_start",
            *["content_block_delta"] * 24,
            "content_block_stop",
            "message_delta",
            "message_stop",
        ]  # the SDK drops the ping event
        start = events[0].message.usage
        assert (start.input_tokens, start.cache_read_input_tokens) == (HELLO_TOKENS, 0)
        assert start.cache_creation_input_tokens == 0
        assert "".join(e.delta.text for e in events[2:26]) == plain.content[0].text
        assert events[-2].delta.stop_reason == "end_turn"
        assert events[-2].usage.output_tokens == 24

    async def test_stream_helper(self, claude: Any) -> None:
        """messages.stream() yields text and a final message with merged usage."""
        plain = await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))
        options: dict[str, Any] = {
            "model": CLAUDE,
            "max_tokens": 100,
            "messages": HELLO,
            "extra_headers": {"x-fake-cached-tokens": "2"},
        }
        if isinstance(claude, anthropic.AsyncAnthropic):
            async with claude.messages.stream(**options) as stream:
                text = "".join([t async for t in stream.text_stream])
                final = await stream.get_final_message()
        else:
            with claude.messages.stream(**options) as stream:
                text = "".join(stream.text_stream)
                final = stream.get_final_message()
        assert text == final.content[0].text == plain.content[0].text
        assert (final.usage.input_tokens, final.usage.output_tokens) == (HELLO_TOKENS - 2, 24)
        assert final.usage.cache_read_input_tokens == 2
        assert final.stop_reason == "end_turn"

    async def test_raw_headers(self, claude: Any) -> None:
        """Anthropic responses carry request-id and anthropic-ratelimit-* headers."""
        raws = [
            await resolve(
                claude.messages.with_raw_response.create(
                    model=CLAUDE, max_tokens=100, messages=HELLO
                )
            )
            for _ in range(2)
        ]
        first, second = (raw.headers for raw in raws)
        assert first["request-id"].startswith("req_")
        assert first["anthropic-ratelimit-requests-limit"] == "1000"
        assert first["anthropic-ratelimit-requests-remaining"] == "999"
        assert second["anthropic-ratelimit-requests-remaining"] == "998"
        assert int(first["anthropic-ratelimit-tokens-remaining"]) == 1_000_000 - HELLO_TOKENS - 24
        assert int(first["anthropic-ratelimit-input-tokens-remaining"]) == 1_000_000 - HELLO_TOKENS
        assert int(first["anthropic-ratelimit-output-tokens-remaining"]) == 1_000_000 - 24
        assert first["anthropic-ratelimit-requests-reset"].endswith("Z")
        message = await resolve(raws[0].parse())
        assert message.content[0].text


class TestFaults:
    async def test_rate_limit_then_retry(self, provider: FakeLLMProvider) -> None:
        """A 429 is retried after retry-after-ms and the retry succeeds."""
        provider.inject(Fault.RATE_LIMIT)
        provider.inject("rate_limit", provider="anthropic")
        async with openai_async(provider, max_retries=1) as oai:
            result = await oai.chat.completions.create(model=GPT, messages=HELLO)
        with anthropic_sync(provider, max_retries=1) as claude:
            message = claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO)
        assert result.choices[0].message.content
        assert message.content[0].text
        assert [r.path for r in provider.requests] == ["/v1/chat/completions"] * 2 + [
            "/v1/messages"
        ] * 2
        assert provider.requests[1].headers["x-stainless-retry-count"] == "1"

    async def test_rate_limit_raises(
        self, oai: Any, claude: Any, provider: FakeLLMProvider
    ) -> None:
        """Without retries a 429 raises RateLimitError carrying retry-after and 0 remaining."""
        provider.inject("rate_limit", times=2, retry_after=2.5)
        with pytest.raises(openai.RateLimitError) as oerr:
            await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        with pytest.raises(anthropic.RateLimitError) as aerr:
            await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))
        oheaders, aheaders = oerr.value.response.headers, aerr.value.response.headers
        assert (oheaders["retry-after-ms"], oheaders["retry-after"]) == ("2500", "3")
        assert (aheaders["retry-after-ms"], aheaders["retry-after"]) == ("2500", "3")
        assert oheaders["x-ratelimit-remaining-requests"] == "0"
        assert aheaders["anthropic-ratelimit-requests-remaining"] == "0"
        assert oerr.value.code == "rate_limit_exceeded"
        assert oerr.value.request_id == oheaders["x-request-id"]
        assert aerr.value.type == "rate_limit_error"
        assert aerr.value.request_id == aheaders["request-id"]

    @pytest.mark.parametrize(
        ("fault", "openai_expected", "anthropic_expected"),
        [
            (
                "server_error",
                (openai.InternalServerError, 500, "server_error"),
                (anthropic.InternalServerError, 500, "api_error"),
            ),
            (
                "overloaded",
                (openai.InternalServerError, 503, "server_error"),
                (anthropic.OverloadedError, 529, "overloaded_error"),
            ),
            (
                "context_length",
                (openai.BadRequestError, 400, "invalid_request_error"),
                (anthropic.BadRequestError, 400, "invalid_request_error"),
            ),
        ],
    )
    async def test_status_faults(
        self,
        *,
        oai: Any,
        claude: Any,
        provider: FakeLLMProvider,
        fault: str,
        openai_expected: tuple[type[openai.APIStatusError], int, str],
        anthropic_expected: tuple[type[anthropic.APIStatusError], int, str],
    ) -> None:
        """Status faults raise each SDK's error class with the provider's error body."""
        provider.inject(fault, provider="openai")
        provider.inject(fault, provider="anthropic")
        with pytest.raises(openai.APIStatusError) as oerr:
            await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        with pytest.raises(anthropic.APIStatusError) as aerr:
            await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))
        assert (type(oerr.value), oerr.value.status_code, oerr.value.type) == openai_expected
        assert (type(aerr.value), aerr.value.status_code, aerr.value.type) == anthropic_expected
        if fault == "context_length":
            assert oerr.value.code == "context_length_exceeded"
            assert oerr.value.param == "messages"
            assert "maximum context length is 128000 tokens" in oerr.value.message
            assert "prompt is too long: 210000 tokens > 200000 maximum" in aerr.value.message

    async def test_timeout(self, provider: FakeLLMProvider) -> None:
        """A hanging request raises APITimeoutError once the client timeout passes."""
        provider.inject("timeout", times=2)
        started = time.monotonic()
        async with openai_async(provider, max_retries=0, timeout=0.3) as oai:
            with pytest.raises(openai.APITimeoutError):
                await oai.chat.completions.create(model=GPT, messages=HELLO)
        with (
            anthropic_sync(provider, max_retries=0, timeout=0.3) as claude,
            pytest.raises(anthropic.APITimeoutError),
        ):
            claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO)
        assert time.monotonic() - started < 1.5

    async def test_stream_error_openai(self, oai: Any, provider: FakeLLMProvider) -> None:
        """An in-stream error raises openai.APIError after the chunks sent before it."""
        provider.inject("stream_error", times=2, after=2)
        received: list[Any] = []
        stream = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO, stream=True))
        with pytest.raises(openai.APIError) as err:
            await collect(stream, received)
        assert type(err.value) is openai.APIError
        assert err.value.type == "server_error"
        assert received[0].choices[0].delta.content == ""
        assert len(received) == 1 + 2
        events: list[Any] = []
        stream = await resolve(oai.responses.create(model=GPT, input="hi", stream=True))
        with pytest.raises(openai.APIError):
            await collect(stream, events)
        assert [e.type for e in events].count("response.output_text.delta") == 2

    async def test_stream_error_anthropic(self, claude: Any, provider: FakeLLMProvider) -> None:
        """Anthropic's in-stream overloaded_error raises APIStatusError with status 200."""
        provider.inject("stream_error", times=2)
        received: list[Any] = []
        stream = await resolve(
            claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO, stream=True)
        )
        with pytest.raises(anthropic.APIStatusError) as err:
            await collect(stream, received)
        assert type(err.value) is anthropic.APIStatusError
        assert (err.value.status_code, err.value.type) == (200, "overloaded_error")
        assert [e.type for e in received].count("content_block_delta") == 3
        options = {"model": CLAUDE, "max_tokens": 100, "messages": HELLO}
        with pytest.raises(anthropic.APIStatusError):
            await until_done(claude, **options)

    async def test_stream_error_skips_plain_requests(
        self, oai: Any, provider: FakeLLMProvider
    ) -> None:
        """A queued stream_error waits for a streaming request."""
        provider.inject("stream_error")
        plain = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        assert plain.choices[0].message.content
        with pytest.raises(openai.APIError):
            await drain(
                await resolve(oai.chat.completions.create(model=GPT, messages=HELLO, stream=True))
            )

    async def test_disconnect(self, oai: Any, claude: Any, provider: FakeLLMProvider) -> None:
        """Closing the socket without a response raises APIConnectionError in both SDKs."""
        provider.inject("disconnect", times=3)
        with pytest.raises(openai.APIConnectionError) as oerr:
            await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        with pytest.raises(anthropic.APIConnectionError) as aerr:
            await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))
        with pytest.raises(openai.APIConnectionError):
            await resolve(oai.chat.completions.create(model=GPT, messages=HELLO, stream=True))
        assert type(oerr.value) is openai.APIConnectionError
        assert type(aerr.value) is anthropic.APIConnectionError

    async def test_disconnect_mid_stream(
        self, oai: Any, claude: Any, provider: FakeLLMProvider
    ) -> None:
        """A mid-stream drop raises APIConnectionError (older anthropic: the transport error)."""
        provider.inject("disconnect", times=2, after=4)
        chunks: list[Any] = []
        stream = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO, stream=True))
        with pytest.raises(openai.APIConnectionError):
            await collect(stream, chunks)
        assert len(chunks) == 1 + 4
        events: list[Any] = []
        astream = await resolve(
            claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO, stream=True)
        )
        # anthropic wraps transport errors raised while iterating since 2.17, not before
        with pytest.raises((anthropic.APIConnectionError, httpx2.RemoteProtocolError)):
            await collect(astream, events)
        assert [e.type for e in events].count("content_block_delta") == 4

    async def test_disconnect_retried(self, provider: FakeLLMProvider) -> None:
        """A dropped connection is retried by the SDK and the retry succeeds."""
        provider.inject("disconnect")
        with openai_sync(provider, max_retries=1) as oai:
            result = oai.chat.completions.create(model=GPT, messages=HELLO)
        assert result.choices[0].message.content
        assert len(provider.requests) == 2

    async def test_fifo_and_times(self, provider: FakeLLMProvider) -> None:
        """Queued faults are consumed in order, each by `times` requests."""
        provider.inject("rate_limit", times=2)
        provider.inject("server_error")
        raised: list[type[Exception]] = []
        with openai_sync(provider, max_retries=0) as oai:
            for _ in range(4):
                try:
                    oai.chat.completions.create(model=GPT, messages=HELLO)
                except openai.APIStatusError as err:
                    raised.append(type(err))
                else:
                    raised.append(Exception)
        assert raised == [
            openai.RateLimitError,
            openai.RateLimitError,
            openai.InternalServerError,
            Exception,
        ]

    async def test_provider_filter(self, oai: Any, claude: Any, provider: FakeLLMProvider) -> None:
        """A fault for one provider is not consumed by the other provider's requests."""
        provider.inject("server_error", provider="anthropic")
        result = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        assert result.choices[0].message.content
        with pytest.raises(anthropic.InternalServerError):
            await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))

    async def test_request_timeout(self, oai: Any, claude: Any, provider: FakeLLMProvider) -> None:
        """A request_timeout fault answers 408 with each API's timeout_error body."""
        provider.inject("request_timeout", provider="openai")
        provider.inject("request_timeout", provider="anthropic")
        with pytest.raises(openai.APIStatusError) as oerr:
            await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        with pytest.raises(anthropic.APIStatusError) as aerr:
            await resolve(claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO))
        assert (oerr.value.status_code, oerr.value.type, oerr.value.code) == (
            408,
            "timeout_error",
            "request_timeout",
        )
        assert (aerr.value.status_code, aerr.value.type) == (408, "timeout_error")

    async def test_request_timeout_retried(self, provider: FakeLLMProvider) -> None:
        """The SDKs retry a 408 and the retry succeeds."""
        headers = {"x-fake-fault": "request_timeout", "x-fake-fault-retry-after": "0.01"}
        with openai_sync(provider, max_retries=1) as oai:
            result = oai.chat.completions.create(model=GPT, messages=HELLO, extra_headers=headers)
        assert result.choices[0].message.content
        assert len(provider.requests) == 2

    @pytest.mark.parametrize("how", ["inject", "header"])
    async def test_bare_rate_limit(
        self, oai: Any, claude: Any, provider: FakeLLMProvider, how: str
    ) -> None:
        """A rate_limit with body none sends a 429 with an empty body but its headers."""
        headers: dict[str, str] = {}
        if how == "inject":
            provider.inject("rate_limit", times=2, body="none")
        else:
            headers = {"x-fake-fault": "rate_limit", "x-fake-fault-body": "none"}
        with pytest.raises(openai.RateLimitError) as oerr:
            await resolve(
                oai.chat.completions.create(model=GPT, messages=HELLO, extra_headers=headers)
            )
        with pytest.raises(anthropic.RateLimitError) as aerr:
            await resolve(
                claude.messages.create(
                    model=CLAUDE, max_tokens=100, messages=HELLO, extra_headers=headers
                )
            )
        for err in (oerr.value, aerr.value):
            assert err.status_code == 429
            assert err.response.content == b""
            assert "content-type" not in err.response.headers
            assert err.response.headers["retry-after-ms"] == "50"
            assert err.body == ""
        assert (oerr.value.type, aerr.value.type) == (None, None)

    @pytest.mark.parametrize("fault", ["server_error", "overloaded", "request_timeout"])
    async def test_bare_status_faults(self, oai: Any, fault: str) -> None:
        """Every status fault can drop its body through x-fake-fault-body."""
        headers = {"x-fake-fault": fault, "x-fake-fault-body": "none"}
        with pytest.raises(openai.APIStatusError) as oerr:
            await resolve(
                oai.chat.completions.create(model=GPT, messages=HELLO, extra_headers=headers)
            )
        assert oerr.value.status_code in (500, 503, 408)
        assert oerr.value.response.content == b""

    async def test_header_fault(self, oai: Any, claude: Any) -> None:
        """A request asks for a fault with x-fake-fault headers, leaving other requests alone."""
        headers = {"x-fake-fault": "rate_limit", "x-fake-fault-retry-after": "0.2"}
        with pytest.raises(openai.RateLimitError) as oerr:
            await resolve(
                oai.chat.completions.create(model=GPT, messages=HELLO, extra_headers=headers)
            )
        assert oerr.value.response.headers["retry-after-ms"] == "200"
        overloaded = {"x-fake-fault": "overloaded"}
        with pytest.raises(anthropic.OverloadedError):
            await resolve(
                claude.messages.create(
                    model=CLAUDE, max_tokens=100, messages=HELLO, extra_headers=overloaded
                )
            )
        result = await resolve(oai.chat.completions.create(model=GPT, messages=HELLO))
        assert result.choices[0].message.content

    async def test_header_fault_retried(self, provider: FakeLLMProvider) -> None:
        """A header fault hits the first `times` attempts, so SDK retries then succeed."""
        headers = {"x-fake-fault": "server_error", "x-fake-fault-retry-after": "0.01"}
        with openai_sync(provider, max_retries=2) as oai:
            once = oai.chat.completions.create(model=GPT, messages=HELLO, extra_headers=headers)
            twice = oai.chat.completions.create(
                model=GPT, messages=HELLO, extra_headers={**headers, "x-fake-fault-times": "2"}
            )
        assert once.choices[0].message.content == twice.choices[0].message.content
        assert len(provider.requests) == 2 + 3

    async def test_header_stream_error(self, claude: Any) -> None:
        """A header-requested stream_error takes its `after` parameter from a header."""
        headers = {"x-fake-fault": "stream_error", "x-fake-fault-after": "1"}
        received: list[Any] = []
        stream = await resolve(
            claude.messages.create(
                model=CLAUDE, max_tokens=100, messages=HELLO, stream=True, extra_headers=headers
            )
        )
        with pytest.raises(anthropic.APIStatusError):
            await collect(stream, received)
        assert [e.type for e in received].count("content_block_delta") == 1

    @pytest.mark.parametrize(
        ("args", "kwargs", "message"),
        [
            (("explode",), {}, "unknown fault 'explode'"),
            (("rate_limit",), {"hang": 1.0}, "valid params: retry_after"),
            (("timeout",), {"times": 0}, "times must be at least 1"),
            (("timeout",), {"provider": "gemini"}, "provider must be"),
            (("timeout",), {"body": "none"}, "only status faults"),
            (("rate_limit",), {"body": "xml"}, "body must be 'json' or 'none'"),
        ],
    )
    def test_inject_rejects(
        self, provider: FakeLLMProvider, args: tuple[str], kwargs: dict[str, Any], message: str
    ) -> None:
        """inject() rejects unknown faults, parameters, providers, counts and bodies."""
        with pytest.raises(ValueError, match=message):
            provider.inject(*args, **kwargs)

    async def test_bare_header_rejected(self, oai: Any) -> None:
        """x-fake-fault-body none on a fault without an error status is a 400."""
        headers = {"x-fake-fault": "disconnect", "x-fake-fault-body": "none"}
        with pytest.raises(openai.BadRequestError, match="only status faults"):
            await resolve(
                oai.chat.completions.create(model=GPT, messages=HELLO, extra_headers=headers)
            )

    async def test_unknown_header_fault(self, oai: Any) -> None:
        """An unknown x-fake-fault is answered with a 400 naming the valid faults."""
        with pytest.raises(openai.BadRequestError, match="use one of: rate_limit"):
            await resolve(
                oai.chat.completions.create(
                    model=GPT, messages=HELLO, extra_headers={"x-fake-fault": "nope"}
                )
            )


class TestServer:
    def test_records_requests(self, provider: FakeLLMProvider) -> None:
        """Every request is recorded with lower-case headers and the parsed JSON body."""
        with openai_sync(provider) as oai:
            oai.chat.completions.create(model=GPT, messages=HELLO)
        (request,) = provider.requests
        assert isinstance(request, RecordedRequest)
        assert (request.method, request.path) == ("POST", "/v1/chat/completions")
        assert request.headers["authorization"] == "Bearer sk-fake"
        assert request.body == {"model": GPT, "messages": HELLO}
        provider.reset()
        assert provider.requests == []

    def test_urls(self, provider: FakeLLMProvider) -> None:
        """The base URLs point at the bound port, with /v1 for OpenAI."""
        assert provider.port > 0
        assert provider.base_url == f"http://127.0.0.1:{provider.port}"
        assert provider.openai_base_url == provider.base_url + "/v1"
        assert provider.anthropic_base_url == provider.base_url

    def test_not_started(self) -> None:
        """URLs are unavailable before start() and stop() is idempotent."""
        fake = FakeLLMProvider()
        with pytest.raises(RuntimeError, match="call start"):
            _ = fake.base_url
        fake.stop()
        fake.start().stop()
        fake.stop()

    @pytest.mark.parametrize(
        ("headers", "error"),
        [
            (
                {},
                {
                    "error": {
                        "message": "Invalid URL (POST /v1/nope)",
                        "type": "invalid_request_error",
                        "param": None,
                        "code": None,
                    }
                },
            ),
            (
                {"anthropic-version": "2023-06-01"},
                {
                    "type": "error",
                    "error": {"type": "not_found_error", "message": "Invalid URL (POST /v1/nope)"},
                },
            ),
        ],
    )
    def test_unknown_path(
        self, provider: FakeLLMProvider, headers: dict[str, str], error: dict[str, Any]
    ) -> None:
        """An unknown path is a 404 in the provider's error format."""
        conn = http.client.HTTPConnection("127.0.0.1", provider.port, timeout=5)
        conn.request("POST", "/v1/nope", body=b"{}", headers=headers)
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        body.pop("request_id", None)
        assert response.status == 404
        assert body == error

    def test_bad_json(self, provider: FakeLLMProvider) -> None:
        """A body that is not a JSON object is a 400 in the provider's error format."""
        conn = http.client.HTTPConnection("127.0.0.1", provider.port, timeout=5)
        conn.request("POST", "/v1/messages", body=b"{not json", headers={"x-api-key": "k"})
        response = conn.getresponse()
        body = json.loads(response.read())
        conn.close()
        assert response.status == 400
        assert body["error"]["type"] == "invalid_request_error"
        assert response.getheader("request-id", "").startswith("req_")

    def test_keep_alive_and_close(self, provider: FakeLLMProvider) -> None:
        """Requests share one connection, chunked bodies are read, and Connection: close ends it."""
        payload = json.dumps({"model": GPT, "messages": HELLO}).encode()
        conn = http.client.HTTPConnection("127.0.0.1", provider.port, timeout=5)
        statuses = []
        for _ in range(3):
            conn.request("POST", "/v1/chat/completions", body=payload)
            response = conn.getresponse()
            response.read()
            statuses.append((response.status, response.getheader("connection")))
        conn.request(
            "POST",
            "/v1/chat/completions",
            body=iter([payload[:7], payload[7:]]),
            encode_chunked=True,
        )
        response = conn.getresponse()
        chunked_body = json.loads(response.read())
        conn.request("POST", "/v1/chat/completions", body=payload, headers={"Connection": "close"})
        response = conn.getresponse()
        response.read()
        conn.close()
        assert statuses == [(200, "keep-alive")] * 3
        assert chunked_body["usage"]["prompt_tokens"] == HELLO_TOKENS
        assert response.getheader("connection") == "close"

    async def test_concurrency(self, provider: FakeLLMProvider) -> None:
        """Fifty concurrent async requests and a sync client in a thread all succeed."""
        async with openai_async(provider) as oai, anthropic_async(provider) as claude:

            def sync_batch() -> list[str]:
                with openai_sync(provider) as client:
                    return [
                        client.chat.completions.create(model=GPT, messages=HELLO)
                        .choices[0]
                        .message.content
                        or ""
                        for _ in range(10)
                    ]

            async def one(i: int) -> str:
                messages = [{"role": "user", "content": f"prompt {i % 5}"}]
                if i % 2:
                    message = await claude.messages.create(
                        model=CLAUDE, max_tokens=100, messages=messages
                    )
                    return message.content[0].text
                stream = await oai.chat.completions.create(
                    model=GPT, messages=messages, stream=True
                )
                return "".join([c.choices[0].delta.content or "" async for c in stream])

            results, synced = await asyncio.gather(
                asyncio.gather(*(one(i) for i in range(50))), asyncio.to_thread(sync_batch)
            )
        assert all(len(words_of(text)) == 24 for text in results)
        assert results[0] == results[10]
        assert len(set(synced)) == 1
        assert len(provider.requests) == 60

    async def test_stop_with_hanging_request(self) -> None:
        """stop() returns within a second while a request hangs, and the client sees a drop."""
        fake = FakeLLMProvider().start()
        fake.inject("timeout", hang=30)
        errors: list[Exception] = []

        def call() -> None:
            with openai_sync(fake, max_retries=0, timeout=10) as oai:
                try:
                    oai.chat.completions.create(model=GPT, messages=HELLO)
                except openai.APIError as err:
                    errors.append(err)

        worker = threading.Thread(target=call)
        worker.start()
        while not fake.requests:
            await asyncio.sleep(0.01)
        started = time.monotonic()
        fake.stop()
        elapsed = time.monotonic() - started
        worker.join(timeout=5)
        assert elapsed < 1.0
        assert not worker.is_alive()
        assert [type(e) for e in errors] == [openai.APIConnectionError]

    async def test_async_context_manager(self) -> None:
        """`async with` starts and stops the provider."""
        async with FakeLLMProvider(seed=7) as fake, anthropic_async(fake) as claude:
            message = await claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO)
        assert len(words_of(message.content[0].text)) == 24

    def test_seed_and_options(self) -> None:
        """Constructor options set the seed, reply length, cache reads and rate limits."""
        with (
            FakeLLMProvider(seed=1, reply_tokens=5, cached_tokens=3, rate_limit_requests=1) as fake,
            openai_sync(fake) as oai,
        ):
            raws = [
                oai.chat.completions.with_raw_response.create(model=GPT, messages=HELLO)
                for _ in range(2)
            ]
        with FakeLLMProvider(seed=2, reply_tokens=5) as other, openai_sync(other) as oai:
            different = oai.chat.completions.create(model=GPT, messages=HELLO)
        completion = raws[0].parse()
        assert completion.usage is not None
        assert completion.usage.prompt_tokens_details is not None
        assert completion.usage.completion_tokens == 5
        assert completion.usage.prompt_tokens_details.cached_tokens == 3
        assert [r.headers["x-ratelimit-remaining-requests"] for r in raws] == ["0", "0"]
        assert different.choices[0].message.content != completion.choices[0].message.content

    def test_anthropic_options(self) -> None:
        """cache_write_tokens and anthropic_delta_usage are constructor options too."""
        options: dict[str, Any] = {"model": CLAUDE, "max_tokens": 100, "messages": HELLO}
        fake = FakeLLMProvider(cache_write_tokens=2, anthropic_delta_usage="cumulative")
        with fake, anthropic_sync(fake) as claude:
            plain = claude.messages.create(**options)
            events = list(claude.messages.create(**options, stream=True))
        assert plain.usage.cache_creation_input_tokens == 2
        assert events[-2].usage.cache_creation_input_tokens == 2
        assert events[-2].usage.input_tokens == HELLO_TOKENS - 2

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"anthropic_delta_usage": "both"}, "'output' or 'cumulative'"),
            ({"cache_write_tokens": -1}, "must not be negative"),
            ({"tool_calls": -1}, "must not be negative"),
        ],
    )
    def test_rejects_options(self, options: dict[str, Any], message: str) -> None:
        """Bad constructor options raise ValueError saying what is allowed."""
        with pytest.raises(ValueError, match=message):
            FakeLLMProvider(**options)

    def test_timing(self) -> None:
        """latency delays the headers, ttft the first text chunk, and tokens_per_second the rest."""
        fake = FakeLLMProvider(latency=0.05, ttft=0.1, tokens_per_second=100, reply_tokens=6)
        with fake, openai_sync(fake) as oai:
            started = time.monotonic()
            stream = oai.chat.completions.create(model=GPT, messages=HELLO, stream=True)
            arrivals = []
            for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    arrivals.append(time.monotonic() - started)
            started = time.monotonic()
            oai.chat.completions.create(model=GPT, messages=HELLO)
            plain = time.monotonic() - started
        assert len(arrivals) == 6
        assert arrivals[0] >= 0.15
        assert arrivals[-1] - arrivals[0] >= 0.045
        assert plain >= 0.05 + 0.1 + 0.06

    def test_serve(self) -> None:
        """serve() prints the URLs, answers requests and exits cleanly on SIGTERM."""
        code = "from logmoji.testing._fake_provider import serve; serve(port=0, reply_tokens=3)"
        with subprocess.Popen(
            [sys.executable, "-c", code], stdout=subprocess.PIPE, text=True, env=os.environ.copy()
        ) as proc:
            assert proc.stdout is not None
            line = proc.stdout.readline()
            base_url = line.split("Anthropic ")[1].split()[0]
            with anthropic.Anthropic(api_key="k", base_url=base_url) as claude:
                message = claude.messages.create(model=CLAUDE, max_tokens=100, messages=HELLO)
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=5) == 0
        assert "OpenAI http://127.0.0.1:" in line
        assert message.usage.output_tokens == 3
