"""Instrumented google-genai clients against the fake provider's Gemini API over real HTTP.

Every test drives the real ``google-genai`` SDK (``generate_content``, its
stream, ``embed_content``, chats, sync and ``client.aio``) and checks the
events, the provider name, the token counts against what the server sent, the
cost, the error category, and that the caller gets what an uninstrumented
client gets.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path
from typing import Any, NamedTuple

import httpx2
import orjson
import pytest
from google import genai
from google.genai import errors, types

from _sdk_calls import ending, llm_events, names
from logmoji.llm import instrument, instrument_google
from logmoji.llm.costs import CostTracker
from logmoji.llm.costs._prices import BundledPrices
from logmoji.llm.instrumentation.errors import classify_error
from logmoji.testing import capture_logs
from logmoji.testing._fake_provider import FakeLLMProvider
from logmoji.testing._fake_text import count_prompt_tokens

MARKER = "zebra-marker-7f3a"
PROMPT = f"Summarise the {MARKER} file for me"
MODEL = "gemini-2.5-flash"  # thinks: reply_tokens // 2 thought tokens
PROMPT_TOKENS = count_prompt_tokens([PROMPT])
REPLY = 24
THOUGHTS = REPLY // 2
HOOKED = ("request", "request_streamed", "async_request", "async_request_streamed")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider(cached_tokens=4) as provider:
        yield provider


OPEN: list[genai.Client] = []


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


def price(tokens: tuple[int, int, int, int], model: str = MODEL) -> float:
    """Price prompt, completion, cached and reasoning tokens from genai-prices' Google prices."""
    found = BundledPrices().lookup(model, "google")
    assert found is not None
    prompt, completion, cached, reasoning = tokens
    return float(found.cost(prompt, completion, cached, 0, reasoning))  # type: ignore[union-attr]


def bare(result: Any) -> dict[str, Any]:
    """Return a result's fields without the per-request response id."""
    dumped: dict[str, Any] = result.model_dump(exclude={"response_id"})
    return dumped


def endings(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the calls' ending events."""
    return [
        e
        for e in llm_events(logs)
        if e["event"].endswith(("_completed", "_failed", "_cancelled"))
        and e["event"] != "stream_started"
    ]


class TestGenerateContent:
    def test_plain(self, fake: FakeLLMProvider) -> None:
        """generate_content logs 💭 and ✨ with the server's usage, OTel-mapped, and its cost."""
        client = client_for(fake)
        expected = client.models.generate_content(model=MODEL, contents=PROMPT)
        instrument(client)
        with capture_logs() as logs:
            result = client.models.generate_content(model=MODEL, contents=PROMPT)
        assert bare(result) == bare(expected)
        assert names(logs) == [
            "generate_content_request_started",
            "generate_content_request_completed",
        ]
        started, done = llm_events(logs)
        assert started["provider"] == done["provider"] == "gcp.gemini"
        assert started["model"] == MODEL
        assert started["estimated_prompt_tokens"] == PROMPT_TOKENS
        port = int(fake.base_url.rsplit(":", 1)[1])
        assert (done["server_address"], done["server_port"]) == ("127.0.0.1", port)
        usage = result.usage_metadata
        assert usage is not None
        assert usage.candidates_token_count == REPLY
        assert (done["prompt_tokens"], done["cached_tokens"]) == (PROMPT_TOKENS, 4)
        assert done["completion_tokens"] == REPLY + THOUGHTS
        assert done["reasoning_tokens"] == THOUGHTS == usage.thoughts_token_count
        assert done["total_tokens"] == usage.total_token_count == PROMPT_TOKENS + REPLY + THOUGHTS
        assert done["finish_reason"] == "STOP"
        assert done["response_model"] == MODEL
        assert done["response_id"] == result.response_id
        assert done["cost_usd"] == pytest.approx(price((PROMPT_TOKENS, 36, 4, THOUGHTS)))
        assert MARKER not in str(logs)

    def test_stream(self, fake: FakeLLMProvider) -> None:
        """generate_content_stream logs 🌊 with TTFT, tokens per second and the final usage."""
        client = client_for(fake)
        expected = list(client.models.generate_content_stream(model=MODEL, contents=PROMPT))
        instrument(client)
        with capture_logs() as logs:
            chunks = list(client.models.generate_content_stream(model=MODEL, contents=PROMPT))
        assert [bare(c) for c in chunks] == [bare(c) for c in expected]
        assert names(logs) == [
            "generate_content_request_started",
            "stream_started",
            "stream_completed",
        ]
        done = ending(logs)
        assert done["provider"] == "gcp.gemini"
        assert done["chunks"] == len(chunks) == REPLY + 1
        assert done["tokens_streamed"] == REPLY
        assert done["prompt_tokens"] == PROMPT_TOKENS
        assert done["completion_tokens"] == REPLY + THOUGHTS
        assert done["total_tokens"] == chunks[-1].usage_metadata.total_token_count  # type: ignore[union-attr]
        assert done["finish_reason"] == "STOP"
        assert done["ttft_ms"] >= 0
        assert done["tokens_per_second"] > 0
        assert done["cost_usd"] == pytest.approx(price((PROMPT_TOKENS, 36, 4, THOUGHTS)))

    def test_stream_left_early(self, fake: FakeLLMProvider) -> None:
        """A stream the caller stops reading ends once, cancelled, and never read ahead."""
        client = client_for(fake)
        instrument(client)
        with capture_logs() as logs:
            stream = client.models.generate_content_stream(model=MODEL, contents=PROMPT)
            first = next(stream)
            assert names(logs)[-1] == "stream_started"
            stream.close()
        assert first.text
        assert ending(logs)["event"] == "stream_cancelled"
        assert ending(logs)["chunks"] == 1

    def test_embed_content(self, fake: FakeLLMProvider) -> None:
        """embed_content (batchEmbedContents on the wire) logs the server's prompt tokens."""
        client = client_for(fake)
        kwargs: dict[str, Any] = {
            "model": "gemini-embedding-001",
            "contents": ["first text", "second"],
            "config": {"output_dimensionality": 8},
        }
        expected = client.models.embed_content(**kwargs)
        instrument(client)
        with capture_logs() as logs:
            result = client.models.embed_content(**kwargs)
        assert result.embeddings == expected.embeddings
        assert fake.requests[-1].path.endswith(":batchEmbedContents")
        done = ending(logs)
        assert done["event"] == "embeddings_request_completed"
        assert done["provider"] == "gcp.gemini"
        assert done["embedding_count"] == 2
        assert done["prompt_tokens"] == result.usage_metadata.prompt_token_count == 5  # type: ignore[union-attr]
        assert done["cost_usd"] == pytest.approx(price((5, 0, 0, 0), "gemini-embedding-001"))

    def test_chats(self, fake: FakeLLMProvider) -> None:
        """chats.send_message and send_message_stream are logged; the history counts as messages."""
        client = client_for(fake)
        instrument(client)
        chat = client.chats.create(model="gemini-2.0-flash")
        with capture_logs() as logs:
            chat.send_message("hello there")
            streamed = list(chat.send_message_stream("and again"))
        assert streamed[-1].candidates[0].finish_reason == types.FinishReason.STOP  # type: ignore[index]
        started = [e for e in llm_events(logs) if e["event"].endswith("_started")]
        assert [e.get("message_count") for e in started] == [1, 3, None]
        done = endings(logs)
        assert [e["event"] for e in done] == [
            "generate_content_request_completed",
            "stream_completed",
        ]
        assert "reasoning_tokens" not in done[0]  # gemini-2.0-flash does not think
        assert done[0]["completion_tokens"] == REPLY
        assert len(fake.requests) == 2

    def test_vertex_client(self, fake: FakeLLMProvider) -> None:
        """A Vertex AI client is logged as gcp.vertex_ai and priced from Google's prices."""
        client = client_for(fake, vertexai=True)
        instrument(client)
        with capture_logs() as logs:
            client.models.generate_content(model=MODEL, contents=PROMPT)
        assert "/publishers/google/models/" in fake.requests[-1].path
        done = ending(logs)
        assert done["provider"] == "gcp.vertex_ai"
        assert done["cost_usd"] == pytest.approx(price((PROMPT_TOKENS, 36, 4, THOUGHTS)))

    def test_other_requests_pass_through(self, fake: FakeLLMProvider) -> None:
        """A request that is no model call (token counting) is not logged."""
        client = client_for(fake)
        instrument(client)
        with capture_logs() as logs, pytest.raises(errors.ClientError):
            client.models.count_tokens(model=MODEL, contents=PROMPT)  # the fake has no such route
        assert llm_events(logs) == []


class TestAsync:
    async def test_aio_calls(self, fake: FakeLLMProvider) -> None:
        """client.aio shares the hook: plain, streamed, chat and embedding calls end once each."""
        client = client_for(fake)
        instrument(client)
        with capture_logs() as logs:
            result = await client.aio.models.generate_content(model=MODEL, contents=PROMPT)
            stream = await client.aio.models.generate_content_stream(model=MODEL, contents=PROMPT)
            chunks = [chunk async for chunk in stream]
            chat = client.aio.chats.create(model=MODEL)
            async for _ in await chat.send_message_stream("hello there"):
                pass
            await client.aio.models.embed_content(model="gemini-embedding-001", contents="x")
        await client.aio.aclose()
        assert result.text == "".join(chunk.text or "" for chunk in chunks)
        done = endings(logs)
        assert [e["event"] for e in done] == [
            "generate_content_request_completed",
            "stream_completed",
            "stream_completed",
            "embeddings_request_completed",
        ]
        assert len(done) == len(fake.requests)
        assert done[1]["prompt_tokens"] == PROMPT_TOKENS
        assert done[1]["completion_tokens"] == REPLY + THOUGHTS
        assert done[1]["ttft_ms"] >= 0
        assert {e["provider"] for e in done} == {"gcp.gemini"}

    async def test_aio_fault(self, fake: FakeLLMProvider) -> None:
        """An async 429 raises the SDK's ClientError and logs 🛑 with the RetryInfo delay."""
        client = client_for(fake)
        instrument(client)
        fake.inject("rate_limit", retry_after=2)
        with capture_logs() as logs, pytest.raises(errors.ClientError) as caught:
            await client.aio.models.generate_content(model=MODEL, contents=PROMPT)
        await client.aio.aclose()
        assert caught.value.code == 429
        done = ending(logs)
        assert (done["error"], done["retry_after"]) == ("rate_limit_exceeded", 2.0)


def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


class TestToolCalls:
    def test_function_call_loop(self, fake: FakeLLMProvider) -> None:
        """The SDK's automatic function calling logs each request: a call to the tool, then text."""
        client = client_for(fake)
        instrument(client)
        chat = client.chats.create(
            model=MODEL, config=types.GenerateContentConfig(tools=[get_weather])
        )
        with capture_logs() as logs:
            reply = chat.send_message("What is the weather in Paris?")
        assert reply.text
        first, second = endings(logs)
        assert first["tool_names"] == ["get_weather"]
        assert first["tool_call_count"] == 1
        assert "tool_calls" not in first  # arguments only under capture_content
        assert "tool_names" not in second
        parts = fake.requests[-1].body["contents"][-1]["parts"]
        assert parts[0]["functionResponse"]["response"] == {"result": "sunny in text"}

    def test_stream_function_call_captured(self, fake: FakeLLMProvider) -> None:
        """A streamed function call is a tool call; with capture its arguments are logged."""
        client = client_for(fake)
        instrument(client, capture_content=True)
        config = types.GenerateContentConfig(
            tools=[get_weather], automatic_function_calling={"disable": True}
        )
        with capture_logs() as logs:
            chunks = list(
                client.models.generate_content_stream(model=MODEL, contents=PROMPT, config=config)
            )
        assert chunks[0].function_calls[0].args == {"city": "text"}  # type: ignore[index]
        done = ending(logs)
        assert done["tool_names"] == ["get_weather"]
        assert done["tool_calls"] == [{"name": "get_weather", "arguments": '{"city":"text"}'}]
        assert MARKER in llm_events(logs)[0]["prompt"]


class Case(NamedTuple):
    """A status fault, what the SDK raises for it and how the ending logs it."""

    fault: str
    params: dict[str, float]
    error_class: type[errors.APIError]
    status: int
    error: str
    retry_after: float | None = None


STATUS_FAULTS = [
    Case("rate_limit", {"retry_after": 2}, errors.ClientError, 429, "rate_limit_exceeded", 2.0),
    Case("context_length", {}, errors.ClientError, 400, "context_length_exceeded"),
    Case("request_timeout", {}, errors.ServerError, 504, "timeout"),
    Case("server_error", {}, errors.ServerError, 500, "server_error"),
    Case("overloaded", {}, errors.ServerError, 503, "overloaded"),
]


class TestFaults:
    @pytest.mark.parametrize("case", STATUS_FAULTS, ids=[case.fault for case in STATUS_FAULTS])
    @pytest.mark.parametrize("stream", [False, True], ids=["plain", "stream"])
    def test_status_faults(self, fake: FakeLLMProvider, case: Case, stream: bool) -> None:
        """An error status raises what the bare SDK raises and logs one classified ending."""
        fault, params, error_class = case.fault, case.params, case.error_class

        def call(client: genai.Client) -> None:
            if stream:
                list(client.models.generate_content_stream(model=MODEL, contents=PROMPT))
            else:
                client.models.generate_content(model=MODEL, contents=PROMPT)

        client = client_for(fake)
        fake.inject(fault, **params)
        with pytest.raises(error_class) as bare_error:
            call(client)
        instrument(client)
        fake.inject(fault, **params)
        with capture_logs() as logs, pytest.raises(error_class) as caught:
            call(client)
        assert type(caught.value) is type(bare_error.value)
        assert caught.value.details == bare_error.value.details
        assert names(logs) == [
            "generate_content_request_started",
            "generate_content_request_failed",
        ]
        done = ending(logs)
        assert (done["provider"], done["status_code"], done["error"]) == (
            "gcp.gemini",
            case.status,
            case.error,
        )
        assert done.get("retry_after") == case.retry_after
        assert len(fake.requests) == 2

    def test_hang_times_out(self, fake: FakeLLMProvider) -> None:
        """A server that never answers ends the call ⏰ once the client's timeout passes."""
        client = client_for(fake)
        instrument(client)
        fake.inject("timeout", hang=5)
        with capture_logs() as logs, pytest.raises(httpx2.TimeoutException):
            client.models.generate_content(model=MODEL, contents=PROMPT)
        done = ending(logs)
        assert (done["event"], done["error"]) == ("generate_content_request_failed", "timeout")

    def test_mid_stream_error(self, fake: FakeLLMProvider) -> None:
        """An error event after three chunks raises the SDK's ServerError and logs stream_failed."""
        client = client_for(fake)
        instrument(client)
        fake.inject("stream_error", after=3)
        seen = []
        with capture_logs() as logs, pytest.raises(errors.ServerError):
            seen.extend(client.models.generate_content_stream(model=MODEL, contents=PROMPT))
        done = ending(logs)
        assert (done["event"], done["error"]) == ("stream_failed", "server_error")
        assert done["chunks"] == len(seen) == 3
        assert names(logs).count("stream_started") == 1

    def test_disconnect(self, fake: FakeLLMProvider) -> None:
        """A connection closed before any answer is a connection error, logged once."""
        client = client_for(fake)
        instrument(client)
        fake.inject("disconnect")
        with capture_logs() as logs, pytest.raises(httpx2.TransportError):
            client.models.generate_content(model=MODEL, contents=PROMPT)
        assert len(endings(logs)) == 1
        assert ending(logs)["error"] == "connection_error"

    def test_retries_counted(self, fake: FakeLLMProvider) -> None:
        """The SDK's own retry after a 429 logs request_retried and retries=1 on the ending."""
        retry = types.HttpRetryOptions(attempts=2, initial_delay=0.01, jitter=0.0)
        client = client_for(fake, http_options={"timeout": 1000, "retry_options": retry})
        instrument(client)
        fake.inject("rate_limit")
        with capture_logs() as logs:
            client.models.generate_content(model=MODEL, contents=PROMPT)
        assert names(logs) == [
            "generate_content_request_started",
            "request_retried",
            "generate_content_request_completed",
        ]
        assert llm_events(logs)[1]["status_code"] == 429
        assert ending(logs)["retries"] == 1

    def test_classify_sdk_errors(self) -> None:
        """google-genai's own error objects are classified from code, status and RetryInfo."""
        body = {
            "error": {
                "code": 429,
                "message": "Quota exceeded",
                "status": "RESOURCE_EXHAUSTED",
                "details": [
                    {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37.5s"}
                ],
            }
        }
        info = classify_error(errors.ClientError(429, body))
        assert (info.category, info.retry_after, info.status_code) == ("rate_limit", 37.5, 429)
        deadline = {"error": {"code": 504, "message": "late", "status": "DEADLINE_EXCEEDED"}}
        assert classify_error(errors.ServerError(504, deadline)).category == "timeout"
        internal = {"error": {"code": 500, "message": "oops", "status": "INTERNAL"}}
        assert classify_error(errors.ServerError(500, internal)).category == "server_error"


class TestInstrumentation:
    def test_uninstrument_restores(self, fake: FakeLLMProvider) -> None:
        """uninstrument() puts back exactly the api client's attributes, and logging stops."""
        client = client_for(fake)
        api = client._api_client
        before = dict(vars(api))
        handle = instrument(client)
        assert set(HOOKED) <= set(vars(api))
        assert client.aio._api_client is api
        handle.uninstrument()
        assert vars(api) == before
        with capture_logs() as logs:
            client.models.generate_content(model=MODEL, contents=PROMPT)
        assert llm_events(logs) == []

    def test_instrument_google_covers_new_clients(self, fake: FakeLLMProvider) -> None:
        """instrument_google() instruments clients made afterwards, until it is undone."""
        original = genai.Client.__init__
        handle = instrument_google()
        try:
            client = client_for(fake)
            assert "request" in vars(client._api_client)
            with capture_logs() as logs:
                client.models.generate_content(model=MODEL, contents=PROMPT)
            assert ending(logs)["provider"] == "gcp.gemini"
        finally:
            handle.uninstrument()
        assert genai.Client.__init__ is original
        with capture_logs() as logs:
            client_for(fake).models.generate_content(model=MODEL, contents=PROMPT)
        assert llm_events(logs) == []

    def test_other_google_client_refused(self) -> None:
        """A class named Client from another package is not taken for google-genai's."""

        class Client:
            pass

        Client.__module__ = "google.cloud.storage.client"
        with pytest.raises(ValueError, match=r"google\.genai\.Client"):
            instrument(Client())

    def test_provider_names_priced_as_google(self) -> None:
        """The OTel provider names gcp.gemini and gcp.vertex_ai find genai-prices' Google prices."""
        tracker = CostTracker()
        google = tracker.price_for(MODEL, "google")
        assert google.input > Decimal(0)
        assert tracker.price_for(MODEL, "gcp.gemini") == google
        assert tracker.price_for(MODEL, "gcp.vertex_ai") == google


APP = """
import sys
from google import genai
from google.genai import types

client = genai.Client(api_key="k", http_options=types.HttpOptions(base_url=sys.argv[1]))
reply = client.models.generate_content(model="gemini-2.5-flash", contents="PROMPT-MARKER hi")
print("reply", bool(reply.text))
"""


class TestLogmojiRun:
    def test_run_instruments_google_genai(self, fake: FakeLLMProvider, tmp_path: Path) -> None:
        """``logmoji run`` logs a Gemini call of a program that only imports google.genai."""
        app = tmp_path / "app.py"
        app.write_text(APP, encoding="utf-8")
        log = tmp_path / "calls.jsonl"
        command = [sys.executable, "-m", "logmoji.cli", "run", "--json-log", str(log)]
        result = subprocess.run(
            [*command, "--no-report", "--", sys.executable, str(app), fake.gemini_base_url],
            capture_output=True,
            text=True,
            timeout=60,
            check=False,
        )
        assert result.returncode == 0, result.stderr
        assert result.stdout.strip() == "reply True"
        events = [orjson.loads(line) for line in log.read_text(encoding="utf-8").splitlines()]
        done = [e for e in events if e["event"] == "generate_content_request_completed"]
        assert len(done) == 1
        assert done[0]["provider"] == "gcp.gemini"
        assert done[0]["prompt_tokens"] == count_prompt_tokens(["PROMPT-MARKER hi"])
        assert "PROMPT-MARKER" not in log.read_text(encoding="utf-8")
