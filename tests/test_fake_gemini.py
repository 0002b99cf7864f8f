"""Exercise the fake provider's Gemini API with the real google-genai SDK over real HTTP."""

from __future__ import annotations

import http.client
import json
from collections.abc import Iterator
from typing import Any

import httpx2
import pytest
from google import genai
from google.genai import errors, types
from pydantic import BaseModel

from logmoji.testing._fake_provider import FakeLLMProvider
from logmoji.testing._fake_text import WORDS, count_prompt_tokens

HELLO = "hello there"
HELLO_TOKENS = count_prompt_tokens([HELLO])  # ceil(11 / 4) + 3 = 6
OPEN: list[genai.Client] = []


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture(autouse=True)
def _fresh(fake: FakeLLMProvider) -> Iterator[None]:
    """Forget faults and requests left by another test; close the test's clients."""
    fake.reset()
    yield
    while OPEN:
        OPEN.pop().close()


def client_for(fake: FakeLLMProvider, **kw: Any) -> genai.Client:
    """Return a client for the fake provider that gives up after one second."""
    client = fake.google_client(**{"http_options": {"timeout": 1000}, **kw})
    OPEN.append(client)
    return client


def post(fake: FakeLLMProvider, path: str, body: Any) -> tuple[int, Any]:
    """POST JSON to the fake provider with the standard library; return status and JSON."""
    connection = http.client.HTTPConnection(fake.host, fake.port, timeout=5)
    try:
        payload = json.dumps(body).encode()
        headers = {"content-type": "application/json", "x-goog-api-key": "k"}
        connection.request("POST", path, payload, headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read() or b"null")
    finally:
        connection.close()


def weather(city: str, days: int) -> str:
    """Return the forecast for a city."""
    return f"{city}: sunny for {days} days"


class TestGenerateContent:
    def test_reply_and_usage(self, fake: FakeLLMProvider) -> None:
        """A reply has the fake's words, usageMetadata by the documented rules, ids and model."""
        result = client_for(fake).models.generate_content(model="gemini-2.0-flash", contents=HELLO)
        assert result.text is not None
        assert set(result.text.split()) <= set(WORDS)
        assert len(result.text.split()) == fake.reply_tokens
        usage = result.usage_metadata
        assert usage is not None
        assert (usage.prompt_token_count, usage.candidates_token_count) == (HELLO_TOKENS, 24)
        assert usage.total_token_count == HELLO_TOKENS + 24
        assert usage.thoughts_token_count is None
        assert usage.cached_content_token_count is None
        assert result.model_version == "gemini-2.0-flash"
        assert result.response_id
        assert result.candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
        assert fake.requests[-1].path == "/v1/models/gemini-2.0-flash:generateContent"

    def test_thinking_and_cache(self, fake: FakeLLMProvider) -> None:
        """A thinking model reports thoughts apart; cached tokens count in the prompt's."""
        client = client_for(fake, http_options={"headers": {"x-fake-cached-tokens": "3"}})
        result = client.models.generate_content(model="gemini-2.5-flash", contents=HELLO)
        usage = result.usage_metadata
        assert usage is not None
        assert (usage.candidates_token_count, usage.thoughts_token_count) == (24, 12)
        assert usage.cached_content_token_count == 3
        assert usage.total_token_count == HELLO_TOKENS + 24 + 12
        config = types.GenerateContentConfig(
            thinking_config=types.ThinkingConfig(thinking_budget=0)
        )
        plain = client.models.generate_content(
            model="gemini-2.5-flash", contents=HELLO, config=config
        )
        assert plain.usage_metadata.thoughts_token_count is None  # type: ignore[union-attr]

    def test_system_instruction_and_limit(self, fake: FakeLLMProvider) -> None:
        """The system instruction counts as a message; maxOutputTokens cuts to MAX_TOKENS."""
        config = types.GenerateContentConfig(
            system_instruction="be brief", max_output_tokens=5, http_options={"timeout": 1000}
        )
        result = client_for(fake).models.generate_content(
            model="gemini-2.0-flash", contents=HELLO, config=config
        )
        usage = result.usage_metadata
        assert usage is not None
        assert usage.prompt_token_count == count_prompt_tokens(["be brief", HELLO])
        assert usage.candidates_token_count == 5
        assert result.candidates[0].finish_reason == types.FinishReason.MAX_TOKENS  # type: ignore[index]

    def test_reply_tokens_header(self, fake: FakeLLMProvider) -> None:
        """x-fake-reply-tokens, sent as a per-request header, sets the reply's length."""
        config = types.GenerateContentConfig(
            http_options={"headers": {"x-fake-reply-tokens": "3"}, "timeout": 1000}
        )
        result = client_for(fake).models.generate_content(
            model="gemini-2.0-flash", contents=HELLO, config=config
        )
        assert len((result.text or "").split()) == 3

    def test_structured_output(self, fake: FakeLLMProvider) -> None:
        """A response schema is answered with the smallest JSON that fits it."""

        class City(BaseModel):
            name: str
            population: int

        config = types.GenerateContentConfig(
            response_mime_type="application/json", response_schema=City
        )
        result = client_for(fake).models.generate_content(
            model="gemini-2.0-flash", contents=HELLO, config=config
        )
        assert result.parsed == City(name="text", population=1)

    def test_vertex_path(self, fake: FakeLLMProvider) -> None:
        """A Vertex AI client's longer path is answered the same way."""
        result = client_for(fake, vertexai=True).models.generate_content(
            model="gemini-2.0-flash", contents=HELLO
        )
        assert result.usage_metadata.prompt_token_count == HELLO_TOKENS  # type: ignore[union-attr]
        assert fake.requests[-1].path.endswith(
            "/publishers/google/models/gemini-2.0-flash:generateContent"
        )


class TestStream:
    def test_chunks_and_usage(self, fake: FakeLLMProvider) -> None:
        """Each word is a chunk with usage so far; the last chunk has the full counts and reason."""
        chunks = list(
            client_for(fake).models.generate_content_stream(
                model="gemini-2.5-flash", contents=HELLO
            )
        )
        assert len(chunks) == 25
        assert [c.usage_metadata.candidates_token_count for c in chunks[:3]] == [1, 2, 3]  # type: ignore[union-attr]
        last = chunks[-1]
        assert last.candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
        assert last.usage_metadata.candidates_token_count == 24  # type: ignore[union-attr]
        assert last.usage_metadata.thoughts_token_count == 12  # type: ignore[union-attr]
        assert last.usage_metadata.total_token_count == HELLO_TOKENS + 36  # type: ignore[union-attr]
        assert all(c.candidates[0].finish_reason is None for c in chunks[:-1])  # type: ignore[index]
        assert fake.requests[-1].path.endswith(":streamGenerateContent")

    def test_stream_error(self, fake: FakeLLMProvider) -> None:
        """A stream_error fault sends chunks, then Google's error event, which the SDK raises."""
        fake.inject("stream_error", after=2, provider="gemini")
        seen: list[Any] = []
        with pytest.raises(errors.ServerError) as caught:
            seen.extend(
                client_for(fake).models.generate_content_stream(
                    model="gemini-2.0-flash", contents=HELLO
                )
            )
        assert len(seen) == 2
        assert (caught.value.code, caught.value.status) == (500, "INTERNAL")


class TestTools:
    def test_function_call_then_text(self, fake: FakeLLMProvider) -> None:
        """Offered functions are called with schema-fitting args; a functionResponse gets text."""
        client = client_for(fake)
        chat = client.chats.create(
            model="gemini-2.0-flash", config=types.GenerateContentConfig(tools=[weather])
        )
        reply = chat.send_message("forecast?")
        assert reply.text
        first, second = fake.requests
        assert first.body["tools"][0]["functionDeclarations"][0]["name"] == "weather"
        answer = second.body["contents"][-1]["parts"][0]["functionResponse"]
        assert answer == {"name": "weather", "response": {"result": "text: sunny for 1 days"}}

    def test_modes(self, fake: FakeLLMProvider) -> None:
        """Mode NONE answers with words; ANY with one allowed name calls that function."""

        def other() -> str:
            """Do nothing."""
            return ""

        client = client_for(fake)

        def ask(mode: str, allowed: list[str] | None = None) -> types.GenerateContentResponse:
            calling = types.FunctionCallingConfig(mode=mode, allowed_function_names=allowed)  # type: ignore[arg-type]
            config = types.GenerateContentConfig(
                tools=[weather, other],
                tool_config=types.ToolConfig(function_calling_config=calling),
                automatic_function_calling={"disable": True},
            )
            return client.models.generate_content(
                model="gemini-2.0-flash", contents=HELLO, config=config
            )

        assert ask("NONE").function_calls is None
        assert [c.name for c in ask("AUTO").function_calls or ()] == ["weather"]
        assert [c.name for c in ask("ANY", ["other"]).function_calls or ()] == ["other"]
        tokens = ask("AUTO").usage_metadata.candidates_token_count  # type: ignore[union-attr]
        assert tokens == 1 + len('{"city":"text","days":1}') // 4


class TestEmbeddings:
    def test_batch_embed(self, fake: FakeLLMProvider) -> None:
        """embed_content sends batchEmbedContents; vectors have the asked size; usage comes back."""
        result = client_for(fake).models.embed_content(
            model="gemini-embedding-001",
            contents=["abcd", "abcdefgh"],
            config={"output_dimensionality": 16},
        )
        assert [len(e.values or ()) for e in result.embeddings or ()] == [16, 16]
        assert result.usage_metadata.prompt_token_count == 3  # type: ignore[union-attr]

    def test_single_embed_content(self, fake: FakeLLMProvider) -> None:
        """The single :embedContent endpoint answers one unit vector of the default size."""
        status, body = post(
            fake,
            "/v1beta/models/text-embedding-004:embedContent",
            {"content": {"parts": [{"text": "abcd"}]}},
        )
        assert status == 200
        values = body["embedding"]["values"]
        assert len(values) == 768
        assert sum(v * v for v in values) == pytest.approx(1.0, rel=1e-4)
        assert body["usageMetadata"] == {"promptTokenCount": 1, "totalTokenCount": 1}


class TestErrors:
    @pytest.mark.parametrize(
        ("fault", "code", "status"),
        [
            ("rate_limit", 429, "RESOURCE_EXHAUSTED"),
            ("server_error", 500, "INTERNAL"),
            ("overloaded", 503, "UNAVAILABLE"),
            ("context_length", 400, "INVALID_ARGUMENT"),
            ("request_timeout", 504, "DEADLINE_EXCEEDED"),
        ],
    )
    def test_status_faults(self, fake: FakeLLMProvider, fault: str, code: int, status: str) -> None:
        """Each status fault is Google's error body, which the SDK raises as its APIError."""
        fake.inject(fault, provider="gemini")
        with pytest.raises(errors.APIError) as caught:
            client_for(fake).models.generate_content(model="gemini-2.0-flash", contents=HELLO)
        assert (caught.value.code, caught.value.status) == (code, status)
        assert caught.value.message

    def test_rate_limit_retry_info(self, fake: FakeLLMProvider) -> None:
        """A 429 carries google.rpc.RetryInfo with the retry delay and no retry-after header."""
        fake.inject("rate_limit", retry_after=2)
        with pytest.raises(errors.ClientError) as caught:
            client_for(fake).models.generate_content(model="gemini-2.0-flash", contents=HELLO)
        details = caught.value.details["error"]["details"]
        assert details == [
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "2s"}
        ]
        assert "retry-after" not in caught.value.response.headers  # type: ignore[union-attr]

    def test_context_length_message(self, fake: FakeLLMProvider) -> None:
        """The context-length fault says the input token count exceeds the maximum."""
        fake.inject("context_length")
        with pytest.raises(errors.ClientError, match="exceeds the maximum number of tokens"):
            client_for(fake).models.generate_content(model="gemini-2.0-flash", contents=HELLO)

    def test_timeout_and_disconnect(self, fake: FakeLLMProvider) -> None:
        """A hang runs into the client's timeout; a disconnect is a transport error."""
        client = client_for(fake)
        fake.inject("timeout", hang=3)
        with pytest.raises(httpx2.TimeoutException):
            client.models.generate_content(model="gemini-2.0-flash", contents=HELLO)
        fake.inject("disconnect")
        with pytest.raises(httpx2.TransportError):
            client.models.generate_content(model="gemini-2.0-flash", contents=HELLO)

    def test_bad_requests(self, fake: FakeLLMProvider) -> None:
        """Unknown paths are 404 and empty contents 400, both as Google error bodies."""
        status, body = post(fake, "/v1beta/models/gemini-2.0-flash:countTokens", {})
        assert (status, body["error"]["status"]) == (404, "NOT_FOUND")
        status, body = post(fake, "/v1beta/models/gemini-2.0-flash:generateContent", {})
        assert (status, body["error"]["status"]) == (400, "INVALID_ARGUMENT")
        assert "contents" in body["error"]["message"]

    def test_inject_for_gemini_only(self, fake: FakeLLMProvider) -> None:
        """A fault queued for gemini leaves OpenAI requests alone."""
        fake.inject("server_error", provider="gemini")
        status, _ = post(
            fake,
            "/v1/chat/completions",
            {"model": "gpt-4o", "messages": [{"role": "user", "content": "x"}]},
        )
        assert status == 200
        with pytest.raises(errors.ServerError):
            client_for(fake).models.generate_content(model="gemini-2.0-flash", contents=HELLO)
