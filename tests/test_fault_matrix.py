"""The SDK fault matrix: instrumentation never changes what the caller gets; each call ends once.

Complements the per-SDK matrices in ``test_instrument_openai.py`` and
``test_instrument_anthropic.py`` (which check each call's events and fields)
with properties across both SDKs:

* **unchanged**: for every fault (429 with and without retry, 500, 529, timeout,
  context length, mid-stream error, dropped connection), sync and async,
  plain and streamed, the instrumented client returns or raises the same as an
  uninstrumented client does (same exception type, message, status and body;
  same result and streamed items, ids aside) after the same number of HTTP
  attempts;
* **one ending**: each call logs exactly one terminal event, last, with the
  emoji for its outcome, and reaches observers exactly once; also with dozens
  of calls in flight at once, with faults and task cancellations mixed in;
* **left early**: streams closed, dropped or cancelled at any point end once;
* **no secrets**: with every logger at DEBUG, no API key reaches the output.
"""

from __future__ import annotations

import asyncio
import gc
import io
import random
import re
import ssl
from collections import Counter, defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import anthropic
import openai
import pytest

from _sdk_calls import llm_events
from logmoji import LoggingConfig, TelemetryConfig, bind_contextvars, setup_telemetry
from logmoji.llm._record import CallRecord
from logmoji.llm.instrumentation import instrument
from logmoji.logger.config import DEFAULT_MODULE_LEVELS
from logmoji.logger.context import get_contextvars
from logmoji.testing import capture_logs
from logmoji.testing._fake_provider import FakeLLMProvider

MARKER = "quokka-marker-91c2"
PROMPT = f"Describe the {MARKER} dataset"
OPENAI_KEY = "sk-proj-" + "Qw7eRt9yUi0oPa2sDf4gHj6kLz8xCv1bNm3" * 2
ANTHROPIC_KEY = "sk-ant-api03-" + "Mn5bVc7xZl9kJh1gFd3sAp0oIu2yTr4eWq6" * 3 + "AA"
TLS = ssl.create_default_context()  # shared: building one per client costs ~25 ms
ANTHROPIC_MODEL = "claude-haiku-4-5"  # other Claude models warn that they are deprecated
PROVIDERS = ("openai", "anthropic")
OPERATION = {"openai": "chat", "anthropic": "messages"}


@dataclass(frozen=True)
class Fault:
    """A fault asked for by one request's headers, and how the call must end."""

    name: str
    header: str | None = None
    params: dict[str, float] = field(default_factory=dict)
    max_retries: int = 0
    timeout: float = 2.0
    streams_only: bool = False
    ends: str = "completed"  # or "failed"
    emoji: str = "✨"  # of a plain call's ending; a completed stream ends with 🌊

    def headers(self) -> dict[str, str]:
        """Return the request headers that make the fake provider fail this way."""
        if self.header is None:
            return {}
        params = {f"x-fake-fault-{k.replace('_', '-')}": str(v) for k, v in self.params.items()}
        return {"x-fake-fault": self.header, **params}


FAULTS = [
    Fault("ok"),
    Fault("429_retried", "rate_limit", {"retry_after": 0.01}, max_retries=2),
    Fault("429", "rate_limit", {"retry_after": 0.01}, ends="failed", emoji="🛑"),
    Fault("500", "server_error", ends="failed", emoji="💥"),
    Fault("529", "overloaded", ends="failed", emoji="💥"),
    Fault("529_retried", "overloaded", {"retry_after": 0.01}, max_retries=1),
    Fault("timeout", "timeout", {"hang": 5}, timeout=0.1, ends="failed", emoji="⏰"),
    Fault("context_length", "context_length", ends="failed", emoji="📏"),
    Fault("dropped_connection", "disconnect", ends="failed", emoji="💥"),
    Fault(
        "mid_stream_error",
        "stream_error",
        {"after": 3},
        streams_only=True,
        ends="failed",
        emoji="💥",
    ),
    Fault(
        "mid_stream_disconnect",
        "disconnect",
        {"after": 3},
        streams_only=True,
        ends="failed",
        emoji="💥",
    ),
]
CASES = [
    (provider, stream, fault)
    for provider in PROVIDERS
    for stream in (False, True)
    for fault in FAULTS
    if stream or not fault.streams_only
]
TERMINAL = re.compile(
    r"^(\w+_request_(completed|failed|cancelled)|stream_(completed|failed|cancelled))$"
)
# Ids, timestamps and counters that differ between any two calls.
_VOLATILE_KEYS = frozenset({"id", "created", "created_at", "system_fingerprint"})
_VOLATILE_TEXT = re.compile(r"\b(?:chatcmpl|msg|req|resp|emb|toolu)[-_][A-Za-z0-9]+")


@dataclass
class Recorder:
    """An observer keeping each record with the ``call`` context variable it was made under."""

    records: list[tuple[Any, CallRecord]] = field(default_factory=list)

    def observe(self, record: CallRecord) -> None:
        self.records.append((get_contextvars().get("call"), record))


@pytest.fixture(scope="module")
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs for the whole module."""
    with FakeLLMProvider() as provider:
        yield provider


@pytest.fixture(autouse=True)
def _fresh(fake: FakeLLMProvider) -> None:
    """Forget faults and requests left by another test."""
    fake.reset()


@pytest.fixture(scope="module")
def sync_pairs(fake: FakeLLMProvider) -> Iterator[dict[str, tuple[Any, Any, Recorder]]]:
    """Per provider, a bare and an instrumented sync client, made once (each costs ~25 ms)."""
    pairs = {}
    handles = []
    for provider in PROVIDERS:
        bare = make_client(fake, provider, is_async=False)
        watched = make_client(fake, provider, is_async=False)
        recorder = Recorder()
        handles.append(instrument(watched, observers=[recorder]))
        pairs[provider] = (bare, watched, recorder)
    yield pairs
    for handle in handles:
        handle.uninstrument()
    for bare, watched, _ in pairs.values():
        bare.close()
        watched.close()


def make_client(fake: FakeLLMProvider, provider: str, *, is_async: bool, **kw: Any) -> Any:
    """Return an SDK client of the fake provider, with a real API-key-shaped key."""
    options = {"max_retries": 0, "timeout": 2.0, **kw}
    if provider == "openai":
        if is_async:
            return fake.async_openai_client(
                http_client=openai.DefaultAsyncHttpxClient(verify=TLS),
                api_key=OPENAI_KEY,
                **options,
            )
        return fake.openai_client(
            http_client=openai.DefaultHttpxClient(verify=TLS), api_key=OPENAI_KEY, **options
        )
    if is_async:
        return fake.async_anthropic_client(
            http_client=anthropic.DefaultAsyncHttpxClient(verify=TLS),
            api_key=ANTHROPIC_KEY,
            **options,
        )
    return fake.anthropic_client(
        http_client=anthropic.DefaultHttpxClient(verify=TLS), api_key=ANTHROPIC_KEY, **options
    )


def call_kwargs(provider: str, stream: bool, fault: Fault) -> dict[str, Any]:
    """Return the keyword arguments of one call that meets ``fault``."""
    common = {
        "messages": [{"role": "user", "content": PROMPT}],
        "stream": stream,
        "extra_headers": fault.headers(),
        "timeout": fault.timeout,
    }
    if provider == "openai":
        return {"model": "gpt-4o", **common}
    return {"model": ANTHROPIC_MODEL, "max_tokens": 100, **common}


def _create(client: Any, provider: str, fault: Fault) -> Any:
    client = client.with_options(max_retries=fault.max_retries)
    return client.chat.completions.create if provider == "openai" else client.messages.create


def _normalize(value: Any) -> Any:
    """Return ``value`` with what differs between any two identical calls taken out."""
    if isinstance(value, dict):
        return {k: _normalize(v) for k, v in value.items() if k not in _VOLATILE_KEYS}
    if isinstance(value, list | tuple):
        return [_normalize(v) for v in value]
    if isinstance(value, str):
        return _VOLATILE_TEXT.sub("<id>", value)
    return value


def fingerprint(result: Any, items: list[Any], exc: BaseException | None) -> tuple[Any, ...]:
    """Return what the caller saw, comparable between two calls."""
    if exc is not None:
        body = getattr(exc, "body", None)
        return (
            "raised",
            type(exc),
            _normalize(str(exc)),
            getattr(exc, "status_code", None),
            _normalize(body),
        )
    if items:
        return ("streamed", type(result), [_normalize(item.model_dump()) for item in items])
    return ("returned", type(result), _normalize(result.model_dump()))


def run_sync(client: Any, provider: str, stream: bool, fault: Fault) -> tuple[Any, ...]:
    """Make one call as an application would; return the fingerprint of what it saw."""
    result, items, caught = None, [], None
    try:
        result = _create(client, provider, fault)(**call_kwargs(provider, stream, fault))
        if stream:
            with result:
                items = list(result)
    except Exception as exc:
        caught = exc
    return fingerprint(result, items, caught)


async def run_async(client: Any, provider: str, stream: bool, fault: Fault) -> tuple[Any, ...]:
    """Make one async call as an application would; return the fingerprint of what it saw."""
    result, items, caught = None, [], None
    try:
        result = await _create(client, provider, fault)(**call_kwargs(provider, stream, fault))
        if stream:
            async with result:
                items = [item async for item in result]
    except Exception as exc:
        caught = exc
    return fingerprint(result, items, caught)


def terminal_events(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return the events that end a call."""
    return [e for e in llm_events(logs) if TERMINAL.match(e["event"])]


def expected_emoji(stream: bool, fault: Fault) -> str:
    """Return the emoji of the ending a call meeting ``fault`` must log."""
    return "🌊" if stream and fault.ends == "completed" else fault.emoji


class TestUnchanged:
    """Instrumented and bare clients give the caller the same outcome, after the same attempts."""

    @pytest.mark.parametrize("mode", ["sync", "async"])
    @pytest.mark.parametrize(
        ("provider", "stream", "fault"),
        CASES,
        ids=[f"{p}-{'stream' if s else 'plain'}-{f.name}" for p, s, f in CASES],
    )
    async def test_same_outcome_one_ending(  # noqa: PLR0917 (pytest passes them by name)
        self,
        fake: FakeLLMProvider,
        sync_pairs: dict[str, tuple[Any, Any, Recorder]],
        mode: str,
        provider: str,
        stream: bool,
        fault: Fault,
    ) -> None:
        """The caller's result or exception is what it would be without logmoji; one ending."""
        is_async = mode == "async"
        if is_async:  # async clients belong to this test's event loop
            bare = make_client(fake, provider, is_async=True)
            watched = make_client(fake, provider, is_async=True)
            recorder = Recorder()
            handle = instrument(watched, observers=[recorder])
        else:
            bare, watched, recorder = sync_pairs[provider]
            recorder.records.clear()
        try:
            outcomes, attempts = [], []
            for client in (bare, watched):
                before = len(fake.requests)
                with capture_logs() as logs:
                    if is_async:
                        outcomes.append(await run_async(client, provider, stream, fault))
                    else:
                        outcomes.append(run_sync(client, provider, stream, fault))
                attempts.append(len(fake.requests) - before)
        finally:
            if is_async:
                handle.uninstrument()
                await bare.close()
                await watched.close()

        assert outcomes[1] == outcomes[0]
        assert attempts[1] == attempts[0] == 1 + (fault.max_retries and 1)
        assert outcomes[0][0] == (
            "raised" if fault.ends == "failed" else ("streamed" if stream else "returned")
        )
        (ending,) = terminal_events(logs)
        assert ending is llm_events(logs)[-1]
        assert ending["event"].endswith(fault.ends)
        assert ending["emoji"] == expected_emoji(stream, fault)
        assert ending["retries"] == (1 if fault.max_retries else 0)
        assert [(r.success, r.stream) for _, r in recorder.records] == [
            (fault.ends == "completed", stream)
        ]
        assert MARKER not in repr(logs)


async def _until_received(fake: FakeLLMProvider, start: int, count: int) -> None:
    """Wait until the fake provider has received ``count`` hanging requests since ``start``."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + 30
    while sum(r.headers.get("x-fake-fault-hang") == "6" for r in fake.requests[start:]) < count:
        assert loop.time() < deadline, "the hanging requests never reached the fake provider"
        await asyncio.sleep(0.01)


class TestManyAtOnce:
    """Dozens of calls in flight at once, faults and cancellations mixed, each end once."""

    @pytest.mark.parametrize("provider", PROVIDERS)
    async def test_concurrent_calls(self, fake: FakeLLMProvider, provider: str) -> None:
        """60 calls at once, a third cancelled mid-request: one ending and one record each."""
        rng = random.Random(7)
        client = make_client(fake, provider, is_async=True)
        recorder = Recorder()
        handle = instrument(client, observers=[recorder])
        plan = []
        for i in range(60):
            stream = rng.random() < 0.5
            fault = rng.choice([f for f in FAULTS if stream or not f.streams_only])
            cancel = i % 3 == 0
            if cancel:  # a request the server never answers, cancelled by the caller
                fault = Fault("hang", "timeout", {"hang": 6}, timeout=6, ends="cancelled")
            plan.append((stream, fault, cancel))

        async def one(i: int, stream: bool, fault: Fault) -> tuple[Any, ...]:
            bind_contextvars(call=i)
            return await run_async(client, provider, stream, fault)

        start = len(fake.requests)
        try:
            with capture_logs() as logs:
                tasks = [asyncio.create_task(one(i, *plan[i][:2])) for i in range(len(plan))]
                # Cancel only once the server holds every hanging request: a fixed sleep let a
                # loaded machine cancel some before they were sent, at a different await.
                await _until_received(fake, start, sum(cancel for *_, cancel in plan))
                for task, (_, _, cancel) in zip(tasks, plan, strict=True):
                    if cancel:
                        task.cancel()
                results = await asyncio.gather(*tasks, return_exceptions=True)
                gc.collect()
        finally:
            handle.uninstrument()
            await client.close()

        endings: dict[int, list[dict[str, Any]]] = defaultdict(list)
        for event in terminal_events(logs):
            endings[event["call"]].append(event)
        records = Counter(call for call, _ in recorder.records)
        for i, (stream, fault, cancel) in enumerate(plan):
            (ending,) = endings[i]
            assert records[i] == 1
            if cancel:
                assert isinstance(results[i], asyncio.CancelledError)
                assert ending["event"] == f"{OPERATION[provider]}_request_cancelled"
                assert ending["emoji"] == "🚫"
                continue
            outcome = results[i]
            assert isinstance(outcome, tuple)
            assert outcome[0] == (
                "raised" if fault.ends == "failed" else "streamed" if stream else "returned"
            )
            assert ending["event"].endswith(fault.ends), (fault.name, ending["event"])
            assert ending["emoji"] == expected_emoji(stream, fault)

    @pytest.mark.parametrize("provider", PROVIDERS)
    async def test_cancelled_plain_call(self, fake: FakeLLMProvider, provider: str) -> None:
        """Cancelling a task waiting on a plain call re-raises CancelledError; one 🚫 ending."""
        client = make_client(fake, provider, is_async=True)
        recorder = Recorder()
        handle = instrument(client, observers=[recorder])
        hang = Fault("hang", "timeout", {"hang": 5}, timeout=5)
        try:
            with capture_logs() as logs:
                task = asyncio.create_task(run_async(client, provider, False, hang))
                await asyncio.sleep(0.2)
                task.cancel()
                with pytest.raises(asyncio.CancelledError):
                    await task
        finally:
            handle.uninstrument()
            await client.close()

        (ending,) = terminal_events(logs)
        assert (ending["event"], ending["emoji"]) == (
            f"{OPERATION[provider]}_request_cancelled",
            "🚫",
        )
        assert ending["reason"] == "CancelledError"
        assert [(r.success, r.error_category) for _, r in recorder.records] == [
            (False, "cancelled")
        ]


# Where the caller stops reading a stream, and how the stream must end.
STOPS = {
    "closed_unread": (0, "close", "stream_cancelled"),
    "closed_after_one": (1, "close", "stream_cancelled"),
    "dropped_after_one": (1, "drop", "stream_cancelled"),
    "dropped_after_all": (None, "drop", "stream_completed"),
    "closed_after_all": (None, "close", "stream_completed"),
}


class TestLeftEarly:
    """Streams left at any point end exactly once, and the caller's items are untouched."""

    @pytest.mark.parametrize("stop", STOPS)
    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_sync_stream(self, fake: FakeLLMProvider, provider: str, stop: str) -> None:
        """A sync stream closed or dropped unfinished (or finished) logs one ending."""
        count, how, ending_name = STOPS[stop]
        bare = make_client(fake, provider, is_async=False)
        watched = make_client(fake, provider, is_async=False)
        handle = instrument(watched)
        seen = []
        try:
            for client in (bare, watched):
                with capture_logs() as logs:
                    stream = _create(client, provider, FAULTS[0])(
                        **call_kwargs(provider, True, FAULTS[0])
                    )
                    items = [
                        item
                        for _, item in zip(
                            range(10**6 if count is None else count), stream, strict=False
                        )
                    ]
                    seen.append([_normalize(i.model_dump()) for i in items])
                    if how == "close":
                        stream.close()
                    del stream
                    gc.collect()
        finally:
            handle.uninstrument()
            bare.close()
            watched.close()

        assert seen[1] == seen[0]
        (ending,) = terminal_events(logs)
        assert ending["event"] == ending_name

    @pytest.mark.parametrize("stop", STOPS)
    @pytest.mark.parametrize("provider", PROVIDERS)
    async def test_async_stream(self, fake: FakeLLMProvider, provider: str, stop: str) -> None:
        """An async stream closed or dropped unfinished (or finished) logs one ending."""
        count, how, ending_name = STOPS[stop]
        client = make_client(fake, provider, is_async=True)
        handle = instrument(client)
        try:
            with capture_logs() as logs:
                stream = await _create(client, provider, FAULTS[0])(
                    **call_kwargs(provider, True, FAULTS[0])
                )
                read = 0
                while count is None or read < count:
                    try:
                        await stream.__anext__()
                    except StopAsyncIteration:
                        break
                    read += 1
                if how == "close":
                    await stream.close()
                del stream
                gc.collect()
                await asyncio.sleep(0)
        finally:
            handle.uninstrument()
            await client.close()

        endings = terminal_events(logs)
        if how == "drop" and count is not None:
            # An async generator left unfinished is closed by the loop, maybe later.
            assert len(endings) <= 1
            return
        (ending,) = endings
        assert ending["event"] == ending_name

    def test_cancelled_stream_emoji(self, fake: FakeLLMProvider) -> None:
        """A stream the caller left early ends with 🚫, like a cancelled request."""
        client = make_client(fake, "openai", is_async=False)
        instrument(client)
        try:
            with capture_logs() as logs:
                client.chat.completions.create(**call_kwargs("openai", True, FAULTS[0])).close()
        finally:
            client.close()
        assert terminal_events(logs)[0]["emoji"] == "🚫"


class TestNoSecrets:
    def test_keys_never_written(self, fake: FakeLLMProvider) -> None:
        """With every logger at DEBUG (SDKs and httpx too), no API key reaches the output."""
        stream = io.StringIO()
        loud = dict.fromkeys(DEFAULT_MODULE_LEVELS, "DEBUG")  # the SDKs' and httpx's own
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(
                    stream=stream, formatter="json", default_level="DEBUG", module_levels=loud
                )
            ),
            environ={},
        )
        for provider in PROVIDERS:
            client = make_client(fake, provider, is_async=False)
            instrument(client)
            try:
                for fault in FAULTS:
                    run_sync(client, provider, fault.streams_only, fault)
            finally:
                client.close()
        text = stream.getvalue()
        assert "stream_failed" in text
        for key in (OPENAI_KEY, ANTHROPIC_KEY):
            assert key[-12:] not in text
            assert key[:20] not in text

    @pytest.mark.parametrize("provider", PROVIDERS)
    def test_captured_content_masked_and_cut(self, fake: FakeLLMProvider, provider: str) -> None:
        """With capture_content on, the prompt is written cut to length, its secrets masked."""
        stream = io.StringIO()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")), environ={}
        )
        secret = "sk-proj-" + "Zx8cVb7nM6" * 5
        client = make_client(fake, provider, is_async=False)
        instrument(client, capture_content=True, max_content_chars=120)
        kwargs = call_kwargs(provider, False, FAULTS[0])
        kwargs["messages"] = [
            {"role": "user", "content": f"{MARKER} use key {secret} then " + "pad " * 100}
        ]
        try:
            _create(client, provider, FAULTS[0])(**kwargs)
        finally:
            client.close()
        text = stream.getvalue()
        assert MARKER in text
        assert "Zx8cVb7nM6" not in text
        assert "[REDACTED:openai_key]" in text
        assert "…[truncated" in text

    def test_captured_content_cut_inside_a_key(self, fake: FakeLLMProvider) -> None:
        """A capture cut in the middle of a key writes no piece of it."""
        stream = io.StringIO()
        setup_telemetry(
            TelemetryConfig(logging=LoggingConfig(stream=stream, formatter="json")), environ={}
        )
        head = "user: use key "
        secret = "sk-proj-" + "Zx8cVb7nM6" * 5
        client = make_client(fake, "openai", is_async=False)
        instrument(client, capture_content=True, max_content_chars=len(head) + 8 + 8)
        kwargs = call_kwargs("openai", False, FAULTS[0])
        kwargs["messages"] = [{"role": "user", "content": f"use key {secret} please"}]
        try:
            client.chat.completions.create(**kwargs)
        finally:
            client.close()
        assert "Zx8cVb7nM6" not in stream.getvalue()
        assert "Zx8cVb7" not in stream.getvalue()

    def test_prompt_not_written_at_debug(self, fake: FakeLLMProvider) -> None:
        """default_level='DEBUG' leaves the SDKs' loggers quiet: no prompt reaches the output."""
        stream = io.StringIO()
        setup_telemetry(
            TelemetryConfig(
                logging=LoggingConfig(stream=stream, formatter="json", default_level="DEBUG")
            ),
            environ={},
        )
        for provider in PROVIDERS:
            client = make_client(fake, provider, is_async=False)
            instrument(client)
            try:
                run_sync(client, provider, False, FAULTS[0])
            finally:
                client.close()
        assert MARKER not in stream.getvalue()
