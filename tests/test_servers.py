"""OpenAI-compatible servers are named for what they are, priced as such, and located.

The table cases read the provider from a client's class and base URL; the
HTTP cases run an ``AzureOpenAI`` client and OpenAI clients for other servers
against the fake provider (its address stands in for theirs).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from typing import Any

import openai
import pytest

from _sdk_calls import llm_events
from logmoji.llm import CostTracker
from logmoji.llm.instrumentation import instrument
from logmoji.llm.instrumentation._servers import describe_server
from logmoji.testing import capture_logs
from logmoji.testing._fake_provider import FakeLLMProvider

TLS = ssl.create_default_context()
MESSAGES = [{"role": "user", "content": "Name three rivers"}]


@pytest.mark.parametrize(
    ("base_url", "provider", "address", "port"),
    [
        ("https://api.openai.com/v1", "openai", "api.openai.com", 443),
        ("https://api.groq.com/openai/v1", "groq", "api.groq.com", 443),
        ("https://api.deepseek.com", "deepseek", "api.deepseek.com", 443),
        ("https://openrouter.ai/api/v1", "openrouter", "openrouter.ai", 443),
        ("https://api.together.xyz/v1", "together", "api.together.xyz", 443),
        ("https://api.mistral.ai/v1", "mistral_ai", "api.mistral.ai", 443),
        ("https://api.x.ai/v1", "x_ai", "api.x.ai", 443),
        (
            "https://generativelanguage.googleapis.com/v1beta/openai/",
            "gcp.gemini",
            "generativelanguage.googleapis.com",
            443,
        ),
        (
            "https://myres.openai.azure.com/openai/v1",
            "azure.ai.openai",
            "myres.openai.azure.com",
            443,
        ),
        ("http://localhost:11434/v1", "ollama", "localhost", 11434),
        ("http://127.0.0.1:11434/v1", "ollama", "127.0.0.1", 11434),
        ("http://localhost:4000/v1", "openai", "localhost", 4000),
        (
            "https://llm.internal.example.com/v1",
            "openai_compatible",
            "llm.internal.example.com",
            443,
        ),
    ],
)
def test_provider_from_base_url(base_url: str, provider: str, address: str, port: int) -> None:
    """The base URL's host names the provider; the address and port are kept."""
    client = openai.OpenAI(base_url=base_url, api_key="k")
    server = describe_server(client, "openai")
    client.close()
    assert (server.provider, server.address, server.port) == (provider, address, port)


def test_azure_class() -> None:
    """An ``AzureOpenAI`` client is Azure whatever its endpoint."""
    client = openai.AzureOpenAI(
        azure_endpoint="http://127.0.0.1:9", api_key="k", api_version="2024-10-21"
    )
    assert describe_server(client, "openai").provider == "azure.ai.openai"
    client.close()


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


def _azure(fake: FakeLLMProvider) -> openai.AzureOpenAI:
    """An Azure client whose endpoint is the fake provider."""
    return openai.AzureOpenAI(
        azure_endpoint=fake.base_url,
        api_key="k",
        api_version="2024-10-21",
        max_retries=0,
        http_client=openai.DefaultHttpxClient(verify=TLS),
    )


def _async_azure(fake: FakeLLMProvider) -> openai.AsyncAzureOpenAI:
    """An async Azure client whose endpoint is the fake provider."""
    return openai.AsyncAzureOpenAI(
        azure_endpoint=fake.base_url,
        api_key="k",
        api_version="2024-10-21",
        max_retries=0,
        http_client=openai.DefaultAsyncHttpxClient(verify=TLS),
    )


def _ending(logs: list[dict[str, Any]]) -> dict[str, Any]:
    return llm_events(logs)[-1]


class TestOverHTTP:
    """Calls carry the provider, the server's address, and a price only when it is known."""

    def test_azure(self, fake: FakeLLMProvider) -> None:
        """An Azure deployment is logged as Azure, priced from Azure's list, with its address."""
        client = _azure(fake)
        expected = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        instrument(client, observers=[CostTracker()])
        with capture_logs() as logs:
            result = client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        client.close()
        # The caller's result is the SDK's: the same answer as without logmoji (ids aside).
        assert result.model_dump(
            exclude={"id", "created", "system_fingerprint"}
        ) == expected.model_dump(exclude={"id", "created", "system_fingerprint"})
        started, end = llm_events(logs)[0], _ending(logs)
        assert fake.requests[-1].path == "/openai/deployments/gpt-4o-mini/chat/completions"
        assert started["provider"] == end["provider"] == "azure.ai.openai"
        assert end["server_address"] == "127.0.0.1"
        assert end["server_port"] == int(fake.base_url.rsplit(":", 1)[1])
        assert end["completion_tokens"] == result.usage.completion_tokens
        assert end["cost_usd"] > 0

    def test_azure_stream_tools_fault(self, fake: FakeLLMProvider) -> None:
        """Azure streams, tool calls and failures are logged as Azure, with the server's usage."""
        client = _azure(fake)
        instrument(client, observers=[CostTracker()])
        tools = [{"type": "function", "function": {"name": "lookup", "parameters": {}}}]
        with capture_logs() as logs:
            chunks = list(
                client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=MESSAGES,
                    stream=True,
                    stream_options={"include_usage": True},
                )
            )
            tooled = client.chat.completions.create(
                model="gpt-4o-mini",
                messages=MESSAGES,
                tools=tools,  # type: ignore[arg-type]
            )
            with pytest.raises(openai.RateLimitError):
                client.chat.completions.create(
                    model="gpt-4o-mini",
                    messages=MESSAGES,
                    extra_headers={"x-fake-fault": "rate_limit"},
                )
        client.close()
        ends = [
            e
            for e in llm_events(logs)
            if e["event"] in ("stream_completed", "chat_request_completed", "chat_request_failed")
        ]
        streamed, asked, failed = ends
        assert {e["provider"] for e in ends} == {"azure.ai.openai"}
        assert {e["server_address"] for e in ends} == {"127.0.0.1"}
        assert streamed["completion_tokens"] == chunks[-1].usage.completion_tokens  # type: ignore[union-attr]
        assert streamed["cost_usd"] > 0
        assert asked["tool_names"] == ["lookup"]
        assert asked["completion_tokens"] == tooled.usage.completion_tokens  # type: ignore[union-attr]
        assert (failed["error"], failed["status_code"]) == ("rate_limit_exceeded", 429)

    async def test_azure_async(self, fake: FakeLLMProvider) -> None:
        """An ``AsyncAzureOpenAI`` client is Azure too."""
        client = _async_azure(fake)
        instrument(client, observers=[CostTracker()])
        with capture_logs() as logs:
            result = await client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)  # type: ignore[arg-type]
        await client.close()
        end = _ending(logs)
        assert (end["provider"], end["server_address"]) == ("azure.ai.openai", "127.0.0.1")
        assert end["completion_tokens"] == result.usage.completion_tokens  # type: ignore[union-attr]

    def test_unknown_local_gateway(self, fake: FakeLLMProvider) -> None:
        """A loopback gateway speaking OpenAI's API keeps OpenAI's name and prices."""
        client = fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS))
        instrument(client, observers=[CostTracker()])
        with capture_logs() as logs:
            client.chat.completions.create(model="gpt-4o-mini", messages=MESSAGES)
        client.close()
        end = _ending(logs)
        assert (end["provider"], end["server_address"]) == ("openai", "127.0.0.1")
        assert end["cost_usd"] > 0

    def test_ollama_not_priced(self) -> None:
        """A model on Ollama is never looked up in anyone's price list."""
        tracker = CostTracker()
        from logmoji.llm._record import CallRecord

        record = CallRecord(
            provider="ollama",
            operation="chat",
            model="gpt-4o-mini",
            input_tokens=5,
            output_tokens=5,
        )
        assert tracker.observe(record) is None
        compatible = CallRecord(
            provider="openai_compatible",
            operation="chat",
            model="gpt-4o-mini",
            input_tokens=5,
            output_tokens=5,
        )
        assert tracker.observe(compatible) is None
        openai_record = CallRecord(
            provider="openai",
            operation="chat",
            model="gpt-4o-mini",
            input_tokens=5,
            output_tokens=5,
        )
        assert tracker.observe(openai_record) is not None

    def test_price_provider_mapped(self) -> None:
        """A provider's own price list is used (Groq's Llama, not another host's)."""
        from logmoji.llm._record import CallRecord

        tracker = CostTracker()
        record = CallRecord(
            provider="groq",
            operation="chat",
            model="llama-3.1-8b-instant",
            input_tokens=1_000_000,
            output_tokens=0,
        )
        fields = tracker.observe(record)
        assert fields is not None
        assert fields["cost_usd"] == pytest.approx(0.05)
