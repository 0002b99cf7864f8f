"""Usage and errors are read right when the server sends what real servers vary.

Cache writes, stream usage split between ``message_start`` and
``message_delta``, error responses without a body, and 408s, with the real
SDKs against the fake provider over real HTTP.
"""

from __future__ import annotations

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
MESSAGES = [{"role": "user", "content": "Tell me about tides"}]
CLAUDE: dict[str, Any] = {"model": "claude-haiku-4-5", "max_tokens": 100, "messages": MESSAGES}
CHAT: dict[str, Any] = {"model": "gpt-4o-mini", "messages": MESSAGES}
CACHE = {"x-fake-cached-tokens": "3", "x-fake-cache-write-tokens": "4"}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture
def claude(fake: FakeLLMProvider) -> Iterator[anthropic.Anthropic]:
    """An instrumented Anthropic client without retries."""
    client = fake.anthropic_client(
        http_client=anthropic.DefaultHttpxClient(verify=TLS), max_retries=0
    )
    instrument(client)
    yield client
    client.close()


@pytest.fixture
def oai(fake: FakeLLMProvider) -> Iterator[openai.OpenAI]:
    """An instrumented OpenAI client without retries."""
    client = fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS), max_retries=0)
    instrument(client)
    yield client
    client.close()


def last(logs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the call's ending."""
    return llm_events(logs)[-1]


def _whole_prompt(usage: Any) -> int:
    total: int = (
        usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens
    )
    return total


class TestAnthropicUsage:
    """Every input token counts: uncached, read from the cache and written to it."""

    def test_cache_writes(self, claude: anthropic.Anthropic) -> None:
        """``prompt_tokens`` includes cache reads and writes, each also logged on its own."""
        with capture_logs() as logs:
            message = claude.messages.create(**CLAUDE, extra_headers=CACHE)
        end = last(logs)
        usage = message.usage
        assert (usage.cache_read_input_tokens, usage.cache_creation_input_tokens) == (3, 4)
        assert end["prompt_tokens"] == _whole_prompt(usage)
        assert (end["cached_tokens"], end["cache_write_tokens"]) == (3, 4)
        assert end["input_tokens"] == usage.input_tokens

    @pytest.mark.parametrize("delta", ["output", "cumulative"])
    def test_stream_split_usage(self, claude: anthropic.Anthropic, delta: str) -> None:
        """Input counts from ``message_start``, output from ``message_delta``, either shape."""
        headers = {**CACHE, "x-fake-delta-usage": delta}
        with (
            capture_logs() as logs,
            claude.messages.stream(**CLAUDE, extra_headers=headers) as stream,
        ):
            message = stream.get_final_message()
        end = last(logs)
        assert end["event"] == "stream_completed"
        assert end["prompt_tokens"] == _whole_prompt(message.usage)
        assert end["completion_tokens"] == message.usage.output_tokens
        assert (end["cached_tokens"], end["cache_write_tokens"]) == (3, 4)
        assert "usage_estimated" not in end


class TestBareErrors:
    """Statuses say what failed even when the body says nothing."""

    def test_429_without_body(self, oai: openai.OpenAI, claude: anthropic.Anthropic) -> None:
        """A 429 with an empty body is a rate limit 🛑 with its retry-after, on both APIs."""
        headers = {"x-fake-fault": "rate_limit", "x-fake-fault-body": "none"}
        with capture_logs() as logs, pytest.raises(openai.RateLimitError):
            oai.chat.completions.create(**CHAT, extra_headers=headers)
        with capture_logs() as more, pytest.raises(anthropic.RateLimitError):
            claude.messages.create(**CLAUDE, extra_headers=headers)
        for end in (last(logs), last(more)):
            assert (end["error"], end["emoji"], end["status_code"]) == (
                "rate_limit_exceeded",
                "🛑",
                429,
            )
            assert end["retry_after"] == pytest.approx(0.05)

    @pytest.mark.parametrize("body", ["json", "none"])
    def test_408(self, oai: openai.OpenAI, body: str) -> None:
        """A 408 is a timeout ⏰, with or without a body."""
        headers = {"x-fake-fault": "request_timeout", "x-fake-fault-body": body}
        with capture_logs() as logs, pytest.raises(openai.APIStatusError):
            oai.chat.completions.create(**CHAT, extra_headers=headers)
        end = last(logs)
        assert (end["error"], end["emoji"], end["status_code"]) == ("timeout", "⏰", 408)
