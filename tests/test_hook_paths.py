"""Every path to a model request is logged once, with the server's usage.

Beta namespaces, raw and streaming-response wrappers, bound methods captured
before instrumenting, and errors raised in the calling process, with the real
SDKs against the fake provider over real HTTP.
"""

from __future__ import annotations

import asyncio
import gc
import json
import ssl
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest
from pydantic import BaseModel

from _sdk_calls import llm_events
from logmoji.llm.instrumentation import instrument
from logmoji.testing import capture_logs
from logmoji.testing._fake_provider import FakeLLMProvider
from logmoji.testing._fake_text import count_prompt_tokens

TLS = ssl.create_default_context()
PROMPT = "Say something nice about the sea"
PROMPT_TOKENS = count_prompt_tokens([PROMPT])
REPLY = 24
MESSAGES = [{"role": "user", "content": PROMPT}]
CHAT: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
CLAUDE: dict[str, Any] = {"model": "claude-haiku-4-5", "max_tokens": 100, "messages": MESSAGES}


class Answer(BaseModel):
    """A structured output."""

    text: str


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


_OPEN: list[Any] = []


@pytest.fixture(autouse=True)
def _fresh(fake: FakeLLMProvider) -> Iterator[None]:
    """Forget requests left by another test; close the sync clients it made."""
    fake.reset()
    yield
    while _OPEN:
        _OPEN.pop().close()


def _openai(fake: FakeLLMProvider) -> openai.OpenAI:
    client = fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS), max_retries=0)
    _OPEN.append(client)
    return client


def _aopenai(fake: FakeLLMProvider) -> openai.AsyncOpenAI:
    return fake.async_openai_client(
        http_client=openai.DefaultAsyncHttpxClient(verify=TLS), max_retries=0
    )


def _anthropic(fake: FakeLLMProvider) -> anthropic.Anthropic:
    client = fake.anthropic_client(
        http_client=anthropic.DefaultHttpxClient(verify=TLS), max_retries=0
    )
    _OPEN.append(client)
    return client


def _aanthropic(fake: FakeLLMProvider) -> anthropic.AsyncAnthropic:
    return fake.async_anthropic_client(
        http_client=anthropic.DefaultAsyncHttpxClient(verify=TLS), max_retries=0
    )


def endings(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the call endings among the LLM events."""
    return [
        e
        for e in llm_events(logs)
        if e["event"].endswith(("_completed", "_failed", "_cancelled"))
        and e["event"] != "stream_started"
    ]


def one_ending(logs: list[dict[str, Any]], fake: FakeLLMProvider) -> dict[str, Any]:
    """Check one model request reached the server and one ending was logged; return it."""
    model_requests = [
        r for r in fake.requests if r.path.endswith(("/completions", "/messages", "/responses"))
    ]
    found = endings(logs)
    assert len(model_requests) == 1
    assert len(found) == 1, [e["event"] for e in found]
    return found[0]


class TestBeta:
    """The ``beta`` namespaces go through the same hook."""

    def test_openai_beta_parse(self, fake: FakeLLMProvider) -> None:
        """``beta.chat.completions.parse`` is logged with the server's usage."""
        client = _openai(fake)
        instrument(client)
        with capture_logs() as logs:
            result = client.beta.chat.completions.parse(**CHAT, response_format=Answer)
        last = one_ending(logs, fake)
        assert last["event"] == "chat_request_completed"
        assert last["prompt_tokens"] == result.usage.prompt_tokens == PROMPT_TOKENS
        assert last["completion_tokens"] == result.usage.completion_tokens

    def test_openai_beta_stream(self, fake: FakeLLMProvider) -> None:
        """``beta.chat.completions.stream`` ends with ``stream_completed`` and usage."""
        client = _openai(fake)
        instrument(client)
        with capture_logs() as logs, client.beta.chat.completions.stream(**CHAT) as stream:
            final = stream.get_final_completion()
        last = one_ending(logs, fake)
        assert last["event"] == "stream_completed"
        assert last["completion_tokens"] == REPLY
        assert final.choices[0].message.content

    def test_anthropic_beta_create(self, fake: FakeLLMProvider) -> None:
        """``beta.messages.create`` (every pydantic-ai Anthropic call) is logged."""
        client = _anthropic(fake)
        instrument(client)
        with capture_logs() as logs:
            message = client.beta.messages.create(**CLAUDE)
        last = one_ending(logs, fake)
        assert last["event"] == "messages_request_completed"
        assert last["output_tokens"] == message.usage.output_tokens == REPLY
        assert last["input_tokens"] == message.usage.input_tokens

    def test_anthropic_beta_stream(self, fake: FakeLLMProvider) -> None:
        """``beta.messages.stream`` is logged as a stream with its usage."""
        client = _anthropic(fake)
        instrument(client)
        with capture_logs() as logs, client.beta.messages.stream(**CLAUDE) as stream:
            message = stream.get_final_message()
        last = one_ending(logs, fake)
        assert last["event"] == "stream_completed"
        assert last["completion_tokens"] == message.usage.output_tokens == REPLY
        assert "ttft_ms" in last

    async def test_anthropic_beta_parse_async(self, fake: FakeLLMProvider) -> None:
        """``beta.messages.parse`` of the async client is logged."""
        client = _aanthropic(fake)
        instrument(client)
        with capture_logs() as logs:
            message = await client.beta.messages.parse(**CLAUDE, output_format=Answer)
        await client.close()
        last = one_ending(logs, fake)
        assert last["event"] == "messages_request_completed"
        assert last["output_tokens"] == message.usage.output_tokens


class TestStreamingResponse:
    """Raw and streaming-response wrappers end when the body is read, with its usage."""

    def test_streaming_response_plain(self, fake: FakeLLMProvider) -> None:
        """``with_streaming_response.create`` logs the body's usage once it is read."""
        client = _openai(fake)
        instrument(client)
        with (
            capture_logs() as logs,
            client.chat.completions.with_streaming_response.create(**CHAT) as response,
        ):
            assert endings(logs) == []  # nothing read yet: no ending yet
            body = json.loads(response.read())
        last = one_ending(logs, fake)
        assert last["event"] == "chat_request_completed"
        assert last["completion_tokens"] == body["usage"]["completion_tokens"] == REPLY
        assert last["prompt_tokens"] == PROMPT_TOKENS
        assert "cost_usd" in last

    def test_streaming_response_stream(self, fake: FakeLLMProvider) -> None:
        """``with_streaming_response.create(stream=True)`` is a stream with TTFT and tokens."""
        client = _openai(fake)
        instrument(client)
        with (
            capture_logs() as logs,
            client.chat.completions.with_streaming_response.create(
                **CHAT, stream=True, stream_options={"include_usage": True}
            ) as response,
        ):
            chunks = list(response.parse())
        last = one_ending(logs, fake)
        assert last["event"] == "stream_completed"
        assert last["completion_tokens"] == REPLY
        assert chunks[-1].usage.completion_tokens == REPLY
        assert last["ttft_ms"] >= 0

    async def test_responses_streaming_response_async(self, fake: FakeLLMProvider) -> None:
        """openai-agents' path: async ``responses.with_streaming_response.create(stream=True)``."""
        client = _aopenai(fake)
        instrument(client)
        with capture_logs() as logs:
            async with client.responses.with_streaming_response.create(
                model="gpt-4o-mini", input=PROMPT, stream=True
            ) as response:
                events = [event async for event in await response.parse()]
        await client.close()
        last = one_ending(logs, fake)
        assert last["event"] == "stream_completed"
        assert last["completion_tokens"] == REPLY
        assert events[-1].type == "response.completed"

    def test_raw_response_stream(self, fake: FakeLLMProvider) -> None:
        """langchain-anthropic's path: ``with_raw_response.create(stream=True)``, then parse."""
        client = _anthropic(fake)
        instrument(client)
        with capture_logs() as logs:
            raw = client.messages.with_raw_response.create(**CLAUDE, stream=True)
            events = list(raw.parse())
        last = one_ending(logs, fake)
        assert last["event"] == "stream_completed"
        assert last["completion_tokens"] == REPLY
        assert last["prompt_tokens"] == PROMPT_TOKENS
        assert events[-1].type == "message_stop"

    async def test_raw_response_stream_async(self, fake: FakeLLMProvider) -> None:
        """The async raw stream is logged with its usage too."""
        client = _aanthropic(fake)
        instrument(client)
        with capture_logs() as logs:
            raw = await client.messages.with_raw_response.create(**CLAUDE, stream=True)
            events = [event async for event in await raw.parse()]
        await client.close()
        last = one_ending(logs, fake)
        assert last["event"] == "stream_completed"
        assert last["completion_tokens"] == REPLY
        assert events[-1].type == "message_stop"

    def test_never_read(self, fake: FakeLLMProvider) -> None:
        """A streaming response closed unread ends once, with ``usage_known=False``."""
        client = _openai(fake)
        instrument(client)
        with (
            capture_logs() as logs,
            client.chat.completions.with_streaming_response.create(**CHAT) as response,
        ):
            assert response.status_code == 200
        last = one_ending(logs, fake)
        assert last["event"] == "chat_request_completed"
        assert last["usage_known"] is False
        assert "completion_tokens" not in last
        assert "cost_usd" not in last

    def test_raw_stream_dropped(self, fake: FakeLLMProvider) -> None:
        """A raw stream response dropped unparsed ends once, as of unknown usage."""
        client = _anthropic(fake)
        instrument(client)
        with capture_logs() as logs:
            raw = client.messages.with_raw_response.create(**CLAUDE, stream=True)
            raw.http_response.close()
            del raw
            gc.collect()
        last = one_ending(logs, fake)
        assert last["usage_known"] is False


class TestCapturedMethods:
    """Methods taken from the client before ``instrument()`` are still logged."""

    def test_bound_create(self, fake: FakeLLMProvider) -> None:
        """instructor's pattern: ``create = client.chat.completions.create``, then instrument."""
        client = _openai(fake)
        create = client.chat.completions.create
        instrument(client)
        with capture_logs() as logs:
            result = create(**CHAT)
        last = one_ending(logs, fake)
        assert last["completion_tokens"] == result.usage.completion_tokens == REPLY

    def test_cached_raw_wrapper(self, fake: FakeLLMProvider) -> None:
        """A ``with_raw_response`` object built before instrumenting still reports."""
        client = _anthropic(fake)
        raw_create = client.messages.with_raw_response.create
        instrument(client)
        with capture_logs() as logs:
            raw = raw_create(**CLAUDE)
        last = one_ending(logs, fake)
        assert last["output_tokens"] == raw.parse().usage.output_tokens

    def test_other_requests_untouched(self, fake: FakeLLMProvider) -> None:
        """A request that is not a model call (token counting) logs nothing."""
        client = _anthropic(fake)
        instrument(client)
        with capture_logs() as logs, pytest.raises(anthropic.APIStatusError):
            client.messages.count_tokens(model="claude-haiku-4-5", messages=MESSAGES)
        assert llm_events(logs) == []


class TestClientError:
    """An exception raised in the calling process is not a provider failure."""

    def test_other_event_loop(self, fake: FakeLLMProvider) -> None:
        """A client used from another event loop fails as ``client_error``, not model error."""
        client = _aopenai(fake)
        instrument(client)
        home = asyncio.new_event_loop()
        try:
            home.run_until_complete(client.chat.completions.create(**CHAT))  # pool: this loop
            with capture_logs() as logs, pytest.raises(RuntimeError) as caught:
                asyncio.run(client.chat.completions.create(**CHAT))
            home.run_until_complete(client.close())
        finally:
            home.close()
        last = endings(logs)[-1]
        assert last["event"] == "chat_request_failed"
        assert last["error"] == "client_error"
        assert last["error_type"] == type(caught.value).__name__

    def test_local_error_not_in_error_rate(self, fake: FakeLLMProvider) -> None:
        """A local failure does not count towards the provider's error rate."""
        from logmoji.llm.monitor import PerformanceMonitor

        monitor = PerformanceMonitor()
        client = _openai(fake)
        instrument(client, observers=[monitor])
        client.chat.completions.create(**CHAT)
        with capture_logs() as logs, pytest.raises(TypeError):
            # The body cannot be serialised: the request never leaves this process.
            client.chat.completions.create(**CHAT, extra_body={"bad": object()})
        assert endings(logs)[-1]["error"] == "client_error"
        with pytest.raises(openai.APIStatusError):
            client.chat.completions.create(**CHAT, extra_headers={"x-fake-fault": "server_error"})
        snapshot = monitor.snapshot("gpt-4o-mini")
        assert (snapshot.count, snapshot.errors) == (2, 1)
