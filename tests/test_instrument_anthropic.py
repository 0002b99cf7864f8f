"""Instrumented Anthropic clients against the fake provider over real HTTP.

The matrix runs ``messages.create`` (plain and ``stream=True``) and
``messages.stream()``, sync and async, through every fault, and checks the
events, the token counts against the server's, the error category, the
retries, the caller's objects and that the prompt never reaches the logs.
"""

from __future__ import annotations

import asyncio
import gc
import ssl
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Literal

import anthropic
import httpx2
import pytest
from pydantic import BaseModel

from _sdk_calls import Spy, ending, llm_events, names, touched
from logmoji.llm._record import CallRecord
from logmoji.llm.instrumentation import instrument, instrument_anthropic
from logmoji.llm.instrumentation.errors import classify_error
from logmoji.llm.instrumentation.providers.anthropic import MESSAGES
from logmoji.testing import capture_logs
from logmoji.testing._fake_provider import FakeLLMProvider
from logmoji.testing._fake_text import count_prompt_tokens

MARKER = "zebra-marker-7f3a"
PROMPT = f"Summarise the {MARKER} file for me"
REPLY = 24
MODEL = "claude-haiku-4-5"
TLS = ssl.create_default_context()  # shared: building one per client costs ~25 ms
KWARGS: dict[str, Any] = {
    "model": MODEL,
    "max_tokens": 100,
    "messages": [{"role": "user", "content": PROMPT}],
}
PROMPT_TOKENS = count_prompt_tokens([PROMPT])
KINDS = ("plain", "create_stream", "stream_helper")


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture(autouse=True)
def _fresh(fake: FakeLLMProvider) -> None:
    """Forget faults and requests left by another test."""
    fake.reset()


def sync_client(fake: FakeLLMProvider, **kw: Any) -> anthropic.Anthropic:
    """Return a sync client for the fake provider."""
    options = {"max_retries": 0, "timeout": 2.0, **kw}
    return fake.anthropic_client(http_client=anthropic.DefaultHttpxClient(verify=TLS), **options)


def async_client(fake: FakeLLMProvider, **kw: Any) -> anthropic.AsyncAnthropic:
    """Return an async client for the fake provider."""
    options = {"max_retries": 0, "timeout": 2.0, **kw}
    http_client = anthropic.DefaultAsyncHttpxClient(verify=TLS)
    return fake.async_anthropic_client(http_client=http_client, **options)


@pytest.fixture
def client(fake: FakeLLMProvider) -> Iterator[anthropic.Anthropic]:
    """Return a sync client, closed after the test."""
    made = sync_client(fake)
    yield made
    made.close()


@dataclass(frozen=True)
class Scenario:
    """One fault (or none) and what the logs must say about it."""

    name: str
    fault: str | None = None
    params: dict[str, float] = field(default_factory=dict)
    max_retries: int = 0
    timeout: float = 2.0
    streams: bool | None = None  # True: streams only; False: plain calls only
    raises: type[BaseException] | tuple[type[BaseException], ...] | None = None
    error: str | None = None
    emoji: str = "✨"
    retries: int = 0
    headers: bool = True  # whether the final response carried rate-limit headers
    mid_stream: bool = False


SCENARIOS = [
    Scenario("ok"),
    Scenario("retried", "rate_limit", {"retry_after": 0.01}, max_retries=2, retries=1),
    Scenario("overload_retried", "overloaded", {"retry_after": 0.01}, max_retries=1, retries=1),
    Scenario(
        "rate_limited",
        "rate_limit",
        {"retry_after": 0.01},
        raises=anthropic.RateLimitError,
        error="rate_limit_exceeded",
        emoji="🛑",
    ),
    Scenario(
        "timeout",
        "timeout",
        {"hang": 5},
        timeout=0.25,
        raises=anthropic.APITimeoutError,
        error="timeout",
        emoji="⏰",
        headers=False,
    ),
    Scenario(
        "context_length",
        "context_length",
        raises=anthropic.BadRequestError,
        error="context_length_exceeded",
        emoji="📏",
    ),
    Scenario(
        "server_error",
        "server_error",
        raises=anthropic.InternalServerError,
        error="server_error",
        emoji="💥",
    ),
    Scenario(
        "overloaded", "overloaded", raises=anthropic.OverloadedError, error="overloaded", emoji="💥"
    ),
    Scenario(
        "disconnect",
        "disconnect",
        raises=anthropic.APIConnectionError,
        error="connection_error",
        emoji="💥",
        headers=False,
    ),
    Scenario(
        "stream_error",
        "stream_error",
        {"after": 3},
        streams=True,
        raises=anthropic.APIStatusError,
        error="overloaded",
        emoji="💥",
        mid_stream=True,
    ),
    Scenario(
        "stream_disconnect",
        "disconnect",
        {"after": 3},
        streams=True,
        # Newer SDKs wrap a mid-stream disconnect in APIConnectionError (as their
        # docs say of network errors); older ones let the transport error through.
        raises=(anthropic.APIConnectionError, httpx2.TransportError),
        error="connection_error",
        emoji="💥",
        mid_stream=True,
    ),
]
CASES = [
    (kind, scenario)
    for kind in KINDS
    for scenario in SCENARIOS
    if scenario.streams is None or scenario.streams == (kind != "plain")
]


def expected_names(kind: str, scenario: Scenario) -> list[str]:
    """Return the event names one call must log, in order."""
    started = ["messages_request_started"] + ["request_retried"] * scenario.retries
    rate = ["rate_limit_status"] if scenario.headers else []
    if scenario.raises is not None and not scenario.mid_stream:
        return [*started, *rate, "messages_request_failed"]
    if kind == "plain":
        return [*started, *rate, "messages_request_completed"]
    end = "stream_failed" if scenario.raises is not None else "stream_completed"
    return [*started, *rate, "stream_started", end]


def run_sync(client: anthropic.Anthropic, kind: str) -> tuple[Any, list[Any]]:
    """Make one call the way an application would; return the result and streamed items."""
    if kind == "plain":
        return client.messages.create(**KWARGS), []
    if kind == "create_stream":
        result = client.messages.create(**KWARGS, stream=True)
        with result:
            return result, list(result)
    manager = client.messages.stream(**KWARGS)
    with manager as stream:
        texts = list(stream.text_stream)
        stream.get_final_message()
    return manager, texts


async def run_async(client: anthropic.AsyncAnthropic, kind: str) -> tuple[Any, list[Any]]:
    """Make one async call the way an application would."""
    if kind == "plain":
        return await client.messages.create(**KWARGS), []
    if kind == "create_stream":
        result = await client.messages.create(**KWARGS, stream=True)
        async with result:
            return result, [item async for item in result]
    manager = client.messages.stream(**KWARGS)
    async with manager as stream:
        texts = [text async for text in stream.text_stream]
        await stream.get_final_message()
    return manager, texts


class TestMatrix:
    """Method × sync/async × plain/stream × fault, end to end."""

    @pytest.mark.parametrize("mode", ["sync", "async"])
    @pytest.mark.parametrize(
        ("kind", "scenario"), CASES, ids=[f"{kind}-{sc.name}" for kind, sc in CASES]
    )
    async def test_call(
        self, fake: FakeLLMProvider, mode: str, kind: str, scenario: Scenario
    ) -> None:
        """The call logs its events with the server's tokens; the caller gets the SDK's objects."""
        is_async = mode == "async"
        client: Any = (async_client if is_async else sync_client)(
            fake, max_retries=scenario.max_retries, timeout=scenario.timeout
        )
        spy = Spy((anthropic.Stream, anthropic.AsyncStream))
        method = "stream" if kind == "stream_helper" else "create"
        # messages.stream returns its context manager at once, from the async client too
        spy.install(client.messages, method, is_async=is_async and method == "create")
        handle = instrument(client)
        if scenario.fault is not None:
            fake.inject(scenario.fault, **scenario.params)
        caught: BaseException | None = None
        result: Any = None
        items: list[Any] = []
        with capture_logs() as logs:
            try:
                if is_async:
                    result, items = await run_async(client, kind)
                else:
                    result, items = run_sync(client, kind)
            except Exception as exc:
                caught = exc
        handle.uninstrument()
        await client.close() if is_async else client.close()

        assert names(logs) == expected_names(kind, scenario)
        last = ending(logs)
        assert last["emoji"] == (scenario.emoji if kind == "plain" or scenario.raises else "🌊")
        assert last["retries"] == scenario.retries
        assert MARKER not in repr(logs)
        if scenario.raises is not None:
            assert isinstance(caught, scenario.raises)
            if method == "create":
                assert caught is spy.raised[-1]
            assert last["error"] == scenario.error
            assert last["error_type"] == type(caught).__name__
            if scenario.fault == "rate_limit":
                assert last["retry_after"] == 0.01
                assert logs.named("rate_limit_status")[0]["log_level"] == "warning"
            return
        assert caught is None
        assert result is spy.returned[-1]
        assert last["prompt_tokens"] == PROMPT_TOKENS
        assert last["completion_tokens"] == REPLY
        assert last["total_tokens"] == PROMPT_TOKENS + REPLY
        assert last["request_id"].startswith("req_")
        if kind == "plain":
            assert last["input_tokens"] == result.usage.input_tokens
            assert last["output_tokens"] == result.usage.output_tokens
            assert last["finish_reason"] == result.stop_reason
        else:
            assert last["tokens_streamed"] == REPLY
            assert last["finish_reason"] == "end_turn"
            assert last["ttft_ms"] <= last["duration_ms"]
            assert len(items) == (REPLY if kind == "stream_helper" else last["chunks"])


class TestUsage:
    """Anthropic usage, normalised."""

    def test_cached_tokens(self, client: anthropic.Anthropic) -> None:
        """Cache reads count in ``prompt_tokens`` and show as ``cached_tokens``."""
        instrument(client)
        with capture_logs() as logs:
            message = client.messages.create(**KWARGS, extra_headers={"x-fake-cached-tokens": "3"})

        last = ending(logs)
        assert message.usage.cache_read_input_tokens == 3
        assert last["cached_tokens"] == 3
        assert last["input_tokens"] == message.usage.input_tokens == PROMPT_TOKENS - 3
        assert last["prompt_tokens"] == PROMPT_TOKENS

    def test_system_prompt(self, client: anthropic.Anthropic) -> None:
        """The system prompt counts as one more message in the estimate, as the server counts."""
        instrument(client)
        with capture_logs() as logs:
            client.messages.create(**KWARGS, system="Be brief.")

        started = logs.named("messages_request_started")[0]
        assert started["message_count"] == 2
        assert started["estimated_prompt_tokens"] == ending(logs)["prompt_tokens"]

    def test_retry_after_for_spec_snippet(self, client: anthropic.Anthropic, fake: Any) -> None:
        """classify_error() gives the retry-after the spec's snippet read from ``e.retry_after``."""
        fake.inject("rate_limit", retry_after=2.5)

        with pytest.raises(anthropic.RateLimitError) as info:
            client.messages.create(**KWARGS)

        assert classify_error(info.value).retry_after == 2.5


class TestStreamEnd:
    """A stream stopped early is logged once as cancelled."""

    def test_helper_left_early(self, client: anthropic.Anthropic) -> None:
        """Leaving ``messages.stream()`` after a few texts logs one ``stream_cancelled``."""
        instrument(client)
        with capture_logs() as logs:
            with client.messages.stream(**KWARGS) as stream:
                for index, _ in enumerate(stream.text_stream):
                    if index == 4:
                        break
            gc.collect()

        assert names(logs).count("stream_cancelled") == 1
        last = ending(logs)
        assert last["event"] == "stream_cancelled"
        assert last["prompt_tokens"] == PROMPT_TOKENS
        assert last["tokens_streamed"] == 5

    def test_raw_stream_closed_early(self, client: anthropic.Anthropic) -> None:
        """Closed before ``message_delta``: the start's ids and input, the deltas counted."""
        instrument(client)
        events: list[Any] = []
        with capture_logs() as logs:
            cached = {"x-fake-cached-tokens": "3"}
            with client.messages.create(**KWARGS, stream=True, extra_headers=cached) as stream:
                for event in stream:
                    events.append(event)
                    if sum(e.type == "content_block_delta" for e in events) == 5:
                        break
            gc.collect()

        last = ending(logs)
        start = events[0].message
        assert (last["response_model"], last["response_id"]) == (start.model, start.id)
        assert (last["input_tokens"], last["cached_tokens"]) == (start.usage.input_tokens, 3)
        assert (last["prompt_tokens"], last["completion_tokens"]) == (PROMPT_TOKENS, 5)
        assert last["total_tokens"] == PROMPT_TOKENS + 5
        assert last["usage_estimated"] is True
        assert "finish_reason" not in last

    def test_never_read(self, client: anthropic.Anthropic) -> None:
        """Closed before ``message_start``: the prompt as estimated, no ids, no reason."""
        instrument(client)
        with capture_logs() as logs:
            client.messages.create(**KWARGS, stream=True).close()
            gc.collect()

        last = ending(logs)
        estimate = logs.named("messages_request_started")[0]["estimated_prompt_tokens"]
        assert (last["prompt_tokens"], last["total_tokens"]) == (estimate, estimate)
        assert (last["completion_tokens"], last["usage_estimated"]) == (0, True)
        assert not {"response_id", "response_model", "finish_reason"} & last.keys()

    def test_abandoned(self, client: anthropic.Anthropic) -> None:
        """A raw stream dropped unclosed is logged as cancelled once it is collected."""
        instrument(client)
        with capture_logs() as logs:
            stream = client.messages.create(**KWARGS, stream=True)
            next(stream)
            del stream
            gc.collect()

        assert names(logs)[-1] == "stream_cancelled"
        assert ending(logs)["reason"] in ("abandoned", "closed")

    async def test_task_cancelled(self) -> None:
        """Cancelling the task reading ``messages.stream()`` logs one ``stream_cancelled``."""
        with FakeLLMProvider(tokens_per_second=200) as slow:
            client = async_client(slow)
            instrument(client)
            first = asyncio.Event()

            async def read() -> None:
                async with client.messages.stream(**KWARGS) as stream:
                    async for _ in stream.text_stream:
                        first.set()

            with capture_logs() as logs:
                task = asyncio.create_task(read())
                await first.wait()
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
                gc.collect()
            await client.close()

        assert names(logs).count("stream_cancelled") == 1
        assert 0 < ending(logs)["tokens_streamed"] < REPLY


class TestContentAndRaw:
    """Content capture and raw responses."""

    def test_capture_content_stream(self, client: anthropic.Anthropic) -> None:
        """With ``capture_content`` the streamed reply is logged in full."""
        instrument(client, capture_content=True)
        with capture_logs() as logs, client.messages.stream(**KWARGS, system="Be brief.") as s:
            text = s.get_final_text()

        assert logs.named("messages_request_started")[0]["prompt"] == (
            f"system: Be brief.\nuser: {PROMPT}"
        )
        assert ending(logs)["response"] == text

    @pytest.mark.parametrize("raw", [False, True], ids=["sdk-object", "raw-body"])
    def test_capture_content_plain(self, client: anthropic.Anthropic, raw: bool) -> None:
        """A plain reply, as the SDK's ``Message`` or the raw JSON body: model, id and text."""
        instrument(client, capture_content=True)
        with capture_logs() as logs:
            if raw:
                message = client.messages.with_raw_response.create(**KWARGS).parse()
            else:
                message = client.messages.create(**KWARGS)

        last = ending(logs)
        assert (last["response_model"], last["response_id"]) == (message.model, message.id)
        text = "".join(block.text for block in message.content if block.type == "text")
        assert last["response"] == text != ""

    def test_blocks_without_text(self) -> None:
        """A body's text blocks with no text add nothing; other blocks are not text."""
        body = {
            "content": [
                {"type": "text", "text": None},
                {"type": "text", "text": "tides"},
                {"type": "thinking", "thinking": "hmm", "text": "not a reply"},
            ],
            "usage": {"input_tokens": 1, "output_tokens": 2},
        }
        assert MESSAGES.outcome(body, True).text == "tides"
        assert MESSAGES.outcome({"usage": None}, True).text == ""

    def test_raw_response(self, client: anthropic.Anthropic) -> None:
        """``with_raw_response`` returns the raw response, logged with the server's usage."""
        instrument(client)
        with capture_logs() as logs:
            raw = client.messages.with_raw_response.create(**KWARGS)

        assert raw.parse().usage.output_tokens == ending(logs)["completion_tokens"]
        assert ending(logs)["request_id"] == raw.headers["request-id"]


@dataclass
class Recorder:
    """An observer double that keeps the records."""

    records: list[CallRecord] = field(default_factory=list)

    def observe(self, record: CallRecord) -> dict[str, object]:
        self.records.append(record)
        return {"cost_usd": 0.25}


class TestObservers:
    """Observers see streamed calls with the server's usage."""

    def test_stream_record(self, client: anthropic.Anthropic) -> None:
        """A ``messages.stream()`` call reaches the observer once, with exact tokens."""
        recorder = Recorder()
        instrument(client, observers=[recorder])
        with capture_logs() as logs, client.messages.stream(**KWARGS) as stream:
            stream.until_done()

        (record,) = recorder.records
        assert (record.input_tokens, record.output_tokens) == (PROMPT_TOKENS, REPLY)
        assert record.stream is True
        assert record.ttft_ms is not None
        assert ending(logs)["cost_usd"] == 0.25


class Verdict(BaseModel):
    """A structured output for ``messages.parse``."""

    answer: Literal["yes", "no"]
    reasons: list[str]
    score: float | None = None


class TestParse:
    """``messages.parse`` (structured outputs) posts by itself; it is logged like ``create``."""

    def test_sync(self, client: anthropic.Anthropic) -> None:
        """The caller's parsed output is intact; started and completed carry the usage."""
        instrument(client)
        with capture_logs() as logs:
            result = client.messages.parse(
                model=MODEL,
                max_tokens=200,
                messages=KWARGS["messages"],
                output_format=Verdict,
            )
        assert result.parsed_output == Verdict(answer="yes", reasons=["text"], score=1.0)
        events = [e for e in llm_events(logs) if e["event"] != "rate_limit_status"]  # 🚦 at debug
        assert [e["event"] for e in events] == [
            "messages_request_started",
            "messages_request_completed",
        ]
        assert events[-1]["completion_tokens"] == result.usage.output_tokens
        assert events[-1]["request_id"] == result._request_id

    def test_async(self, fake: FakeLLMProvider) -> None:
        """The async client's parse() is logged too."""

        async def run() -> tuple[list[dict[str, Any]], Any]:
            client = async_client(fake)
            instrument(client)
            with capture_logs() as logs:
                result = await client.messages.parse(
                    model=MODEL,
                    max_tokens=200,
                    messages=KWARGS["messages"],
                    output_format=Verdict,
                )
            await client.close()
            return logs, result

        logs, result = asyncio.run(run())
        assert result.parsed_output.answer == "yes"
        assert ending(logs)["event"] == "messages_request_completed"
        assert ending(logs)["completion_tokens"] == result.usage.output_tokens


class TestRequestIdAfterRetry:
    """With SDK middleware every attempt's response is seen; the final one's id is logged."""

    @staticmethod
    def _check(logs: list[dict[str, Any]], recorder: Recorder, result_id: str | None) -> None:
        assert result_id is not None
        assert [e["event"] for e in llm_events(logs)][-1] == "messages_request_completed"
        assert ending(logs)["request_id"] == result_id
        (record,) = recorder.records
        assert record.request_id == result_id
        assert record.retries == 1

    def test_sync(self, fake: FakeLLMProvider) -> None:
        """A 529 retried through a pass-through middleware: the id is the 200's, not the 529's."""
        attempts: list[str | None] = []

        def middleware(request: Any, call_next: Any) -> Any:
            response = call_next(request)
            attempts.append(response.http_response.headers.get("request-id"))
            return response

        client = sync_client(fake, max_retries=2, middleware=[middleware])
        recorder = Recorder()
        instrument(client, observers=[recorder])
        fake.inject("overloaded", times=1, retry_after=0.01)
        with capture_logs() as logs:
            result = client.messages.create(**KWARGS)
        client.close()
        assert len(attempts) == 2
        assert attempts[0] != attempts[1]
        self._check(logs, recorder, result._request_id)

    def test_async(self, fake: FakeLLMProvider) -> None:
        """The same with the async client."""

        async def middleware(request: Any, call_next: Any) -> Any:
            return await call_next(request)

        async def run() -> tuple[list[dict[str, Any]], Recorder, str | None]:
            client = async_client(fake, max_retries=2, middleware=[middleware])
            recorder = Recorder()
            instrument(client, observers=[recorder])
            fake.inject("overloaded", times=1, retry_after=0.01)
            with capture_logs() as logs:
                result = await client.messages.create(**KWARGS)
            await client.close()
            return logs, recorder, result._request_id

        self._check(*asyncio.run(run()))


class TestHandle:
    """Undoing the instrumentation of an Anthropic client."""

    def test_uninstrument_restores(self, client: anthropic.Anthropic) -> None:
        """After ``uninstrument()`` the client and its ``messages`` are as before."""
        objects = [client, client.messages]
        before = [touched(obj) for obj in objects]
        handle = instrument(client)
        with client.messages.stream(**KWARGS) as stream:
            stream.until_done()
        handle.uninstrument()

        assert [touched(obj) for obj in objects] == before
        with capture_logs() as logs:
            client.messages.create(**KWARGS)
        assert llm_events(logs) == []

    async def test_instrument_anthropic(self, fake: FakeLLMProvider) -> None:
        """instrument_anthropic() covers new clients until undone."""
        handle = instrument_anthropic()
        try:
            aclient = async_client(fake)
            with capture_logs() as logs:
                await aclient.messages.create(**KWARGS)
        finally:
            handle.uninstrument()
        await aclient.close()

        assert names(logs)[-1] == "messages_request_completed"
        assert "__init__" not in vars(anthropic.AsyncAnthropic) or not hasattr(
            vars(anthropic.AsyncAnthropic)["__init__"], "__wrapped__"
        )

    def test_missing_sdk(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """Without the SDK the error names the extra to install."""
        monkeypatch.setitem(sys.modules, "anthropic", None)

        with pytest.raises(ImportError, match=r"pip install 'logmoji\[anthropic\]'"):
            instrument_anthropic()
