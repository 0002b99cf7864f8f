"""Read OpenAI requests, results and streams: the adapter for ``OpenAI``/``AsyncOpenAI``.

Every request to ``/chat/completions`` (operation ``chat``), ``/responses``
(``responses``), ``/embeddings`` (``embeddings``), ``/responses/compact``
(``responses_compact``) or ``/decisions`` (``decisions``) is logged, whichever
method sent it: ``create``, ``parse``, ``stream()``, the ``beta`` twins and
the raw and streaming-response wrappers (see :mod:`logmoji.llm.instrumentation._hooks`).

A chat stream reports usage only if asked with
``stream_options={"include_usage": True}``. When the caller did not ask, it is
added to the request and the extra usage-only chunk is hidden from the caller,
so the logged ``completion_tokens`` are the server's count, not a guess.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logmoji.llm.instrumentation._call import Call
from logmoji.llm.instrumentation._content import chat_content, responses_content
from logmoji.llm.instrumentation._hooks import Routes, hook_client
from logmoji.llm.instrumentation._operation import Operation, get_field, request_settings, summarize
from logmoji.llm.instrumentation._outcome import Outcome, Prompt, ToolCall
from logmoji.llm.instrumentation._patches import Patches
from logmoji.llm.instrumentation._runtime import Runtime
from logmoji.llm.instrumentation.streams import StreamTracker
from logmoji.llm.tokens import TokenEstimate, estimate_texts

__all__ = ["PROVIDER", "REQUEST_ID_HEADER", "ROUTES", "install"]

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

    __slots__ = ("finish_reason", "response_id", "response_model", "strip", "tools", "usage")

    def __init__(self, call: Call, strip: bool) -> None:
        super().__init__(call)
        self.strip = strip
        self.tools: dict[int, list[str]] | None = None
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
            if delta is not None:
                content = delta.content
                tools = delta.tool_calls
                if content or tools:
                    self.token(content)
                    if tools:
                        self._tool_deltas(tools)
            if choice.finish_reason is not None:
                self.finish_reason = choice.finish_reason
        if self.response_model is None:
            self.response_model, self.response_id = item.model, item.id
        usage = item.usage
        if usage is not None:
            self.usage = usage
            return bool(choices) or not self.strip
        return True

    def _tool_deltas(self, deltas: Any) -> None:
        """Keep each tool call's name, and its argument fragments when capturing."""
        tools = self.tools if self.tools is not None else {}
        self.tools = tools
        for delta in deltas:
            parts = tools.setdefault(delta.index, [""])
            function = delta.function
            if function is None:
                continue
            if function.name:
                parts[0] = function.name
            if function.arguments and self.parts is not None:
                parts.append(function.arguments)

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
        if self.tools:
            capture = self.parts is not None
            outcome.tool_calls = [
                ToolCall(parts[0], "".join(parts[1:]) if capture else None)
                for _, parts in sorted(self.tools.items())
            ]
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
        return _response_outcome(response, self.parts is not None)


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
    outcome.tool_calls = _response_tool_calls(get_field(result, "output"), capture)
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


def _response_tool_calls(output: object, capture: bool) -> list[ToolCall] | None:
    """Read the ``*_call`` output items of a Response (function, custom, built-in tools)."""
    calls: list[ToolCall] = []
    for item in output if isinstance(output, list) else ():
        kind = get_field(item, "type")
        if not isinstance(kind, str) or not kind.endswith("_call"):
            continue
        name = get_field(item, "name")
        arguments = get_field(item, "arguments") or get_field(item, "input")
        calls.append(
            ToolCall(
                name if isinstance(name, str) else kind.removesuffix("_call"),
                arguments if capture and isinstance(arguments, str) else None,
            )
        )
    return calls or None


def _chat_tool_calls(message: object, capture: bool) -> list[ToolCall] | None:
    calls = get_field(message, "tool_calls")
    if not calls:
        return None
    out: list[ToolCall] = []
    for call in calls:
        function = get_field(call, "function") or get_field(call, "custom")
        name = get_field(function, "name")
        arguments = get_field(function, "arguments") or get_field(function, "input")
        out.append(
            ToolCall(
                name if isinstance(name, str) else "unknown",
                arguments if capture and isinstance(arguments, str) else None,
            )
        )
    return out


class Chat(Operation):
    """``chat.completions.create``."""

    name = "chat"

    def prompt(self, body: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``messages``."""
        return summarize(
            body.get("model"),
            _items(body.get("messages")),
            capture,
            request_settings(body),
            chat_content(body) if capture else None,
        )

    def prepare(self, body: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
        """Ask a stream for its usage when the caller did not; hide that chunk then."""
        if body.get("stream") is not True:
            return body, False
        options = body.get("stream_options")
        if isinstance(options, Mapping) and options.get("include_usage") is True:
            return body, False
        merged = {**options} if isinstance(options, Mapping) else {}
        merged["include_usage"] = True
        return {**body, "stream_options": merged}, True

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read a ``ChatCompletion``."""
        outcome = _chat_usage(get_field(result, "usage"))
        outcome.response_model = get_field(result, "model")
        outcome.response_id = get_field(result, "id")
        choices = get_field(result, "choices")
        if choices:
            first = choices[0]
            outcome.finish_reason = get_field(first, "finish_reason")
            message = get_field(first, "message")
            outcome.tool_calls = _chat_tool_calls(message, capture)
            if capture:
                outcome.text = get_field(message, "content")
        return outcome

    def tracker(self, call: Call, strip_usage: bool) -> StreamTracker:
        """Watch chat chunks."""
        return ChatTracker(call, strip_usage)


class Responses(Operation):
    """A request to ``/responses``, or to another endpoint answering in its shape."""

    def __init__(self, name: str = "responses") -> None:
        self.name = name

    def prompt(self, body: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``instructions`` and ``input`` (a string is one message)."""
        given = body.get("input")
        items: list[object] = [given] if isinstance(given, str) else _items(given)
        instructions = body.get("instructions")
        if isinstance(instructions, str):
            items.insert(0, {"role": "system", "content": instructions})
        return summarize(
            body.get("model"),
            items,
            capture,
            request_settings(body),
            responses_content(body) if capture else None,
        )

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read a ``Response``."""
        return _response_outcome(result, capture)

    def tracker(self, call: Call, strip_usage: bool) -> StreamTracker:
        """Watch Responses events."""
        return ResponsesTracker(call)


class Embeddings(Operation):
    """``embeddings.create``."""

    name = "embeddings"

    def prompt(self, body: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``input``: strings are estimated, token arrays counted exactly."""
        given = body.get("input")
        if isinstance(given, str) or (
            isinstance(given, list) and given and isinstance(given[0], int)
        ):
            given = [given]
        items = _items(given)
        model = body.get("model")
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
# Both take a Responses-style ``input`` and report Responses-style usage.
COMPACT = Responses("responses_compact")
DECISIONS = Responses("decisions")


ROUTES: Routes = {
    "/chat/completions": CHAT,
    "/responses": RESPONSES,
    "/embeddings": EMBEDDINGS,
    "/responses/compact": COMPACT,
    "/decisions": DECISIONS,
}


def install(patches: Patches, client: Any, rt: Runtime, *, is_async: bool) -> None:
    """Log every model request of one OpenAI client."""
    hook_client(patches, client, rt, ROUTES, is_async=is_async)
