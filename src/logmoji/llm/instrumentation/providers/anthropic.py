"""Read Anthropic requests, results and streams: the adapter for ``Anthropic``/``AsyncAnthropic``.

Every request to ``/v1/messages`` is logged as operation ``messages``,
whichever method sent it: ``messages.create`` (plain and ``stream=True``),
``parse``, ``stream()``, their ``beta.messages`` twins and the raw and
streaming-response wrappers (see :mod:`logmoji.llm.instrumentation._hooks`).

Usage is normalised to the OpenAI convention: ``prompt_tokens`` counts every
input token, cache reads (``cached_tokens``) and cache writes
(``cache_write_tokens``) included; ``input_tokens``/``output_tokens`` are also
logged as Anthropic reports them. A stream says its input counts in
``message_start`` and its output count in ``message_delta``; both are read.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from logmoji.llm.instrumentation._call import Call
from logmoji.llm.instrumentation._content import messages_content
from logmoji.llm.instrumentation._hooks import Routes, hook_client
from logmoji.llm.instrumentation._operation import Operation, get_field, request_settings, summarize
from logmoji.llm.instrumentation._outcome import Outcome, Prompt, ToolCall
from logmoji.llm.instrumentation._patches import Patches
from logmoji.llm.instrumentation._runtime import Runtime
from logmoji.llm.instrumentation.streams import StreamTracker

__all__ = ["PROVIDER", "REQUEST_ID_HEADER", "ROUTES", "install"]

_TOOL_BLOCKS = frozenset({"tool_use", "server_tool_use", "mcp_tool_use"})

PROVIDER = "anthropic"
REQUEST_ID_HEADER = "request-id"


def _usage(usage: object, start: object = None) -> Outcome:
    """Read Anthropic usage; ``start`` (from ``message_start``) fills what ``usage`` lacks."""

    def pick(name: str) -> Any:
        value = get_field(usage, name)
        return get_field(start, name) if value is None else value

    uncached = pick("input_tokens")
    output = get_field(usage, "output_tokens")
    read = pick("cache_read_input_tokens")
    write = pick("cache_creation_input_tokens")
    prompt = None if uncached is None else uncached + (read or 0) + (write or 0)
    return Outcome(
        prompt_tokens=prompt,
        completion_tokens=output,
        total_tokens=None if prompt is None or output is None else prompt + output,
        cached_tokens=read,
        cache_write_tokens=write,
        extra={"input_tokens": uncached, "output_tokens": output},
    )


class MessagesTracker(StreamTracker):
    """Watch raw Anthropic message stream events."""

    __slots__ = ("finish_reason", "response_id", "response_model", "start_usage", "tools", "usage")

    def __init__(self, call: Call) -> None:
        super().__init__(call)
        self.tools: dict[int, list[str]] | None = None
        self.start_usage: Any = None
        self.usage: Any = None
        self.finish_reason: str | None = None
        self.response_model: str | None = None
        self.response_id: str | None = None

    def feed(self, item: Any) -> bool:
        """Count content deltas; keep ``message_start`` and ``message_delta`` usage."""
        self.chunks += 1
        kind = item.type
        if kind == "content_block_delta":
            delta = item.delta
            self.token(getattr(delta, "text", None))
            if self.tools is not None and self.parts is not None:
                partial = getattr(delta, "partial_json", None)
                if partial and item.index in self.tools:
                    self.tools[item.index].append(partial)
        elif kind == "content_block_start":
            block = item.content_block
            if block.type in _TOOL_BLOCKS:
                if self.tools is None:
                    self.tools = {}
                self.tools[item.index] = [block.name]
        elif kind == "message_start":
            message = item.message
            self.start_usage = message.usage
            self.response_model, self.response_id = message.model, message.id
        elif kind == "message_delta":
            self.usage = item.usage
            self.finish_reason = item.delta.stop_reason
        return True

    def outcome(self) -> Outcome:
        """Return the final usage, or the start's input with counted deltas as an estimate."""
        if self.usage is not None:
            outcome = _usage(self.usage, self.start_usage)
        else:
            outcome = _usage({"output_tokens": self.deltas}, self.start_usage)
            if outcome.prompt_tokens is None:
                outcome.prompt_tokens = self.call.prompt.estimate.count
                outcome.total_tokens = outcome.prompt_tokens + self.deltas
            outcome.extra["usage_estimated"] = True
        outcome.response_model = self.response_model
        outcome.response_id = self.response_id
        outcome.finish_reason = self.finish_reason
        if self.tools:
            capture = self.parts is not None
            outcome.tool_calls = [
                ToolCall(parts[0], "".join(parts[1:]) or "{}" if capture else None)
                for _, parts in sorted(self.tools.items())
            ]
        return outcome


def _tool_calls(content: object, capture: bool) -> list[ToolCall] | None:
    calls: list[ToolCall] = []
    for block in content if isinstance(content, list) else ():
        if get_field(block, "type") not in _TOOL_BLOCKS:
            continue
        name = get_field(block, "name")
        arguments = None
        if capture:
            given = get_field(block, "input")
            try:
                arguments = orjson.dumps(given).decode()
            except TypeError:
                arguments = repr(given)
        calls.append(ToolCall(name if isinstance(name, str) else "unknown", arguments))
    return calls or None


class Messages(Operation):
    """A request to ``/v1/messages``."""

    name = "messages"

    def prompt(self, body: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``system`` (one more message) and ``messages``."""
        given = body.get("messages")
        items: list[object] = list(given) if isinstance(given, list | tuple) else []
        system = body.get("system")
        if isinstance(system, str | list) and system:
            items.insert(0, {"role": "system", "content": system})
        return summarize(
            body.get("model"),
            items,
            capture,
            request_settings(body),
            messages_content(body) if capture else None,
        )

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read a ``Message``."""
        outcome = _usage(get_field(result, "usage"))
        outcome.response_model = get_field(result, "model")
        outcome.response_id = get_field(result, "id")
        outcome.finish_reason = get_field(result, "stop_reason")
        outcome.tool_calls = _tool_calls(get_field(result, "content"), capture)
        if capture:
            outcome.text = "".join(
                get_field(block, "text") or ""
                for block in get_field(result, "content") or ()
                if get_field(block, "type") == "text"
            )
        return outcome

    def tracker(self, call: Call, strip_usage: bool) -> StreamTracker:
        """Watch message events."""
        return MessagesTracker(call)


MESSAGES = Messages()
ROUTES: Routes = {"/v1/messages": MESSAGES}


def install(patches: Patches, client: Any, rt: Runtime, *, is_async: bool) -> None:
    """Log every model request of one Anthropic client."""
    hook_client(patches, client, rt, ROUTES, is_async=is_async)
