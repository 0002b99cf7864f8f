"""Build the Anthropic Messages API's JSON bodies and SSE events for the fake LLM provider.

Covers the ``message`` object, its event sequence from ``message_start`` to
``message_stop``, and error bodies, from a
:class:`~logmoji.testing._fake_text.Generation`; :mod:`logmoji.testing._fake_text`
documents how text and token counts follow from the request.
"""

from __future__ import annotations

from typing import Literal

from ._fake_http import StreamPlan, sse
from ._fake_text import JSON, Generation, content_text, message_list
from ._fake_tools import ToolCall

DeltaUsage = Literal["output", "cumulative"]
"""What ``message_delta`` usage carries: output tokens only, or every count again."""


def delta_usage(value: str) -> DeltaUsage:
    """Return ``value`` as a :data:`DeltaUsage`.

    Raises:
        ValueError: If it is neither ``"output"`` nor ``"cumulative"``.
    """
    if value == "output":
        return "output"
    if value == "cumulative":
        return "cumulative"
    raise ValueError(f"delta usage must be 'output' or 'cumulative', not {value!r}")


def anthropic_error(type_: str, message: str, request_id: str) -> JSON:
    """Return an Anthropic error body."""
    return {"type": "error", "error": {"type": type_, "message": message}, "request_id": request_id}


def anthropic_texts(body: JSON) -> list[str]:
    """Return the text of each message of a Messages request, system prompt first."""
    if not isinstance(body.get("max_tokens"), int):
        raise ValueError("max_tokens: Field required")
    system = body.get("system")
    texts = [content_text(system)] if system else []
    return texts + [
        content_text(m.get("content")) if isinstance(m, dict) else "" for m in message_list(body)
    ]


def anthropic_usage(gen: Generation, output_tokens: int) -> JSON:
    """Return Anthropic usage, with cache reads and writes split out of the input tokens."""
    written = gen.cache_write_tokens
    return {
        "input_tokens": gen.prompt_tokens - gen.cached_tokens - written,
        "cache_creation_input_tokens": written,
        "cache_read_input_tokens": gen.cached_tokens,
        "cache_creation": {"ephemeral_5m_input_tokens": written, "ephemeral_1h_input_tokens": 0},
        "output_tokens": output_tokens,
        "service_tier": "standard",
    }


def _message(gen: Generation, content: list[JSON], stop_reason: str | None, out: int) -> JSON:
    return {
        "id": f"msg_01{gen.token}",
        "type": "message",
        "role": "assistant",
        "model": gen.model,
        "content": content,
        "stop_reason": stop_reason,
        "stop_sequence": None,
        "usage": anthropic_usage(gen, out),
    }


def _stop_reason(gen: Generation) -> str:
    if gen.tool_calls:
        return "tool_use"
    return "max_tokens" if gen.truncated else "end_turn"


def _tool_use(call: ToolCall, *, empty: bool = False) -> JSON:
    arguments = {} if empty else call.input
    return {"type": "tool_use", "id": f"toolu_01{call.key}", "name": call.name, "input": arguments}


def message(gen: Generation) -> JSON:
    """Return a non-streaming Anthropic ``message`` body: a text block, or tool_use blocks."""
    content = [_tool_use(call) for call in gen.tool_calls] or [{"type": "text", "text": gen.text}]
    return _message(gen, content, _stop_reason(gen), gen.output_tokens)


def _event(data: JSON) -> bytes:
    return sse(data, data["type"])


def _delta(index: int, delta: JSON) -> bytes:
    return _event({"type": "content_block_delta", "index": index, "delta": delta})


def _block_start(index: int, block: JSON) -> bytes:
    return _event({"type": "content_block_start", "index": index, "content_block": block})


def message_stream(gen: Generation, *, delta_usage: DeltaUsage = "output") -> StreamPlan:
    """Return the Anthropic event sequence from ``message_start`` to ``message_stop``.

    ``message_start`` carries the input and cache counts; ``message_delta``
    carries only ``output_tokens`` (``delta_usage="output"``, what the API
    documents) or repeats the input and cache counts too (``"cumulative"``).
    Tool calls come as ``tool_use`` blocks whose input arrives in
    ``input_json_delta`` fragments.
    """
    start = _message(gen, [], None, min(1, gen.output_tokens))
    deltas: list[bytes] = []
    if gen.tool_calls:
        first = _block_start(0, _tool_use(gen.tool_calls[0], empty=True))
        for index, call in enumerate(gen.tool_calls):
            opening = b""
            if index:
                opening = _event({"type": "content_block_stop", "index": index - 1})
                opening += _block_start(index, _tool_use(call, empty=True))
            deltas.extend(
                (b"" if at else opening)
                + _delta(index, {"type": "input_json_delta", "partial_json": text})
                for at, text in enumerate(call.chunks)
            )
        last = len(gen.tool_calls) - 1
    else:
        first = _block_start(0, {"type": "text", "text": ""})
        deltas.extend(_delta(0, {"type": "text_delta", "text": t}) for t in gen.chunks)
        last = 0
    head = _event({"type": "message_start", "message": start}) + first + _event({"type": "ping"})
    usage: JSON = {"output_tokens": gen.output_tokens}
    if delta_usage == "cumulative":
        usage = anthropic_usage(gen, gen.output_tokens)
        del usage["cache_creation"], usage["service_tier"]
    delta = {"stop_reason": _stop_reason(gen), "stop_sequence": None}
    tail = (
        _event({"type": "content_block_stop", "index": last})
        + _event({"type": "message_delta", "delta": delta, "usage": usage})
        + _event({"type": "message_stop"})
    )
    error = anthropic_error("overloaded_error", "Overloaded", f"req_{gen.token}")
    return StreamPlan(head=head, deltas=tuple(deltas), tail=tail, error=sse(error, "error"))
