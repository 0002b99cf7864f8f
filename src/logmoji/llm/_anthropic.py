"""Read Anthropic requests, results and streams; hook one ``Anthropic``/``AsyncAnthropic`` client.

Covered: ``messages.create`` (plain and ``stream=True``), ``messages.parse``
(structured outputs) and ``messages.stream(...)``, all logged as operation
``messages``.

``messages.stream()`` sends nothing: it returns a ``MessageStreamManager`` whose
``__enter__``/``__aenter__`` makes the request through a callable (an awaitable
for the async client) kept in a private attribute. The manager the caller gets
is the SDK's own; only that attribute is swapped for one that runs the request
through :func:`~logmoji.llm._hooks.invoke` and watches the raw event stream
that ``MessageStream`` then reads. If a future SDK lays the manager out
differently, the stream goes unlogged rather than broken.

Usage is normalised to the OpenAI convention: ``prompt_tokens`` counts every
input token, cache reads (``cached_tokens``) and cache writes
(``cache_write_tokens``) included; ``input_tokens``/``output_tokens`` are also
logged as Anthropic reports them.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from typing import Any

from logmoji.llm._call import Call, Outcome, Prompt
from logmoji.llm._hooks import (
    Operation,
    Patches,
    ainvoke,
    get_field,
    hook_client,
    invoke,
    summarize,
    wrap_method,
)
from logmoji.llm._runtime import Runtime
from logmoji.llm.streams import StreamTracker

__all__ = ["PROVIDER", "REQUEST_ID_HEADER", "install"]

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

    __slots__ = ("finish_reason", "response_id", "response_model", "start_usage", "usage")

    def __init__(self, call: Call) -> None:
        super().__init__(call)
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
            self.token(getattr(item.delta, "text", None))
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
        return outcome


class Messages(Operation):
    """``messages.create``; with ``always_streams`` set, ``messages.stream``."""

    name = "messages"

    def __init__(self, *, always_streams: bool = False) -> None:
        self.always_streams = always_streams

    def prompt(self, kwargs: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``system`` (one more message) and ``messages``."""
        given = kwargs.get("messages")
        items: list[object] = list(given) if isinstance(given, list | tuple) else []
        system = kwargs.get("system")
        if isinstance(system, str | list) and system:
            items.insert(0, {"role": "system", "content": system})
        return summarize(kwargs.get("model"), items, capture)

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read a ``Message``."""
        outcome = _usage(get_field(result, "usage"))
        outcome.response_model = get_field(result, "model")
        outcome.response_id = get_field(result, "id")
        outcome.finish_reason = get_field(result, "stop_reason")
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
MESSAGES_STREAM = Messages(always_streams=True)


def _hook_manager(manager: Any, rt: Runtime, kwargs: dict[str, Any], is_async: bool) -> None:
    """Route the manager's deferred request through the instrumentation."""
    state = vars(manager)
    names = [key for key in state if key.endswith("__api_request")]
    if len(names) != 1:
        raise AttributeError(f"{type(manager).__name__} has no single deferred request")
    request = state[names[0]]
    if is_async:
        state[names[0]] = ainvoke(rt, MESSAGES_STREAM, kwargs, lambda **_: request)
    else:
        state[names[0]] = functools.partial(
            invoke, rt, MESSAGES_STREAM, kwargs, lambda **_: request(), is_async=False
        )


def _wrap_stream(patches: Patches, messages: Any, rt: Runtime, *, is_async: bool) -> None:
    original = messages.stream

    def stream(*args: Any, **kwargs: Any) -> Any:
        manager = original(*args, **kwargs)
        try:
            _hook_manager(manager, rt, kwargs, is_async)
        except Exception as exc:  # an unknown manager layout: hand it back untouched
            rt.internal_error("messages_stream", exc)
        return manager

    functools.update_wrapper(stream, original)
    patches.set(messages, "stream", stream)


def install(patches: Patches, client: Any, rt: Runtime, *, is_async: bool) -> None:
    """Hook ``messages.create``/``parse``/``stream`` and the response/retry hooks of one client."""
    hook_client(patches, client, is_async=is_async)
    messages = client.messages
    wrap_method(patches, messages, "create", rt, MESSAGES, is_async=is_async)
    if callable(getattr(messages, "parse", None)):  # structured outputs post by themselves
        wrap_method(patches, messages, "parse", rt, MESSAGES, is_async=is_async)
    _wrap_stream(patches, messages, rt, is_async=is_async)
    for owner in (client, messages):
        patches.drop(owner, "with_raw_response")
        patches.drop(owner, "with_streaming_response")
