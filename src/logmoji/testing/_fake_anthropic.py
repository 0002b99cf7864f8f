"""Build the Anthropic Messages API's JSON bodies and SSE events for the fake LLM provider.

Covers the ``message`` object, its event sequence from ``message_start`` to
``message_stop``, and error bodies, from a
:class:`~logmoji.testing._fake_text.Generation`; :mod:`logmoji.testing._fake_text`
documents how text and token counts follow from the request.
"""

from __future__ import annotations

from ._fake_http import StreamPlan, sse
from ._fake_text import JSON, Generation, content_text, message_list


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
    """Return Anthropic usage, with cache reads split out of the input tokens."""
    return {
        "input_tokens": gen.prompt_tokens - gen.cached_tokens,
        "cache_creation_input_tokens": 0,
        "cache_read_input_tokens": gen.cached_tokens,
        "cache_creation": {"ephemeral_5m_input_tokens": 0, "ephemeral_1h_input_tokens": 0},
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


def message(gen: Generation) -> JSON:
    """Return a non-streaming Anthropic ``message`` body."""
    stop_reason = "max_tokens" if gen.truncated else "end_turn"
    text = {"type": "text", "text": gen.text}
    return _message(gen, [text], stop_reason, gen.output_tokens)


def message_stream(gen: Generation) -> StreamPlan:
    """Return the Anthropic event sequence from ``message_start`` to ``message_stop``."""
    start = _message(gen, [], None, min(1, gen.output_tokens))
    block = {"type": "text", "text": ""}
    head = (
        sse({"type": "message_start", "message": start}, "message_start")
        + sse(
            {"type": "content_block_start", "index": 0, "content_block": block},
            "content_block_start",
        )
        + sse({"type": "ping"}, "ping")
    )
    deltas = tuple(
        sse(
            {"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": t}},
            "content_block_delta",
        )
        for t in gen.chunks
    )
    usage = anthropic_usage(gen, gen.output_tokens)
    del usage["cache_creation"], usage["service_tier"]
    delta = {"stop_reason": "max_tokens" if gen.truncated else "end_turn", "stop_sequence": None}
    tail = (
        sse({"type": "content_block_stop", "index": 0}, "content_block_stop")
        + sse({"type": "message_delta", "delta": delta, "usage": usage}, "message_delta")
        + sse({"type": "message_stop"}, "message_stop")
    )
    error = anthropic_error("overloaded_error", "Overloaded", f"req_{gen.token}")
    return StreamPlan(head=head, deltas=deltas, tail=tail, error=sse(error, "error"))
