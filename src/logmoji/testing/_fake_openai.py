"""Build the OpenAI API's JSON bodies and SSE events for the fake LLM provider.

Covers Chat Completions (``chat.completion`` and its chunks), Responses (the
``response`` object and its event sequence), Embeddings and error bodies, from
a :class:`~logmoji.testing._fake_text.Generation`; :mod:`logmoji.testing._fake_text`
documents how text and token counts follow from the request.
"""

from __future__ import annotations

import base64
import hashlib
import itertools
import math
import random
import re
import struct
from typing import Any

from ._fake_http import StreamPlan, sse
from ._fake_text import JSON, Generation, content_text, message_list

REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
"""OpenAI model name prefixes that report reasoning tokens."""

SERVER_ERROR_MESSAGE = "The server had an error while processing your request. Sorry about that!"
"""The message of OpenAI's 500 errors."""

_DATED = re.compile(r"-\d{4}-\d{2}-\d{2}$")


def dated_model(model: str) -> str:
    """Return ``model`` with a date suffix, as OpenAI reports the served snapshot."""
    return model if _DATED.search(model) else f"{model}-2025-01-01"


def openai_error(
    message: str, type_: str, code: str | None = None, param: str | None = None
) -> JSON:
    """Return an OpenAI error body."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def chat_texts(body: JSON) -> list[str]:
    """Return the text of each message of a Chat Completions request."""
    return [
        content_text(m.get("content")) if isinstance(m, dict) else "" for m in message_list(body)
    ]


def responses_texts(body: JSON) -> list[str]:
    """Return the text of each input item of a Responses request, instructions first."""
    texts = [body["instructions"]] if isinstance(body.get("instructions"), str) else []
    items = body.get("input")
    if isinstance(items, str):
        return [*texts, items]
    if not isinstance(items, list):
        raise ValueError("'input' must be a string or an array of input items")
    for item in items:
        if isinstance(item, dict):
            text = content_text(item.get("content", item.get("output")))
        else:
            text = ""
        texts.append(text)
    return texts


def chat_usage(gen: Generation) -> JSON:
    """Return Chat Completions usage with cached and reasoning token details."""
    return {
        "prompt_tokens": gen.prompt_tokens,
        "completion_tokens": gen.output_tokens,
        "total_tokens": gen.prompt_tokens + gen.output_tokens,
        "prompt_tokens_details": {"cached_tokens": gen.cached_tokens, "audio_tokens": 0},
        "completion_tokens_details": {
            "reasoning_tokens": gen.reasoning_tokens,
            "audio_tokens": 0,
            "accepted_prediction_tokens": 0,
            "rejected_prediction_tokens": 0,
        },
    }


def _chat_envelope(gen: Generation, obj: str) -> JSON:
    return {
        "id": f"chatcmpl-{gen.token}",
        "object": obj,
        "created": gen.created,
        "model": dated_model(gen.model),
        "service_tier": "default",
        "system_fingerprint": f"fp_{gen.token[:10]}",
    }


def chat_completion(gen: Generation) -> JSON:
    """Return a non-streaming ``chat.completion`` body."""
    message: JSON = {"role": "assistant", "content": gen.text, "refusal": None, "annotations": []}
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": "length" if gen.truncated else "stop",
    }
    return {**_chat_envelope(gen, "chat.completion"), "choices": [choice], "usage": chat_usage(gen)}


def chat_stream(gen: Generation, *, include_usage: bool) -> StreamPlan:
    """Return ``chat.completion.chunk`` events, ending with a usage chunk if asked."""
    envelope = _chat_envelope(gen, "chat.completion.chunk")
    usage_none: JSON = {"usage": None} if include_usage else {}

    def chunk(delta: JSON, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**envelope, "choices": [choice], **usage_none})

    head = chunk({"role": "assistant", "content": "", "refusal": None})
    tail = chunk({}, "length" if gen.truncated else "stop")
    if include_usage:
        tail += sse({**envelope, "choices": [], "usage": chat_usage(gen)})
    error = openai_error(
        "The server had an error while processing your request. Sorry about that!", "server_error"
    )
    return StreamPlan(
        head=head,
        deltas=tuple(chunk({"content": text}) for text in gen.chunks),
        tail=tail + b"data: [DONE]\n\n",
        error=sse(error),
    )


def _output_text(text: str) -> JSON:
    return {"type": "output_text", "annotations": [], "logprobs": [], "text": text}


def _output_message(gen: Generation, status: str, content: list[JSON]) -> JSON:
    return {
        "id": f"msg_{gen.token}",
        "type": "message",
        "status": status,
        "role": "assistant",
        "content": content,
    }


def response(gen: Generation, body: JSON, *, done: bool = True) -> JSON:
    """Return a Responses ``response`` object, finished or still in progress."""
    status = ("incomplete" if gen.truncated else "completed") if done else "in_progress"
    item_status = "incomplete" if gen.truncated else "completed"
    output = [_output_message(gen, item_status, [_output_text(gen.text)])] if done else []
    usage = {
        "input_tokens": gen.prompt_tokens,
        "input_tokens_details": {"cached_tokens": gen.cached_tokens, "cache_write_tokens": 0},
        "output_tokens": gen.output_tokens,
        "output_tokens_details": {"reasoning_tokens": gen.reasoning_tokens},
        "total_tokens": gen.prompt_tokens + gen.output_tokens,
    }
    reasoning = gen.model.startswith(REASONING_PREFIXES)
    return {
        "id": f"resp_{gen.token}",
        "object": "response",
        "created_at": gen.created,
        "status": status,
        "background": False,
        "error": None,
        "incomplete_details": {"reason": "max_output_tokens"} if done and gen.truncated else None,
        "instructions": body.get("instructions"),
        "max_output_tokens": body.get("max_output_tokens"),
        "model": dated_model(gen.model),
        "output": output,
        "parallel_tool_calls": True,
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": "medium" if reasoning else None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": "auto",
        "tools": [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": usage if done else None,
        "user": None,
        "metadata": body.get("metadata") or {},
    }


def response_stream(gen: Generation, body: JSON) -> StreamPlan:
    """Return the Responses event sequence from ``response.created`` to completion."""
    sequence = itertools.count()
    item_id = f"msg_{gen.token}"
    where: JSON = {"item_id": item_id, "output_index": 0, "content_index": 0}

    def event(kind: str, **fields: Any) -> bytes:
        return sse({"type": kind, "sequence_number": next(sequence), **fields}, kind)

    start = response(gen, body, done=False)
    head = (
        event("response.created", response=start)
        + event("response.in_progress", response=start)
        + event(
            "response.output_item.added",
            output_index=0,
            item=_output_message(gen, "in_progress", []),
        )
        + event("response.content_part.added", **where, part=_output_text(""))
    )
    deltas = tuple(
        event("response.output_text.delta", **where, delta=text, logprobs=[]) for text in gen.chunks
    )
    final = response(gen, body)
    tail = (
        event("response.output_text.done", **where, text=gen.text, logprobs=[])
        + event("response.content_part.done", **where, part=_output_text(gen.text))
        + event("response.output_item.done", output_index=0, item=final["output"][0])
    )
    finished = "response.incomplete" if gen.truncated else "response.completed"
    tail += event(finished, response=final)
    error = {
        "type": "server_error",
        "code": "server_error",
        "message": SERVER_ERROR_MESSAGE,
        "param": None,
    }
    # numbered after the tail: the break-off point is only known when the stream is sent
    error_event = sse({"type": "error", "sequence_number": next(sequence), "error": error}, "error")
    return StreamPlan(head=head, deltas=deltas, tail=tail, error=error_event)


def embeddings(body: JSON, seed: int) -> JSON:
    """Return a ``list`` of unit embeddings, as floats or base64 little-endian float32."""
    inputs = body.get("input")
    if isinstance(inputs, str) or (
        isinstance(inputs, list) and inputs and isinstance(inputs[0], int)
    ):
        inputs = [inputs]
    if not isinstance(inputs, list) or not inputs:
        raise ValueError("'input' must be a non-empty string or array")
    model = str(body.get("model", ""))
    dims = body.get("dimensions")
    if not isinstance(dims, int) or dims <= 0:
        dims = 3072 if model.endswith("-large") else 1536
    as_base64 = body.get("encoding_format") == "base64"
    data: list[JSON] = []
    tokens = 0
    for index, item in enumerate(inputs):
        if isinstance(item, list):
            tokens += len(item)
        else:
            tokens += math.ceil(len(str(item)) / 4)
        packed = _embedding(f"{seed}\x00{model}\x00{item}", dims)
        vector: object
        if as_base64:
            vector = base64.b64encode(packed).decode()
        else:
            vector = list(struct.unpack(f"<{dims}f", packed))
        data.append({"object": "embedding", "index": index, "embedding": vector})
    usage = {"prompt_tokens": tokens, "total_tokens": tokens}
    return {"object": "list", "data": data, "model": model, "usage": usage}


def _embedding(key: str, dims: int) -> bytes:
    rng = random.Random(hashlib.blake2b(key.encode(), digest_size=8).digest())
    values = [rng.uniform(-1.0, 1.0) for _ in range(dims)]
    norm = math.sqrt(sum(v * v for v in values)) or 1.0
    return struct.pack(f"<{dims}f", *(v / norm for v in values))
