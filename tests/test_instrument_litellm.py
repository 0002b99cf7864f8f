"""LiteLLM instrumented, against the fake provider over real HTTP with the real ``litellm`` package.

Every call goes through LiteLLM's own OpenAI and Anthropic providers to the
fake provider; each test checks the provider LiteLLM routed to, the tokens the
server sent, the cost, the server address, exactly one ending per request the
fake received, and that the caller gets what an uninstrumented call returns.
"""

from __future__ import annotations

import asyncio
import gc
import sys
import time
from collections.abc import Iterator
from decimal import Decimal
from typing import Any

import litellm
import openai
import pytest

from _sdk_calls import llm_events
from logmoji.exceptions import BudgetExceededError
from logmoji.llm import CostTracker, instrument_litellm, instrument_openai
from logmoji.llm._record import CallRecord
from logmoji.llm.costs import Budget
from logmoji.llm.instrumentation.providers.litellm import resolve, server_for
from logmoji.testing import capture_logs
from logmoji.testing._fake_provider import FakeLLMProvider
from logmoji.testing._fake_text import count_prompt_tokens

litellm.suppress_debug_info = True  # LiteLLM prints a help banner on every error otherwise
# Warnings LiteLLM's own code raises mid-call (pydantic deprecations, its TypedDicts'
# schemas): under filterwarnings=error they would break LiteLLM, not test logmoji.
pytestmark = [
    pytest.mark.filterwarnings("ignore::DeprecationWarning:litellm.*"),
    pytest.mark.filterwarnings("ignore:Item.*ReadOnly. qualifier:UserWarning"),
    # LiteLLM makes event loops of its own (asyncify, its logging worker) and leaves
    # them, and their sockets, to the garbage collector.
    pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning"),
]

PROMPT = "Summarise the quarterly report for me"
MESSAGES = [{"role": "user", "content": PROMPT}]
REPLY = 24
MODELS = {"openai": "openai/gpt-4o-mini", "anthropic": "anthropic/claude-haiku-4-5"}
ENDINGS = (
    "chat_request_completed",
    "chat_request_failed",
    "chat_request_cancelled",
    "embeddings_request_completed",
    "embeddings_request_failed",
    "stream_completed",
    "stream_failed",
    "stream_cancelled",
)
TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "get_weather",
            "description": "Get the weather for a city",
            "parameters": {
                "type": "object",
                "properties": {"city": {"type": "string"}},
                "required": ["city"],
            },
        },
    }
]
_connections: list[tuple[str, int]] | None = None


def _audit(event: str, args: tuple[Any, ...]) -> None:
    if event == "socket.connect" and _connections is not None:
        address = args[1]
        if isinstance(address, tuple) and len(address) >= 2:
            _connections.append((str(address[0]), int(address[1])))


sys.addaudithook(_audit)


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider
    gc.collect()  # collect LiteLLM's leftovers here, not in another module's test


@pytest.fixture(autouse=True)
def _fresh(fake: FakeLLMProvider) -> None:
    """Forget faults and requests left by another test."""
    fake.reset()


@pytest.fixture
def costs() -> Iterator[CostTracker]:
    """Instrument LiteLLM with a cost tracker of its own; undo it after the test."""
    tracker = CostTracker()
    handle = instrument_litellm(observers=[tracker])
    yield tracker
    handle.uninstrument()


def base_url(fake: FakeLLMProvider, provider: str) -> str:
    """Return the fake's base URL for ``provider``'s API."""
    return fake.openai_base_url if provider == "openai" else fake.anthropic_base_url


def options(fake: FakeLLMProvider, provider: str, **kw: Any) -> dict[str, Any]:
    """Return the keyword arguments of a LiteLLM call to the fake ``provider``."""
    return {
        "model": MODELS[provider],
        "messages": MESSAGES,
        "api_base": base_url(fake, provider),
        "api_key": "sk-test",
        "max_retries": 0,
        "timeout": 2.0,
        **kw,
    }


def endings(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the calls' ending events."""
    return [event for event in llm_events(logs) if event["event"] in ENDINGS]


def priced(provider: str, model: str, prompt: int, completion: int, cached: int = 0) -> object:
    """Return the cost a fresh tracker gives these tokens of ``model`` at ``provider``."""
    record = CallRecord(
        provider=provider,
        operation="chat",
        model=model,
        input_tokens=prompt,
        output_tokens=completion,
        cached_tokens=cached,
    )
    return (CostTracker().observe(record) or {})["cost_usd"]


def same_reply(a: Any, b: Any) -> None:
    """Assert two LiteLLM responses carry the same reply, usage and type."""
    assert type(a) is type(b)
    assert a.model == b.model
    assert a.usage == b.usage
    assert [c.model_dump() for c in a.choices] == [c.model_dump() for c in b.choices]


def server_usage(provider: str) -> tuple[int, int]:
    """Return the prompt and completion tokens the fake counts for PROMPT."""
    return count_prompt_tokens([PROMPT]), REPLY


class TestCompletion:
    @pytest.mark.parametrize("provider", ["openai", "anthropic"])
    def test_logged_once_with_routed_provider(
        self, fake: FakeLLMProvider, costs: CostTracker, provider: str
    ) -> None:
        """A completion is logged once as the routed provider, with the server's tokens and cost."""
        with capture_logs() as logs:
            result = litellm.completion(**options(fake, provider))
        events = llm_events(logs)
        assert [e["event"] for e in events if e["event"] != "rate_limit_status"] == [
            "chat_request_started",
            "chat_request_completed",
        ]
        end = endings(logs)[0]
        prompt, completion = server_usage(provider)
        assert end["logger"] == "llm.litellm"
        assert end["provider"] == provider
        assert end["model"] == MODELS[provider].split("/", 1)[1]
        assert (end["prompt_tokens"], end["completion_tokens"]) == (prompt, completion)
        assert end["server_address"] == "127.0.0.1"
        assert end["server_port"] == fake.port
        assert end["request_id"].startswith("req_")
        assert end["cost_usd"] == priced(provider, end["response_model"], prompt, completion)
        assert len(fake.requests) == 1
        fake.reset()
        bare = litellm.completion.__wrapped__(**options(fake, provider))  # type: ignore[attr-defined]
        same_reply(result, bare)

    def test_cached_tokens_from_anthropic(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """Anthropic's cache reads reach cached_tokens and the price, within prompt_tokens."""
        headers = {"x-fake-cached-tokens": "3"}
        with capture_logs() as logs:
            litellm.completion(**options(fake, "anthropic", extra_headers=headers))
        end = endings(logs)[0]
        prompt, completion = server_usage("anthropic")
        assert end["cached_tokens"] == 3
        assert end["prompt_tokens"] == prompt
        assert end["cache_write_tokens"] == 0
        model = end["response_model"]
        assert end["cost_usd"] == priced("anthropic", model, prompt, completion, cached=3)
        assert end["cost_usd"] < priced("anthropic", model, prompt, completion)

    @pytest.mark.parametrize("provider", ["openai", "anthropic"])
    def test_tool_calls(self, fake: FakeLLMProvider, costs: CostTracker, provider: str) -> None:
        """The tool calls a response asks for are logged by name, with the finish reason."""
        with capture_logs() as logs:
            result = litellm.completion(**options(fake, provider, tools=TOOLS))
        end = endings(logs)[0]
        assert result.choices[0].message.tool_calls[0].function.name == "get_weather"
        assert end["tool_names"] == ["get_weather"]
        assert end["tool_call_count"] == 1
        assert end["finish_reason"] == "tool_calls"
        assert end["provider"] == provider
        assert len(fake.requests) == 1

    async def test_async(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """An acompletion is logged once, like a completion."""
        with capture_logs() as logs:
            result = await litellm.acompletion(**options(fake, "anthropic"))
        end = endings(logs)[0]
        assert len(endings(logs)) == len(fake.requests) == 1
        assert end["provider"] == "anthropic"
        assert (end["prompt_tokens"], end["completion_tokens"]) == server_usage("anthropic")
        assert end["server_port"] == fake.port
        assert result.usage.completion_tokens == REPLY

    async def test_async_flag(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """completion(..., acompletion=True) is logged once, when awaited."""
        with capture_logs() as logs:
            result = await litellm.completion(**options(fake, "openai", acompletion=True))
        assert [e["event"] for e in endings(logs)] == ["chat_request_completed"]
        assert len(fake.requests) == 1
        assert result.usage.completion_tokens == REPLY


class TestStream:
    @pytest.mark.parametrize(
        ("provider", "extra"),
        [("openai", {"stream_options": {"include_usage": True}}), ("anthropic", {})],
    )
    def test_stream_usage_and_ttft(
        self, fake: FakeLLMProvider, costs: CostTracker, provider: str, extra: dict[str, Any]
    ) -> None:
        """A stream ends once, with the server's usage, TTFT and the caller's chunks unchanged."""
        with capture_logs() as logs:
            stream = litellm.completion(**options(fake, provider, stream=True, **extra))
            chunks = [chunk.model_dump() for chunk in stream]
        names = [e["event"] for e in llm_events(logs) if e["event"] != "rate_limit_status"]
        assert names == ["chat_request_started", "stream_started", "stream_completed"]
        end = endings(logs)[0]
        prompt, completion = server_usage(provider)
        assert (end["prompt_tokens"], end["completion_tokens"]) == (prompt, completion)
        assert "usage_estimated" not in end
        assert end["ttft_ms"] > 0
        assert end["tokens_streamed"] == REPLY
        assert end["provider"] == provider
        assert end["server_address"] == "127.0.0.1"
        assert end["cost_usd"] == priced(provider, end["response_model"], prompt, completion)
        assert type(stream).__name__ == "CustomStreamWrapper"
        assert isinstance(stream, litellm.CustomStreamWrapper)
        assert len(fake.requests) == 1

        fake.reset()
        bare = litellm.completion.__wrapped__(  # type: ignore[attr-defined]
            **options(fake, provider, stream=True, **extra)
        )
        expected = [chunk.model_dump() for chunk in bare]
        strip = ("id", "created", "system_fingerprint")  # the fake derives these from the id
        assert [{k: v for k, v in c.items() if k not in strip} for c in chunks] == [
            {k: v for k, v in c.items() if k not in strip} for c in expected
        ]

    def test_unreported_usage_is_estimated(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """A stream whose server sent no usage is logged with counted deltas, flagged, unchanged."""
        with capture_logs() as logs:
            for _ in litellm.completion(**options(fake, "openai", stream=True)):
                pass
        end = endings(logs)[0]
        assert end["usage_estimated"] is True
        assert end["completion_tokens"] == REPLY
        assert "stream_options" not in fake.requests[0].body  # logmoji asked for nothing

    def test_stream_tool_calls(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """Tool calls streamed in deltas are logged by name."""
        with capture_logs() as logs:
            for _ in litellm.completion(**options(fake, "anthropic", stream=True, tools=TOOLS)):
                pass
        end = endings(logs)[0]
        assert end["event"] == "stream_completed"
        assert end["tool_names"] == ["get_weather"]
        assert end["finish_reason"] == "tool_calls"

    async def test_async_stream(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """An async stream ends once, with the server's usage."""
        with capture_logs() as logs:
            stream = await litellm.acompletion(**options(fake, "anthropic", stream=True))
            texts = [chunk.choices[0].delta.content async for chunk in stream if chunk.choices]
        end = endings(logs)[0]
        assert len(endings(logs)) == len(fake.requests) == 1
        assert end["event"] == "stream_completed"
        assert (end["prompt_tokens"], end["completion_tokens"]) == server_usage("anthropic")
        assert len([t for t in texts if t]) == REPLY

    def test_closed_early(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """A stream closed before its end is cancelled, once."""
        with capture_logs() as logs:
            stream = litellm.completion(**options(fake, "openai", stream=True))
            next(stream)
            stream.close()
            del stream
            gc.collect()
        assert [e["event"] for e in endings(logs)] == ["stream_cancelled"]
        assert endings(logs)[0]["reason"] == "closed"

    def test_abandoned(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """A stream dropped unread is cancelled, once."""
        with capture_logs() as logs:
            stream = litellm.completion(**options(fake, "anthropic", stream=True))
            next(stream)
            del stream
            # LiteLLM's logging threads hold the stream until their queued work has run.
            deadline = time.monotonic() + 10
            while not endings(logs) and time.monotonic() < deadline:
                gc.collect()
                time.sleep(0.02)
        assert [(e["event"], e["reason"]) for e in endings(logs)] == [
            ("stream_cancelled", "abandoned")
        ]


class TestEmbedding:
    def test_embedding(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """An embedding is logged once with the server's tokens and its cost."""
        inputs = ["hello world", "the quarterly report"]
        with capture_logs() as logs:
            result = litellm.embedding(
                model="openai/text-embedding-3-small",
                input=inputs,
                api_base=fake.openai_base_url,
                api_key="sk-test",
            )
        end = endings(logs)[0]
        assert end["event"] == "embeddings_request_completed"
        assert end["provider"] == "openai"
        assert end["prompt_tokens"] == result.usage.prompt_tokens > 0
        assert end["embedding_count"] == 2
        assert end["cost_usd"] > 0
        assert len(fake.requests) == 1

    async def test_aembedding(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """An aembedding is logged once."""
        with capture_logs() as logs:
            result = await litellm.aembedding(
                model="openai/text-embedding-3-small",
                input=["hello"],
                api_base=fake.openai_base_url,
                api_key="sk-test",
            )
        end = endings(logs)[0]
        assert len(endings(logs)) == len(fake.requests) == 1
        assert end["prompt_tokens"] == result.usage.prompt_tokens


FAULTS = [
    ("rate_limit", "rate_limit_exceeded", "RateLimitError"),
    ("timeout", "timeout", "Timeout"),
    ("context_length", "context_length_exceeded", "ContextWindowExceededError"),
    ("server_error", "server_error", "InternalServerError"),
    ("overloaded", "overloaded", None),
    ("disconnect", "connection_error", "InternalServerError"),
]


class TestFaults:
    @pytest.mark.parametrize("provider", ["openai", "anthropic"])
    @pytest.mark.parametrize(("fault", "error", "raised"), FAULTS)
    def test_fault(
        self,
        fake: FakeLLMProvider,
        costs: CostTracker,
        provider: str,
        fault: str,
        *,
        error: str,
        raised: str | None,
    ) -> None:
        """A fault ends the call once, classified; the caller gets LiteLLM's own exception."""
        headers = {"x-fake-fault": fault}
        if fault == "timeout":
            headers["x-fake-fault-hang"] = "3"
        call = options(fake, provider, extra_headers=headers, timeout=0.5)
        with capture_logs() as logs, pytest.raises(openai.APIError) as caught:
            litellm.completion(**call)
        ends = endings(logs)
        assert len(ends) == len(fake.requests) == 1
        end = ends[0]
        assert end["event"] == "chat_request_failed"
        assert end["error"] == error
        assert end["error_type"] == type(caught.value).__name__
        assert end["provider"] == provider
        assert end["server_port"] == fake.port
        if raised is not None:
            assert type(caught.value).__name__ == raised
        if fault == "rate_limit":
            assert end["retry_after"] == 0.05
        assert "cost_usd" not in end

    @pytest.mark.parametrize("provider", ["openai", "anthropic"])
    def test_stream_error(self, fake: FakeLLMProvider, costs: CostTracker, provider: str) -> None:
        """An error event mid-stream fails the stream once and reaches the caller."""
        headers = {"x-fake-fault": "stream_error"}
        seen: list[object] = []
        with capture_logs() as logs:
            stream = litellm.completion(
                **options(fake, provider, stream=True, extra_headers=headers)
            )
            with pytest.raises(openai.APIError):
                seen.extend(stream)
        assert seen
        assert [e["event"] for e in endings(logs)] == ["stream_failed"]
        assert len(fake.requests) == 1

    def test_budget_stops_before_sending(self, fake: FakeLLMProvider) -> None:
        """A spent budget refuses the call before LiteLLM sends anything."""
        tracker = CostTracker(
            total_budget=Budget(hard_limit_usd=Decimal("0.000001"), period="total")
        )
        with instrument_litellm(observers=[tracker]):
            litellm.completion(**options(fake, "openai"))
            with pytest.raises(BudgetExceededError):
                litellm.completion(**options(fake, "openai"))
        assert len(fake.requests) == 1


class TestOnceWithSDKHook:
    @pytest.mark.parametrize("stream", [False, True])
    def test_openai_sdk_hook_on_too(
        self, fake: FakeLLMProvider, costs: CostTracker, stream: bool
    ) -> None:
        """With instrument_openai() on too, LiteLLM's OpenAI calls are logged once, by LiteLLM."""
        with instrument_openai(), capture_logs() as logs:
            result = litellm.completion(**options(fake, "openai", stream=stream))
            if stream:
                list(result)
            with pytest.raises(litellm.exceptions.RateLimitError):
                litellm.completion(
                    **options(fake, "openai", extra_headers={"x-fake-fault": "rate_limit"})
                )
            sdk = fake.openai_client(max_retries=0)
            sdk.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
            sdk.close()
        ends = endings(logs)
        assert len(ends) == len(fake.requests) == 3
        assert [e["logger"] for e in ends] == ["llm.litellm", "llm.litellm", "llm.openai"]
        assert ends[0]["prompt_tokens"] == count_prompt_tokens([PROMPT])


class TestSetup:
    def test_uninstrument_restores(self, fake: FakeLLMProvider) -> None:
        """uninstrument() puts LiteLLM's functions back; calls are then not logged."""
        before = {n: getattr(litellm, n) for n in ("completion", "acompletion", "embedding")}
        handle = instrument_litellm()
        assert instrument_litellm() is handle
        assert litellm.completion is not before["completion"]
        handle.uninstrument()
        assert {n: getattr(litellm, n) for n in before} == before
        with capture_logs() as logs:
            litellm.completion(**options(fake, "openai"))
        assert llm_events(logs) == []

    def test_other_options_refused(self) -> None:
        """A second instrument_litellm() with other options says to undo the first."""
        with instrument_litellm(), pytest.raises(ValueError, match="uninstrument"):
            instrument_litellm(capture_content=True)

    def test_auto_enable(self, fake: FakeLLMProvider) -> None:
        """logmoji run's import hook instruments LiteLLM already imported."""
        from logmoji.llm.instrumentation import auto

        auto.enable(["litellm"])
        try:
            with capture_logs() as logs:
                litellm.completion(**options(fake, "anthropic"))
        finally:
            auto.disable()
        assert [e["provider"] for e in endings(logs)] == ["anthropic"]

    def test_no_network_but_the_fake(self, fake: FakeLLMProvider, costs: CostTracker) -> None:
        """An instrumented LiteLLM call connects to the fake provider only (no price download)."""
        global _connections  # noqa: PLW0603 - the audit hook cannot be removed, only muted
        _connections = []
        try:
            asyncio.run(litellm.acompletion(**options(fake, "openai")))
            litellm.completion(**options(fake, "anthropic"))
        finally:
            seen, _connections = _connections, None
        assert seen
        assert {port for _, port in seen} == {fake.port}


@pytest.mark.parametrize(
    ("llm_provider", "api_base", "expected"),
    [
        ("openai", None, ("openai", None, None)),
        ("openai", "https://api.groq.com/openai/v1", ("groq", "api.groq.com", 443)),
        ("openai", "https://vllm.example.com/v1", ("openai_compatible", "vllm.example.com", 443)),
        ("openai", "http://localhost:11434/v1", ("ollama", "localhost", 11434)),
        ("anthropic", "http://127.0.0.1:8787", ("anthropic", "127.0.0.1", 8787)),
        ("azure", "https://me.openai.azure.com", ("azure.ai.openai", "me.openai.azure.com", 443)),
        ("gemini", None, ("gcp.gemini", None, None)),
        ("vertex_ai", None, ("gcp.vertex_ai", None, None)),
        ("mistral", "https://api.mistral.ai/v1", ("mistral_ai", "api.mistral.ai", 443)),
        ("xai", "https://api.x.ai/v1", ("x_ai", "api.x.ai", 443)),
        ("ollama", "http://localhost:11434", ("ollama", "localhost", 11434)),
        ("bedrock", None, ("aws.bedrock", None, None)),
        ("some_new_provider", None, ("some_new_provider", None, None)),
    ],
)
def test_provider_names(
    llm_provider: str, api_base: str | None, expected: tuple[str, str | None, int | None]
) -> None:
    """LiteLLM's provider names map to logmoji's, an OpenAI-shaped base URL named by its host."""
    server = server_for(llm_provider, api_base)
    assert (server.provider, server.address, server.port) == expected


@pytest.mark.parametrize(
    ("model", "expected"),
    [
        ("groq/llama3-8b-8192", ("llama3-8b-8192", "groq", "api.groq.com")),
        ("claude-haiku-4-5", ("claude-haiku-4-5", "anthropic", None)),
        ("gemini/gemini-2.5-flash", ("gemini-2.5-flash", "gcp.gemini", None)),
        ("not-a-known-model", ("not-a-known-model", "litellm", None)),
    ],
)
def test_resolve(model: str, expected: tuple[str, str, str | None]) -> None:
    """A model string resolves, through LiteLLM's router, to the model, provider and host."""
    routed, server = resolve(model, None, None)
    assert (routed, server.provider, server.address) == expected
