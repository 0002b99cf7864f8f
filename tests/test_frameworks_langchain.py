"""langchain-openai and langchain-anthropic chat models: unchanged by logmoji, each call logged."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from langchain_anthropic import ChatAnthropic
from langchain_core.language_models import BaseChatModel
from langchain_core.messages import BaseMessage
from langchain_openai import ChatOpenAI
from pydantic import BaseModel

from _frameworks import ANTHROPIC_KEY, CLAUDE, GPT, OPENAI_KEY, Wiring, acompare, compare
from logmoji.testing._fake_provider import FakeLLMProvider

PROMPT = "Say something nice about the sea"
KINDS = ["openai", "anthropic"]
# Creation times, in the fake provider's whole seconds, may differ between the two runs.
CLOCKS = frozenset({"created", "created_at"})


class City(BaseModel):
    """A city and its population."""

    name: str
    population: int


def get_weather(city: str) -> str:
    """Return the weather in a city."""
    return f"sunny in {city}"


@contextmanager
def _chat(kind: str, fake: FakeLLMProvider, **options: Any) -> Iterator[BaseChatModel]:
    """Yield a langchain chat model of ``kind`` pointed at ``fake``."""
    if kind == "openai":
        yield ChatOpenAI(model=GPT, base_url=fake.openai_base_url, api_key=OPENAI_KEY, **options)
    else:
        yield ChatAnthropic(
            model=CLAUDE, base_url=fake.anthropic_base_url, api_key=ANTHROPIC_KEY, **options
        )


def _seen(message: BaseMessage) -> BaseMessage:
    """Return a message as an application sees it, without clocks and langchain's run id."""
    metadata = {k: v for k, v in message.response_metadata.items() if k not in CLOCKS}
    update: dict[str, Any] = {"response_metadata": metadata}
    if message.id is not None and message.id.startswith("lc_run-"):
        update["id"] = None  # random; a provider's id (Responses API) repeats and is kept
    return message.model_copy(update=update)


def _usage(message: Any) -> tuple[int, int]:
    """Return the input and output tokens langchain reports for a message."""
    usage = message.usage_metadata
    return usage["input_tokens"], usage["output_tokens"]


@pytest.mark.parametrize("kind", KINDS)
def test_invoke(kind: str) -> None:
    """invoke returns the same message with logmoji, logged once with langchain's usage."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat(kind, fake) as chat:
            return _seen(chat.invoke(PROMPT))

    runs = compare(scenario)
    assert runs.totals() == _usage(runs.result)


@pytest.mark.parametrize("stream_usage", [True, False])
@pytest.mark.parametrize("kind", KINDS)
def test_stream(kind: str, stream_usage: bool) -> None:
    """stream yields the same chunks with logmoji, logged once with the server's usage."""
    # Anthropic now repeats the input tokens in message_delta, where langchain-anthropic reads them.
    headers = {"x-fake-delta-usage": "cumulative"} if kind == "anthropic" else {}

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat(kind, fake, stream_usage=stream_usage, default_headers=headers) as chat:
            return [_seen(chunk) for chunk in chat.stream(PROMPT)]

    runs = compare(scenario)
    assert [e["event"] for e in runs.endings] == ["stream_completed"]
    reported = [_usage(chunk) for chunk in runs.result if chunk.usage_metadata]
    if stream_usage:
        assert runs.totals() == tuple(map(sum, zip(*reported, strict=True)))
    else:
        assert reported == []
        assert runs.totals() == runs.usage[0]


def test_anthropic_stream_split_usage() -> None:
    """When message_delta carries only output tokens, logmoji still logs message_start's input."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat("anthropic", fake, default_headers={"x-fake-delta-usage": "output"}) as chat:
            return [_seen(chunk) for chunk in chat.stream(PROMPT)]

    runs = compare(scenario)
    reported = [_usage(chunk) for chunk in runs.result if chunk.usage_metadata]
    prompt, completion = runs.totals()
    assert prompt == runs.usage[0][0] > 0
    # langchain-anthropic reads input tokens from message_delta only, so it reports none here.
    assert sum(tokens for tokens, _ in reported) == 0
    assert completion == sum(tokens for _, tokens in reported)


@pytest.mark.parametrize("kind", KINDS)
def test_structured_output(kind: str) -> None:
    """with_structured_output parses the same object with logmoji, logged once."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat(kind, fake) as chat:
            answer = chat.with_structured_output(City, include_raw=True).invoke("Paris?")
        return {"parsed": answer["parsed"], "raw": _seen(answer["raw"])}

    runs = compare(scenario)
    assert isinstance(runs.result["parsed"], City)
    assert runs.totals() == _usage(runs.result["raw"])


# langchain-openai itself warns when it dumps the chunks of a parsed stream (plain run too).
@pytest.mark.filterwarnings("ignore:Pydantic serializer warnings:UserWarning")
@pytest.mark.parametrize("kind", KINDS)
def test_structured_output_stream(kind: str) -> None:
    """Streaming a structured output yields the same objects with logmoji, logged once."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat(kind, fake) as chat:
            return list(chat.with_structured_output(City).stream("Paris?"))

    runs = compare(scenario)
    assert isinstance(runs.result[-1], City)
    assert len(runs.endings) == 1


@pytest.mark.parametrize("kind", KINDS)
def test_bind_tools(kind: str) -> None:
    """A model with bound tools asks for the same tool call with logmoji, logged with its name."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat(kind, fake) as chat:
            return _seen(chat.bind_tools([get_weather]).invoke("Weather in Paris?"))

    runs = compare(scenario)
    assert [call["name"] for call in runs.result.tool_calls] == ["get_weather"]
    assert [e["tool_names"] for e in runs.endings] == [["get_weather"]]
    assert runs.totals() == _usage(runs.result)


@pytest.mark.parametrize("kind", KINDS)
def test_bind_tools_stream(kind: str) -> None:
    """Streaming a tool call yields the same chunks with logmoji, logged once with its name."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat(kind, fake) as chat:
            return [_seen(c) for c in chat.bind_tools([get_weather]).stream("Weather in Paris?")]

    runs = compare(scenario)
    assert [e["tool_names"] for e in runs.endings] == [["get_weather"]]


@pytest.mark.parametrize("kind", KINDS)
async def test_async(kind: str) -> None:
    """astream and ainvoke return the same with logmoji, each logged once with server usage."""

    async def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat(kind, fake) as chat:
            chunks = [_seen(chunk) async for chunk in chat.astream(PROMPT)]
            return chunks, _seen(await chat.ainvoke(PROMPT))

    runs = await acompare(scenario)
    assert [e["event"] for e in runs.endings] == [
        "stream_completed",
        f"{'chat' if kind == 'openai' else 'messages'}_request_completed",
    ]
    assert runs.logged_usage[1] == _usage(runs.result[1])


def test_openai_responses_api() -> None:
    """ChatOpenAI on the Responses API: invoke, stream and bound tools, each logged once."""

    def scenario(fake: FakeLLMProvider, wiring: Wiring) -> Any:
        with _chat("openai", fake, use_responses_api=True) as chat:
            answer = _seen(chat.invoke(PROMPT))
            chunks = [_seen(chunk) for chunk in chat.stream(PROMPT)]
            call = _seen(chat.bind_tools([get_weather]).invoke("Weather in Paris?"))
        return answer, chunks, call

    runs = compare(scenario)
    answer, _, call = runs.result
    assert [e["event"] for e in runs.endings] == [
        "responses_request_completed",
        "stream_completed",
        "responses_request_completed",
    ]
    assert [e.get("tool_names") for e in runs.endings] == [None, None, ["get_weather"]]
    assert runs.logged_usage[0] == _usage(answer)
    assert runs.logged_usage[2] == _usage(call)
