"""Read OpenAI requests, results and streams; hook one ``OpenAI``/``AsyncOpenAI`` client.

Covered: ``chat.completions.create`` (operation ``chat``, plain and
``stream=True``; ``chat.completions.stream()`` goes through it too) and
``chat.completions.parse`` (``chat``, structured outputs: it posts by itself),
``responses.create`` and ``responses.parse`` (``responses``) and
``embeddings.create`` (``embeddings``).

A chat stream reports usage only if asked with
``stream_options={"include_usage": True}``. When the caller did not ask, it is
added to the request and the extra usage-only chunk is hidden from the caller,
so the logged ``completion_tokens`` are the server's count, not a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logmoji.llm._call import Call, Outcome, Prompt
from logmoji.llm._hooks import Operation, Patches, get_field, hook_client, summarize, wrap_method
from logmoji.llm._runtime import Runtime
from logmoji.llm.streams import StreamTracker
from logmoji.llm.tokens import TokenEstimate, estimate_texts

__all__ = ["PROVIDER", "REQUEST_ID_HEADER", "install"]

PROVIDER = "openai"
REQUEST_ID_HEADER = "x-request-id"
_RESPONSE_EVENTS = frozenset(
    {
        "response.created",
        "response.in_progress",
        "response.completed",
        "response.incomplete",
        "response.failed",
    }
)


def _items(value: object) -> list[object]:
    """Return a prompt's items; an iterator is left unread (the SDK still has to send it)."""
    if isinstance(value, list | tuple):
        return list(value)
    return []


def _estimated(call: Call, completion: int) -> Outcome:
    """Build usage from counted deltas, for a stream that ended without reporting usage."""
    prompt = call.prompt.estimate.count
    return Outcome(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=prompt + completion,
        extra={"usage_estimated": True},
    )


class ChatTracker(StreamTracker):
    """Watch ``ChatCompletionChunk`` items."""

    __slots__ = ("finish_reason", "response_id", "response_model", "strip", "usage")

    def __init__(self, call: Call, strip: bool) -> None:
        super().__init__(call)
        self.strip = strip
        self.usage: Any = None
        self.finish_reason: str | None = None
        self.response_model: str | None = None
        self.response_id: str | None = None

    def feed(self, item: Any) -> bool:
        """Count content deltas, keep the finish reason and the usage chunk."""
        self.chunks += 1
        choices = item.choices
        if choices:
            choice = choices[0]
            delta = choice.delta
            if delta is not None and (delta.content or delta.tool_calls):
                self.token(delta.content)
            if choice.finish_reason is not None:
                self.finish_reason = choice.finish_reason
        if self.response_model is None:
            self.response_model, self.response_id = item.model, item.id
        if item.usage is not None:
            self.usage = item.usage
            return bool(choices) or not self.strip
        return True

    def fallback(self, item: Any) -> bool:
        """Still hide the usage-only chunk the caller did not ask for."""
        return not (self.strip and item.usage is not None and not item.choices)

    def outcome(self) -> Outcome:
        """Return the server's usage, or the delta count flagged as an estimate."""
        outcome = (
            _chat_usage(self.usage)
            if self.usage is not None
            else _estimated(self.call, self.deltas)
        )
        outcome.response_model = self.response_model
        outcome.response_id = self.response_id
        outcome.finish_reason = self.finish_reason
        return outcome


class ResponsesTracker(StreamTracker):
    """Watch Responses API stream events."""

    __slots__ = ("response",)

    def __init__(self, call: Call) -> None:
        super().__init__(call)
        self.response: Any = None

    def feed(self, item: Any) -> bool:
        """Count text deltas; keep the latest ``response`` snapshot (usage comes with the last)."""
        self.chunks += 1
        kind = item.type
        if kind == "response.output_text.delta":
            self.token(item.delta)
        elif kind in _RESPONSE_EVENTS:
            self.response = item.response
        return True

    def outcome(self) -> Outcome:
        """Return the usage of the final response, or the delta count flagged as an estimate."""
        response = self.response
        if get_field(response, "usage") is None:
            outcome = _estimated(self.call, self.deltas)
            outcome.response_model = get_field(response, "model")
            outcome.response_id = get_field(response, "id")
            return outcome
        return _response_outcome(response, False)


def _chat_usage(usage: object) -> Outcome:
    return Outcome(
        prompt_tokens=get_field(usage, "prompt_tokens"),
        completion_tokens=get_field(usage, "completion_tokens"),
        total_tokens=get_field(usage, "total_tokens"),
        cached_tokens=get_field(get_field(usage, "prompt_tokens_details"), "cached_tokens"),
        reasoning_tokens=get_field(
            get_field(usage, "completion_tokens_details"), "reasoning_tokens"
        ),
    )


def _response_outcome(result: object, capture: bool) -> Outcome:
    usage = get_field(result, "usage")
    outcome = Outcome(
        prompt_tokens=get_field(usage, "input_tokens"),
        completion_tokens=get_field(usage, "output_tokens"),
        total_tokens=get_field(usage, "total_tokens"),
        cached_tokens=get_field(get_field(usage, "input_tokens_details"), "cached_tokens"),
        reasoning_tokens=get_field(get_field(usage, "output_tokens_details"), "reasoning_tokens"),
        response_model=get_field(result, "model"),
        response_id=get_field(result, "id"),
    )
    status = get_field(result, "status")
    reason = get_field(get_field(result, "incomplete_details"), "reason")
    outcome.finish_reason = reason if isinstance(reason, str) else status
    if capture:
        text = None if isinstance(result, Mapping) else getattr(result, "output_text", None)
        if text is None:
            text = "".join(
                get_field(part, "text") or ""
                for item in get_field(result, "output") or ()
                for part in get_field(item, "content") or ()
                if get_field(part, "type") == "output_text"
            )
        outcome.text = text
    return outcome


class Chat(Operation):
    """``chat.completions.create``."""

    name = "chat"

    def prompt(self, kwargs: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``messages``."""
        return summarize(kwargs.get("model"), _items(kwargs.get("messages")), capture)

    def prepare(self, kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Ask a stream for its usage when the caller did not; hide that chunk then."""
        if kwargs.get("stream") is not True:
            return kwargs, False
        options = kwargs.get("stream_options")
        if isinstance(options, Mapping) and options.get("include_usage") is True:
            return kwargs, False
        merged = {**options} if isinstance(options, Mapping) else {}
        merged["include_usage"] = True
        return {**kwargs, "stream_options": merged}, True

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read a ``ChatCompletion``."""
        outcome = _chat_usage(get_field(result, "usage"))
        outcome.response_model = get_field(result, "model")
        outcome.response_id = get_field(result, "id")
        choices = get_field(result, "choices")
        if choices:
            first = choices[0]
            outcome.finish_reason = get_field(first, "finish_reason")
            if capture:
                outcome.text = get_field(get_field(first, "message"), "content")
        return outcome

    def tracker(self, call: Call, strip_usage: bool) -> StreamTracker:
        """Watch chat chunks."""
        return ChatTracker(call, strip_usage)


class Responses(Operation):
    """``responses.create``."""

    name = "responses"

    def prompt(self, kwargs: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``instructions`` and ``input`` (a string is one message)."""
        given = kwargs.get("input")
        items: list[object] = [given] if isinstance(given, str) else _items(given)
        instructions = kwargs.get("instructions")
        if isinstance(instructions, str):
            items.insert(0, {"role": "system", "content": instructions})
        return summarize(kwargs.get("model"), items, capture)

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read a ``Response``."""
        return _response_outcome(result, capture)

    def tracker(self, call: Call, strip_usage: bool) -> StreamTracker:
        """Watch Responses events."""
        return ResponsesTracker(call)


class Embeddings(Operation):
    """``embeddings.create``."""

    name = "embeddings"

    def prompt(self, kwargs: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``input``: strings are estimated, token arrays counted exactly."""
        given = kwargs.get("input")
        if isinstance(given, str) or (
            isinstance(given, list) and given and isinstance(given[0], int)
        ):
            given = [given]
        items = _items(given)
        model = kwargs.get("model")
        name = model if isinstance(model, str) else str(model)
        strings = [item for item in items if isinstance(item, str)]
        count = sum(len(item) for item in items if isinstance(item, list | tuple))
        method = "heuristic"
        for text in strings:
            estimate = estimate_texts([text], 0, name)
            count += estimate.count
            method = estimate.method
        return Prompt(
            model=name,
            message_count=len(items),
            chars=sum(map(len, strings)),
            estimate=TokenEstimate(count, "tiktoken" if method == "tiktoken" else "heuristic"),
            text="\n".join(strings) if capture else None,
        )

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read a ``CreateEmbeddingResponse``."""
        usage = get_field(result, "usage")
        data = get_field(result, "data")
        return Outcome(
            prompt_tokens=get_field(usage, "prompt_tokens"),
            total_tokens=get_field(usage, "total_tokens"),
            response_model=get_field(result, "model"),
            extra={"embedding_count": len(data)} if isinstance(data, list) else {},
        )


CHAT = Chat()
RESPONSES = Responses()
EMBEDDINGS = Embeddings()


def install(patches: Patches, client: Any, rt: Runtime, *, is_async: bool) -> None:
    """Hook the covered methods and the response/retry hooks of one OpenAI client."""
    hook_client(patches, client, is_async=is_async)
    completions = client.chat.completions
    wrap_method(patches, completions, "create", rt, CHAT, is_async=is_async)
    wrap_method(patches, client.responses, "create", rt, RESPONSES, is_async=is_async)
    # parse() (structured outputs) posts by itself, not through create()
    if callable(getattr(completions, "parse", None)):
        wrap_method(patches, completions, "parse", rt, CHAT, is_async=is_async)
    if callable(getattr(client.responses, "parse", None)):
        wrap_method(patches, client.responses, "parse", rt, RESPONSES, is_async=is_async)
    wrap_method(patches, client.embeddings, "create", rt, EMBEDDINGS, is_async=is_async)
    for owner in (client, client.chat, completions, client.responses, client.embeddings):
        patches.drop(owner, "with_raw_response")
        patches.drop(owner, "with_streaming_response")
