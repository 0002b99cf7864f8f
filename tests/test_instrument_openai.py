"""Instrumented OpenAI clients against the fake provider over real HTTP.

The matrix runs every covered operation, sync and async, plain and streamed,
through every fault, and checks the events, the token counts against the
server's, the error category, the retries, that the caller got the SDK's own
result or exception object, and that the prompt never reaches the logs.
"""

from __future__ import annotations

import asyncio
import gc
import io
import json
import math
import ssl
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import openai
import pytest
from pydantic import BaseModel

from _sdk_calls import Spy, ending, llm_events, names, touched
from logmoji import LoggingConfig, TelemetryConfig, setup_telemetry
from logmoji.exceptions import BudgetExceededError
from logmoji.llm._record import CallRecord
from logmoji.llm.instrumentation import Instrumentation, instrument, instrument_openai
from logmoji.llm.instrumentation.providers.openai import EMBEDDINGS, RESPONSES
from logmoji.testing import capture_logs
from logmoji.testing._fake_provider import FakeLLMProvider
from logmoji.testing._fake_text import count_prompt_tokens

MARKER = "zebra-marker-7f3a"
PROMPT = f"Summarise the {MARKER} file for me"
REPLY = 24
TLS = ssl.create_default_context()  # shared: building one per client costs ~25 ms
OPERATIONS = {
    "chat": {"model": "gpt-4o", "messages": [{"role": "user", "content": PROMPT}]},
    "responses": {"model": "gpt-4o", "input": PROMPT},
    "embeddings": {"model": "text-embedding-3-small", "input": [PROMPT]},
}
PROMPT_TOKENS = {
    "chat": count_prompt_tokens([PROMPT]),
    "responses": count_prompt_tokens([PROMPT]),
    "embeddings": math.ceil(len(PROMPT) / 4),
}


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture(autouse=True)
def _fresh(fake: FakeLLMProvider) -> None:
    """Forget faults and requests left by another test."""
    fake.reset()


@pytest.fixture
def client(fake: FakeLLMProvider) -> Iterator[openai.OpenAI]:
    """Return a sync client, closed after the test."""
    made = sync_client(fake)
    yield made
    made.close()


def sync_client(fake: FakeLLMProvider, **kw: Any) -> openai.OpenAI:
    """Return a sync client for the fake provider."""
    options = {"max_retries": 0, "timeout": 2.0, **kw}
    return fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS), **options)


def async_client(fake: FakeLLMProvider, **kw: Any) -> openai.AsyncOpenAI:
    """Return an async client for the fake provider."""
    options = {"max_retries": 0, "timeout": 2.0, **kw}
    http_client = openai.DefaultAsyncHttpxClient(verify=TLS)
    return fake.async_openai_client(http_client=http_client, **options)


def resource(client: Any, operation: str) -> Any:
    """Return the object whose ``create`` runs ``operation``."""
    if operation == "chat":
        return client.chat.completions
    return getattr(client, operation)


@dataclass(frozen=True)
class Scenario:
    """One fault (or none) and what the logs must say about it."""

    name: str
    fault: str | None = None
    params: dict[str, float] = field(default_factory=dict)
    times: int = 1
    max_retries: int = 0
    timeout: float = 2.0
    streams: bool | None = None  # True: streams only; False: plain calls only
    raises: type[BaseException] | None = None
    error: str | None = None
    emoji: str = "✨"
    retries: int = 0
    headers: bool = True  # whether the final response carried rate-limit headers
    mid_stream: bool = False


SCENARIOS = [
    Scenario("ok"),
    Scenario("retried", "rate_limit", {"retry_after": 0.01}, max_retries=2, retries=1),
    Scenario(
        "rate_limited",
        "rate_limit",
        {"retry_after": 0.01},
        raises=openai.RateLimitError,
        error="rate_limit_exceeded",
        emoji="🛑",
    ),
    Scenario(
        "timeout",
        "timeout",
        {"hang": 5},
        timeout=0.25,
        raises=openai.APITimeoutError,
        error="timeout",
        emoji="⏰",
        headers=False,
    ),
    Scenario(
        "context_length",
        "context_length",
        raises=openai.BadRequestError,
        error="context_length_exceeded",
        emoji="📏",
    ),
    Scenario(
        "server_error",
        "server_error",
        raises=openai.InternalServerError,
        error="server_error",
        emoji="💥",
    ),
    Scenario(
        "overloaded",
        "overloaded",
        raises=openai.InternalServerError,
        error="overloaded",
        emoji="💥",
    ),
    Scenario(
        "disconnect",
        "disconnect",
        raises=openai.APIConnectionError,
        error="connection_error",
        emoji="💥",
        headers=False,
    ),
    Scenario(
        "stream_error",
        "stream_error",
        {"after": 3},
        streams=True,
        raises=openai.APIError,
        error="server_error",
        emoji="💥",
        mid_stream=True,
    ),
    Scenario(
        "stream_disconnect",
        "disconnect",
        {"after": 3},
        streams=True,
        raises=openai.APIConnectionError,
        error="connection_error",
        emoji="💥",
        mid_stream=True,
    ),
]
CASES = [
    (operation, stream, scenario)
    for operation in OPERATIONS
    for stream in ((False,) if operation == "embeddings" else (False, True))
    for scenario in SCENARIOS
    if scenario.streams is None or scenario.streams == stream
]


def expected_names(operation: str, stream: bool, scenario: Scenario) -> list[str]:
    """Return the event names one call must log, in order."""
    started = [f"{operation}_request_started"] + ["request_retried"] * scenario.retries
    rate = ["rate_limit_status"] if scenario.headers else []
    if scenario.raises is not None and not scenario.mid_stream:
        return [*started, *rate, f"{operation}_request_failed"]
    if not stream:
        return [*started, *rate, f"{operation}_request_completed"]
    end = "stream_failed" if scenario.raises is not None else "stream_completed"
    return [*started, *rate, "stream_started", end]


def run_sync(client: openai.OpenAI, operation: str, stream: bool) -> tuple[Any, list[Any]]:
    """Make one call the way an application would; return the result and streamed items."""
    create = resource(client, operation).create
    if not stream:
        return create(**OPERATIONS[operation]), []
    result = create(**OPERATIONS[operation], stream=True)
    with result:
        return result, list(result)


async def run_async(
    client: openai.AsyncOpenAI, operation: str, stream: bool
) -> tuple[Any, list[Any]]:
    """Make one async call the way an application would."""
    create = resource(client, operation).create
    if not stream:
        return await create(**OPERATIONS[operation]), []
    result = await create(**OPERATIONS[operation], stream=True)
    async with result:
        return result, [item async for item in result]


class TestMatrix:
    """Operation × sync/async × plain/stream × fault, end to end."""

    @pytest.mark.parametrize("mode", ["sync", "async"])
    @pytest.mark.parametrize(
        ("operation", "stream", "scenario"),
        CASES,
        ids=[f"{op}-{'stream' if s else 'plain'}-{sc.name}" for op, s, sc in CASES],
    )
    async def test_call(
        self, fake: FakeLLMProvider, mode: str, operation: str, stream: bool, scenario: Scenario
    ) -> None:
        """The call logs its events with the server's tokens; the caller gets the SDK's objects."""
        is_async = mode == "async"
        client: Any = (async_client if is_async else sync_client)(
            fake, max_retries=scenario.max_retries, timeout=scenario.timeout
        )
        spy = Spy((openai.Stream, openai.AsyncStream))
        spy.install(resource(client, operation), "create", is_async=is_async)
        handle = instrument(client)
        if scenario.fault is not None:
            fake.inject(scenario.fault, times=scenario.times, **scenario.params)
        caught: BaseException | None = None
        result: Any = None
        items: list[Any] = []
        with capture_logs() as logs:
            try:
                if is_async:
                    result, items = await run_async(client, operation, stream)
                else:
                    result, items = run_sync(client, operation, stream)
            except Exception as exc:
                caught = exc
        handle.uninstrument()
        await client.close() if is_async else client.close()

        assert names(logs) == expected_names(operation, stream, scenario)
        last = ending(logs)
        assert last["emoji"] == scenario.emoji if not stream or scenario.raises else "🌊"
        assert last["retries"] == scenario.retries
        assert MARKER not in repr(logs)
        assert "instrumentation_error" not in names(logs)
        if scenario.raises is not None:
            assert isinstance(caught, scenario.raises)
            assert caught is spy.raised[-1]
            assert last["error"] == scenario.error
            assert last["error_type"] == type(caught).__name__
            assert last["log_level"] == "error"
            if scenario.fault == "rate_limit":
                assert last["retry_after"] == 0.01
                assert logs.named("rate_limit_status")[0]["log_level"] == "warning"
            return
        assert caught is None
        assert result is spy.returned[-1]
        assert last["prompt_tokens"] == PROMPT_TOKENS[operation]
        assert last["request_id"] == fake.requests[-1].headers.get("x-request-id") or last[
            "request_id"
        ].startswith("req_")
        if operation == "embeddings":
            assert last["total_tokens"] == result.usage.total_tokens
            return
        assert last["completion_tokens"] == REPLY
        assert last["total_tokens"] == PROMPT_TOKENS[operation] + REPLY
        if stream:
            assert last["tokens_streamed"] == REPLY
            assert last["ttft_ms"] <= last["duration_ms"]
            assert last["tokens_per_second"] > 0
            assert "usage_estimated" not in last
            hidden = 1 if operation == "chat" else 0  # the usage-only chunk logmoji asked for
            assert len(items) == last["chunks"] - hidden
        else:
            usage = result.usage
            assert last["response_id"] == result.id
            assert (
                last["prompt_tokens"] == getattr(usage, "prompt_tokens", None) or usage.input_tokens
            )
            assert last["response_model"] == result.model


class TestChatStreamUsage:
    """Chat streams report exact usage without changing what the caller sees."""

    def test_usage_requested_and_chunk_hidden(
        self, fake: FakeLLMProvider, client: openai.OpenAI
    ) -> None:
        """Usage is asked for, logged exactly, and its extra chunk kept from the caller."""
        instrument(client)
        with capture_logs() as logs:
            items = list(client.chat.completions.create(**OPERATIONS["chat"], stream=True))

        assert fake.requests[-1].body["stream_options"] == {"include_usage": True}
        assert all(item.usage is None for item in items)
        assert all(item.choices for item in items)
        assert "".join(i.choices[0].delta.content or "" for i in items).count(" ") == REPLY - 1
        assert ending(logs)["completion_tokens"] == REPLY

    def test_caller_asked_for_usage(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """When the caller asked for usage they still get the usage chunk."""
        instrument(client)
        with capture_logs() as logs:
            items = list(
                client.chat.completions.create(
                    **OPERATIONS["chat"], stream=True, stream_options={"include_usage": True}
                )
            )

        assert items[-1].usage is not None
        assert ending(logs)["completion_tokens"] == items[-1].usage.completion_tokens

    def test_stream_helper(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """``chat.completions.stream()`` is logged once, with exact usage."""
        instrument(client)
        with capture_logs() as logs, client.chat.completions.stream(**OPERATIONS["chat"]) as s:
            final = s.get_final_completion()

        assert final.choices[0].message.content
        assert names(logs).count("stream_completed") == 1
        assert ending(logs)["completion_tokens"] == REPLY

    @pytest.mark.parametrize(("model", "reasoning"), [("gpt-4o", 0), ("o3-mini", REPLY // 2)])
    def test_reasoning_and_cached_tokens(
        self, client: openai.OpenAI, model: str, reasoning: int
    ) -> None:
        """Reasoning and cached tokens are logged as the server reports them."""
        instrument(client)
        with capture_logs() as logs:
            client.chat.completions.create(
                model=model,
                messages=OPERATIONS["chat"]["messages"],
                extra_headers={"x-fake-cached-tokens": "3"},
            )

        last = ending(logs)
        assert (last["reasoning_tokens"], last["cached_tokens"]) == (reasoning, 3)
        assert last["completion_tokens"] == REPLY + reasoning

    def test_ids_and_finish_reason(self, client: openai.OpenAI) -> None:
        """A stream's id and model come from its chunks, its finish reason from the last choice."""
        instrument(client)
        with capture_logs() as logs:
            items = list(client.chat.completions.create(**OPERATIONS["chat"], stream=True))

        last = ending(logs)
        assert (last["response_id"], last["response_model"]) == (items[0].id, items[0].model)
        reasons = [item.choices[0].finish_reason for item in items]
        assert reasons[-1] == last["finish_reason"] == "stop"
        assert reasons.count(None) == len(items) - 1

    def test_progress(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """``stream_progress`` is logged at debug every N streamed tokens."""
        instrument(client, progress_every=5)
        with capture_logs() as logs:
            list(client.chat.completions.create(**OPERATIONS["chat"], stream=True))

        progress = logs.named("stream_progress")
        assert [event["tokens_streamed"] for event in progress] == [5, 10, 15, 20]
        assert {event["log_level"] for event in progress} == {"debug"}
        assert {event["emoji"] for event in progress} == {"🌊"}

    def test_progress_and_captured_text(self, client: openai.OpenAI) -> None:
        """Under capture every delta's text is kept, and progress still comes every N tokens."""
        instrument(client, progress_every=7, capture_content=True)
        with capture_logs() as logs:
            items = list(client.chat.completions.create(**OPERATIONS["chat"], stream=True))

        texts = [
            i.choices[0].delta.content for i in items if i.choices and i.choices[0].delta.content
        ]
        progress = logs.named("stream_progress")
        assert len(texts) > 14
        assert [event["tokens_streamed"] for event in progress] == list(range(7, len(texts) + 1, 7))
        last = ending(logs)
        assert last["tokens_streamed"] == len(texts)
        assert last["response"] == "".join(texts)
        assert 0 < last["ttft_ms"] <= last["duration_ms"]


class TestStreamEnd:
    """A stream stopped early is logged once as cancelled."""

    def test_closed_early(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """Leaving the ``with`` block after a few chunks logs one ``stream_cancelled``."""
        instrument(client)
        with capture_logs() as logs:
            with client.chat.completions.create(**OPERATIONS["chat"], stream=True) as stream:
                for index, _ in enumerate(stream):
                    if index == 4:
                        break
            gc.collect()

        assert names(logs)[-1] == "stream_cancelled"
        assert names(logs).count("stream_cancelled") == 1
        last = ending(logs)
        assert (last["tokens_streamed"], last["reason"]) == (4, "closed")
        assert last["usage_estimated"] is True
        # The prompt as estimated before the call, the reply as counted from its deltas.
        estimate = logs.named("chat_request_started")[0]["estimated_prompt_tokens"]
        assert (last["prompt_tokens"], last["completion_tokens"]) == (estimate, 4)
        assert last["total_tokens"] == estimate + 4
        assert "finish_reason" not in last  # the chunk saying why never came

    def test_abandoned(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """A stream dropped without closing is logged as cancelled when it is collected."""
        instrument(client)
        with capture_logs() as logs:
            stream = client.chat.completions.create(**OPERATIONS["chat"], stream=True)
            next(stream)
            next(stream)
            del stream
            gc.collect()

        assert names(logs).count("stream_cancelled") == 1
        assert ending(logs)["chunks"] == 2

    def test_never_read(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """A stream closed before its first item is still logged once."""
        instrument(client)
        with capture_logs() as logs:
            client.chat.completions.create(**OPERATIONS["chat"], stream=True).close()
            gc.collect()

        assert names(logs)[-2:] == ["stream_started", "stream_cancelled"]
        last = ending(logs)
        assert not {"response_id", "response_model", "finish_reason"} & last.keys()
        assert (last["completion_tokens"], last["usage_estimated"]) == (0, True)

    def test_completed_then_closed(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """Closing a finished stream adds nothing: one call, one ending."""
        instrument(client)
        with capture_logs() as logs:
            stream = client.chat.completions.create(**OPERATIONS["chat"], stream=True)
            list(stream)
            stream.close()
            del stream
            gc.collect()

        endings = [n for n in names(logs) if n.startswith("stream_") and n != "stream_started"]
        assert endings == ["stream_completed"]

    async def test_task_cancelled(self) -> None:
        """Cancelling the task that reads a stream logs one ``stream_cancelled``."""
        with FakeLLMProvider(tokens_per_second=200) as slow:
            client = async_client(slow)
            instrument(client)
            first = asyncio.Event()

            async def read() -> None:
                stream = await client.chat.completions.create(**OPERATIONS["chat"], stream=True)
                async for chunk in stream:
                    if chunk.choices and chunk.choices[0].delta.content:
                        first.set()  # a token, not just the opening role chunk

            with capture_logs() as logs:
                task = asyncio.create_task(read())
                await first.wait()
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                gc.collect()
            await client.close()

        assert names(logs).count("stream_cancelled") == 1
        last = ending(logs)
        assert last["reason"] == "CancelledError"
        assert 0 < last["tokens_streamed"] < REPLY


class TestRawResponses:
    """``with_raw_response`` and ``with_streaming_response`` keep working."""

    def test_raw_response(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """A raw response is returned untouched and logged with the server's usage."""
        _ = client.chat.completions.with_raw_response  # cached before instrumenting
        instrument(client)
        with capture_logs() as logs:
            raw = client.chat.completions.with_raw_response.create(**OPERATIONS["chat"])

        parsed = raw.parse()
        last = ending(logs)
        assert raw.headers["x-request-id"] == last["request_id"]
        assert last["raw_response"] is True
        assert last["completion_tokens"] == parsed.usage.completion_tokens

    def test_client_level_raw_response(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """``client.with_raw_response.chat.completions.create`` is instrumented too."""
        instrument(client)
        with capture_logs() as logs:
            client.with_raw_response.chat.completions.create(**OPERATIONS["chat"])

        assert names(logs)[-1] == "chat_request_completed"

    def test_streaming_response(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """``with_streaming_response`` still lets the caller read the body themselves."""
        instrument(client)
        with (
            capture_logs() as logs,
            client.chat.completions.with_streaming_response.create(
                **OPERATIONS["chat"]
            ) as response,
        ):
            body = json.loads(response.read())

        assert body["usage"]["completion_tokens"] == REPLY
        assert names(logs)[-1] == "chat_request_completed"


class TestResponsesOutcome:
    """What a Responses result says is logged: ids, status, cache and reasoning counts, text."""

    @pytest.mark.parametrize("raw", [False, True], ids=["sdk-object", "raw-body"])
    def test_fields(self, client: openai.OpenAI, raw: bool) -> None:
        """The SDK's ``Response`` and the raw JSON body (read as a dict) give the same fields."""
        instrument(client, capture_content=True)
        request = {
            "model": "o3-mini",
            "input": PROMPT,
            "extra_headers": {"x-fake-cached-tokens": "3"},
        }
        with capture_logs() as logs:
            if raw:
                result = client.responses.with_raw_response.create(**request).parse()
            else:
                result = client.responses.create(**request)

        last = ending(logs)
        assert (last["response_id"], last["response_model"]) == (result.id, result.model)
        assert last["finish_reason"] == result.status == "completed"
        assert last["cached_tokens"] == result.usage.input_tokens_details.cached_tokens == 3
        reasoning = result.usage.output_tokens_details.reasoning_tokens
        assert last["reasoning_tokens"] == reasoning > 0
        assert last["response"] == result.output_text != ""

    @pytest.mark.parametrize("stream", [False, True])
    def test_incomplete(self, client: openai.OpenAI, stream: bool) -> None:
        """A reply cut by ``max_output_tokens`` ends with that reason, not its status."""
        instrument(client)
        with capture_logs() as logs:
            if stream:
                request = {**OPERATIONS["responses"], "max_output_tokens": 5, "stream": True}
                with client.responses.create(**request) as events:
                    result = list(events)[-1].response
            else:
                result = client.responses.create(**OPERATIONS["responses"], max_output_tokens=5)

        assert result.status == "incomplete"
        assert result.incomplete_details is not None
        assert ending(logs)["finish_reason"] == result.incomplete_details.reason
        assert result.incomplete_details.reason == "max_output_tokens"

    def test_stream_text(self, client: openai.OpenAI) -> None:
        """A streamed reply's captured text is its deltas."""
        instrument(client, capture_content=True)
        with (
            capture_logs() as logs,
            client.responses.create(**OPERATIONS["responses"], stream=True) as stream,
        ):
            items = list(stream)

        texts = [i.delta for i in items if i.type == "response.output_text.delta"]
        assert ending(logs)["response"] == "".join(texts) == items[-1].response.output_text

    def test_stream_closed_early(self, client: openai.OpenAI) -> None:
        """A stream left before its usage: the model and id of its first event, a count."""
        instrument(client)
        items: list[Any] = []
        with capture_logs() as logs:
            with client.responses.create(**OPERATIONS["responses"], stream=True) as stream:
                for item in stream:
                    items.append(item)
                    if sum(i.type == "response.output_text.delta" for i in items) == 5:
                        break
            gc.collect()

        last = ending(logs)
        created = items[0].response
        assert items[0].type == "response.created"
        assert (last["response_model"], last["response_id"]) == (created.model, created.id)
        assert last["usage_estimated"] is True
        assert last["completion_tokens"] == 5

    def test_body_output_text(self) -> None:
        """A body's text is its ``output_text`` parts; empty parts and other items add none."""
        body = {
            "output": [
                {"type": "reasoning", "summary": []},
                {
                    "type": "message",
                    "content": [
                        {"type": "output_text", "text": None},
                        {"type": "output_text", "text": "tides"},
                        {"type": "refusal", "text": "no"},
                    ],
                },
            ],
        }
        assert RESPONSES.outcome(body, True).text == "tides"
        assert RESPONSES.outcome(body, False).text is None


class TestEmbeddingsOutcome:
    """An embeddings result: its model and how many vectors came back."""

    def test_fields(self, client: openai.OpenAI) -> None:
        """``response_model`` and ``embedding_count`` come from the result."""
        instrument(client)
        with capture_logs() as logs:
            result = client.embeddings.create(model="text-embedding-3-small", input=["a", "b c"])

        last = ending(logs)
        assert last["response_model"] == result.model
        assert last["embedding_count"] == len(result.data) == 2

    def test_body_without_data(self) -> None:
        """A body with no ``data`` list has no count, rather than failing."""
        outcome = EMBEDDINGS.outcome(
            {"model": "m", "usage": {"prompt_tokens": 2, "total_tokens": 2}}, False
        )
        assert (outcome.prompt_tokens, outcome.total_tokens) == (2, 2)
        assert (outcome.response_model, outcome.extra) == ("m", {})


class TestContent:
    """Prompt and response text reach the logs only when asked."""

    def test_capture_content(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """With ``capture_content`` the prompt and the reply are logged."""
        instrument(client, capture_content=True)
        with capture_logs() as logs:
            result = client.chat.completions.create(**OPERATIONS["chat"])

        assert logs.named("chat_request_started")[0]["prompt"] == f"user: {PROMPT}"
        assert ending(logs)["response"] == result.choices[0].message.content

    def test_capture_content_stream_truncated(
        self, fake: FakeLLMProvider, client: openai.OpenAI
    ) -> None:
        """Captured text longer than ``max_content_chars`` is cut with a marker."""
        instrument(client, capture_content=True, max_content_chars=10)
        with capture_logs() as logs:
            items = list(client.chat.completions.create(**OPERATIONS["chat"], stream=True))

        text = "".join(item.choices[0].delta.content or "" for item in items)
        assert ending(logs)["response"] == f"{text[:10]}…[truncated {len(text) - 10} chars]"

    def test_marker_absent_from_output(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """With default settings the prompt text is in no line written, debug included."""
        buffer = io.StringIO()
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(
                    formatter="json",
                    stream=buffer,
                    module_levels={"llm": "DEBUG"},
                )
            )
        )
        instrument(client)
        client.chat.completions.create(**OPERATIONS["chat"])
        list(client.chat.completions.create(**OPERATIONS["chat"], stream=True))
        client.responses.create(**OPERATIONS["responses"])

        output = buffer.getvalue()
        assert "chat_request_completed" in output
        assert "rate_limit_status" in output
        assert MARKER not in output


@dataclass
class Recorder:
    """An observer double that keeps the records and adds a field."""

    records: list[CallRecord] = field(default_factory=list)
    before: list[tuple[str, str, str]] = field(default_factory=list)

    def before_call(self, provider: str, operation: str, model: str) -> None:
        self.before.append((provider, operation, model))

    def observe(self, record: CallRecord) -> dict[str, object]:
        self.records.append(record)
        return {"cost_usd": 0.5}


class Budget:
    """An observer double whose budget is spent."""

    def before_call(self, provider: str, operation: str, model: str) -> None:
        raise BudgetExceededError("daily budget spent", key=model)

    def observe(self, record: CallRecord) -> None:
        return None


class Broken:
    """An observer double that fails every time."""

    def before_call(self, provider: str, operation: str, model: str) -> None:
        raise RuntimeError("observer bug")

    def observe(self, record: CallRecord) -> None:
        raise RuntimeError("observer bug")


class TestObservers:
    """Observers see every finished call and can stop one before it is sent."""

    @pytest.mark.parametrize("stream", [False, True])
    def test_record_and_fields(
        self, fake: FakeLLMProvider, client: openai.OpenAI, stream: bool
    ) -> None:
        """An observer gets a CallRecord with the server's tokens; its fields join the ending."""
        recorder = Recorder()
        instrument(client, observers=[recorder])
        cached = {"x-fake-cached-tokens": "3"}  # unlike the reasoning tokens' 0
        with capture_logs() as logs:
            result = client.chat.completions.create(
                **OPERATIONS["chat"], stream=stream, extra_headers=cached
            )
            if stream:
                list(result)

        (record,) = recorder.records
        end = ending(logs)
        assert (end["cached_tokens"], end["reasoning_tokens"]) == (3, 0)
        assert recorder.before == [("openai", "chat", "gpt-4o")]
        # Every field, each in its place (the record is built positionally).
        assert record == CallRecord(
            provider="openai",
            operation="chat",
            model="gpt-4o",
            response_model=end["response_model"],
            input_tokens=PROMPT_TOKENS["chat"],
            output_tokens=REPLY,
            cached_tokens=end["cached_tokens"],
            cache_write_tokens=None,
            reasoning_tokens=end["reasoning_tokens"],
            duration_ms=end["duration_ms"],
            ttft_ms=end["ttft_ms"] if stream else None,
            success=True,
            error_category=None,
            stream=stream,
            retries=0,
            request_id=end["request_id"],
            server_address="127.0.0.1",
            server_port=fake.port,
        )
        assert end["cost_usd"] == 0.5

    def test_failure_record(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """A failed call reaches observers with its error category."""
        recorder = Recorder()
        instrument(client, observers=[recorder])
        fake.inject("rate_limit", retry_after=0.01)
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(**OPERATIONS["chat"])

        assert [(r.success, r.error_category) for r in recorder.records] == [(False, "rate_limit")]

    def test_budget_stops_request(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """BudgetExceededError from ``before_call`` reaches the caller; nothing is sent."""
        instrument(client, observers=[Budget()])
        with pytest.raises(BudgetExceededError, match="daily budget"):
            client.chat.completions.create(**OPERATIONS["chat"])

        assert fake.requests == []

    def test_broken_observer(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """An observer's own error is swallowed and reported once as a warning."""
        instrument(client, observers=[Broken()])
        with capture_logs() as logs:
            first = client.chat.completions.create(**OPERATIONS["chat"])
            second = client.chat.completions.create(**OPERATIONS["chat"])

        assert first.choices
        assert second.choices
        reports = logs.named("instrumentation_error")
        assert len(reports) == 1
        assert reports[0]["log_level"] == "warning"


class BrokenLogger:
    """A logger whose every method raises."""

    def __getattr__(self, name: str) -> Any:
        def fail(*args: Any, **kwargs: Any) -> None:
            raise RuntimeError("sink down")

        return fail


class TestSafety:
    """logmoji's own failures never reach the caller."""

    @pytest.mark.parametrize("stream", [False, True])
    def test_broken_logger(
        self, fake: FakeLLMProvider, client: openai.OpenAI, stream: bool
    ) -> None:
        """With a logger that raises, calls and streams still work."""
        instrument(client, logger=BrokenLogger())
        result = client.chat.completions.create(**OPERATIONS["chat"], stream=stream)
        items = list(result) if stream else [result]

        assert len(items) == (REPLY + 2 if stream else 1)

    def test_broken_clock(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """A clock that raises costs the durations, not the call."""

        def clock() -> float:
            raise OSError("no clock")

        instrument(client, clock=clock)
        with capture_logs() as logs:
            result = client.chat.completions.create(**OPERATIONS["chat"], stream=True)
            items = list(result)

        assert len(items) == REPLY + 2
        assert "instrumentation_error" in names(logs)

    def test_broken_clock_usage_asked(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """Once the tracker broke, a caller who asked for usage still gets the usage chunk."""

        def clock() -> float:
            raise OSError("no clock")

        instrument(client, clock=clock)
        with capture_logs() as logs:
            stream = client.chat.completions.create(
                **OPERATIONS["chat"], stream=True, stream_options={"include_usage": True}
            )
            items = list(stream)

        assert "instrumentation_error" in names(logs)
        assert len(items) == REPLY + 3
        assert items[-1].usage is not None
        assert not items[-1].choices


class Answer(BaseModel):
    """A structured output: nested models, a list, an optional and an enum-like literal."""

    class Step(BaseModel):
        explanation: str
        output: int

    steps: list[Step]
    final_answer: str
    confidence: float | None = None
    verdict: Literal["yes", "no"]


class TestParse:
    """``parse()`` (structured outputs) posts by itself; it is logged like ``create()``."""

    @staticmethod
    def _calls(logs: list[dict[str, Any]]) -> list[str]:
        return [name for name in names(logs) if name != "rate_limit_status"]  # 🚦 at debug

    def _check(self, logs: list[dict[str, Any]], result: Any, operation: str) -> None:
        expected = [f"{operation}_request_started", f"{operation}_request_completed"]
        assert self._calls(logs) == expected
        done = ending(logs)
        assert done["completion_tokens"] == result.usage.completion_tokens
        assert done["total_tokens"] == result.usage.total_tokens
        assert done["request_id"] == result._request_id
        assert done["emoji"] == "✨"

    def test_chat(self, client: openai.OpenAI) -> None:
        """chat.completions.parse: the caller's parsed model is intact, the call logged."""
        spy = Spy((openai.Stream, openai.AsyncStream))
        spy.install(client.chat.completions, "parse", is_async=False)
        instrument(client)
        with capture_logs() as logs:
            result = client.chat.completions.parse(
                model="gpt-4o",
                messages=[{"role": "user", "content": PROMPT}],
                response_format=Answer,
            )
        assert result is spy.returned[-1]
        parsed = result.choices[0].message.parsed
        assert isinstance(parsed, Answer)
        assert parsed.verdict == "yes"
        self._check(logs, result, "chat")

    def test_responses(self, client: openai.OpenAI) -> None:
        """responses.parse: the same for the Responses API."""
        instrument(client)
        with capture_logs() as logs:
            result = client.responses.parse(model="gpt-4o", input=PROMPT, text_format=Answer)
        assert isinstance(result.output_parsed, Answer)
        assert ending(logs)["completion_tokens"] == result.usage.output_tokens
        assert self._calls(logs) == ["responses_request_started", "responses_request_completed"]

    def test_async(self, fake: FakeLLMProvider) -> None:
        """The async client's parse() is logged too."""

        async def run() -> tuple[list[dict[str, Any]], Any]:
            client = async_client(fake)
            instrument(client)
            with capture_logs() as logs:
                result = await client.chat.completions.parse(
                    model="gpt-4o",
                    messages=[{"role": "user", "content": "x"}],
                    response_format=Answer,
                )
            await client.close()
            return logs, result

        logs, result = asyncio.run(run())
        assert isinstance(result.choices[0].message.parsed, Answer)
        self._check(logs, result, "chat")

    def test_raw_response(self, client: openai.OpenAI) -> None:
        """with_raw_response.parse goes through the wrapper as well."""
        instrument(client)
        with capture_logs() as logs:
            raw = client.chat.completions.with_raw_response.parse(
                model="gpt-4o", messages=[{"role": "user", "content": "x"}], response_format=Answer
            )
        assert isinstance(raw.parse().choices[0].message.parsed, Answer)
        assert self._calls(logs) == ["chat_request_started", "chat_request_completed"]


class TestHandle:
    """instrument() returns a handle that undoes it exactly."""

    def test_uninstrument_restores(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """After ``uninstrument()`` every touched object has its original attributes again."""
        raw = client.chat.completions.with_raw_response
        objects = [
            client,
            client.chat,
            client.chat.completions,
            client.responses,
            client.embeddings,
        ]
        before = [touched(obj) for obj in objects]
        handle = instrument(client)
        client.chat.completions.with_raw_response.create(**OPERATIONS["chat"])
        handle.uninstrument()

        assert [touched(obj) for obj in objects] == before
        assert client.chat.completions.with_raw_response is raw
        with capture_logs() as logs:
            client.chat.completions.create(**OPERATIONS["chat"])
        assert llm_events(logs) == []
        assert not handle.active

    def test_twice_same_options(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """Instrumenting again with the same options returns the same handle."""

        assert instrument(client) is instrument(client)

    def test_twice_other_options(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """Instrumenting again with other options is refused with a clear message."""
        instrument(client)

        with pytest.raises(ValueError, match="uninstrument"):
            instrument(client, capture_content=True)

    def test_context_manager(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """The handle used as a context manager undoes the instrumentation on exit."""
        with instrument(client) as handle:
            assert handle.client is client

        assert "create" not in vars(client.chat.completions)

    def test_copies(self, fake: FakeLLMProvider, client: openai.OpenAI) -> None:
        """A ``with_options()`` copy is instrumented and undone with its parent."""
        handle = instrument(client)
        copy = client.with_options(timeout=1.0)
        with capture_logs() as logs:
            copy.chat.completions.create(**OPERATIONS["chat"])
        handle.uninstrument()

        assert names(logs)[-1] == "chat_request_completed"
        assert "create" not in vars(copy.chat.completions)

    @pytest.mark.parametrize("bad", [object(), "client", None])
    def test_not_a_client(self, bad: object) -> None:
        """Anything but an SDK client is refused, saying what to pass."""
        with pytest.raises(ValueError, match=r"openai\.OpenAI"):
            instrument(bad)

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"max_content_chars": 0}, "max_content_chars"),
            ({"progress_every": 0}, "progress_every"),
            ({"rate_limit_warning_ratio": 2.0}, "rate_limit_warning_ratio"),
            ({"observers": [object()]}, "observe"),
        ],
    )
    def test_bad_options(
        self, client: openai.OpenAI, options: dict[str, Any], message: str
    ) -> None:
        """Bad options raise ValueError naming the option."""
        with pytest.raises(ValueError, match=message):
            instrument(client, **options)


class TestInstrumentOpenAI:
    """instrument_openai() covers clients created afterwards."""

    async def test_new_clients(self, fake: FakeLLMProvider) -> None:
        """Clients made after the call are instrumented; the handle restores the classes."""
        init = vars(openai.OpenAI).get("__init__")
        handle: Instrumentation = instrument_openai()
        try:
            assert instrument_openai() is handle
            client = sync_client(fake)
            aclient = async_client(fake)
            with capture_logs() as logs:
                client.chat.completions.create(**OPERATIONS["chat"])
                await aclient.chat.completions.create(**OPERATIONS["chat"])
        finally:
            handle.uninstrument()
        await aclient.close()
        client.close()
        later = sync_client(fake)
        later.close()

        assert names(logs).count("chat_request_completed") == 2
        assert vars(openai.OpenAI).get("__init__") is init
        assert "create" not in vars(client.chat.completions)
        assert "create" not in vars(later.chat.completions)

    def test_missing_sdk(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the SDK the error names the extra to install."""
        monkeypatch.setitem(sys.modules, "openai", None)

        with pytest.raises(ImportError, match=r"pip install 'logmoji\[openai\]'"):
            instrument_openai()

    def test_import_is_lazy(self) -> None:
        """Importing logmoji and its instrumentation loads no LLM SDK."""
        code = (
            "import sys, logmoji, logmoji.llm.instrumentation, logmoji.llm.instrumentation.errors;"
            "print(sorted(m for m in ('openai', 'anthropic') if m in sys.modules))"
        )
        out = subprocess.run(
            [sys.executable, "-c", code], capture_output=True, text=True, check=True
        )

        assert out.stdout.strip() == "[]"


class TestGetField:
    """Results are read the same whether they are SDK models, JSON dicts or absent."""

    def test_models_dicts_and_none(self) -> None:
        """A model by attribute, a dict (or a subclass) by key, ``None`` as absent."""
        from collections import OrderedDict

        from openai.types.completion_usage import CompletionUsage

        from logmoji.llm.instrumentation._operation import get_field

        usage = CompletionUsage(prompt_tokens=3, completion_tokens=4, total_tokens=7)
        assert get_field(usage, "prompt_tokens") == 3
        assert get_field(usage, "prompt_tokens_details") is None
        assert get_field(get_field(usage, "prompt_tokens_details"), "cached_tokens") is None
        assert get_field({"prompt_tokens": 3}, "prompt_tokens") == 3
        assert get_field(OrderedDict(prompt_tokens=5), "prompt_tokens") == 5
        # A dict's own attributes are not its fields.
        assert get_field({"items": 1}, "items") == 1
        assert get_field({}, "items") is None
        assert get_field(None, "prompt_tokens") is None
