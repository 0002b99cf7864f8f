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
from ._fake_tools import ToolCall

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


def _finish_reason(gen: Generation) -> str:
    if gen.tool_calls:
        return "tool_calls"
    return "length" if gen.truncated else "stop"


def _chat_tool_call(call: ToolCall, arguments: str, index: int | None = None) -> JSON:
    where: JSON = {} if index is None else {"index": index}
    function = {"name": call.name, "arguments": arguments}
    return {**where, "id": f"call_{call.key}", "type": "function", "function": function}


def chat_completion(gen: Generation) -> JSON:
    """Return a non-streaming ``chat.completion`` body: text, or tool calls."""
    message: JSON = {"role": "assistant", "content": gen.text, "refusal": None, "annotations": []}
    if gen.tool_calls:
        message["content"] = None
        message["tool_calls"] = [_chat_tool_call(c, c.arguments) for c in gen.tool_calls]
    choice = {
        "index": 0,
        "message": message,
        "logprobs": None,
        "finish_reason": _finish_reason(gen),
    }
    return {**_chat_envelope(gen, "chat.completion"), "choices": [choice], "usage": chat_usage(gen)}


def chat_stream(gen: Generation, *, include_usage: bool) -> StreamPlan:
    """Return ``chat.completion.chunk`` events, ending with a usage chunk if asked.

    Text comes as ``content`` deltas; tool calls as ``tool_calls`` deltas: each
    call's index, id and name with empty arguments, then its argument fragments.
    """
    envelope = _chat_envelope(gen, "chat.completion.chunk")
    usage_none: JSON = {"usage": None} if include_usage else {}

    def chunk(delta: JSON, finish: str | None = None) -> bytes:
        choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
        return sse({**envelope, "choices": [choice], **usage_none})

    def fragment(index: int, text: str) -> bytes:
        return chunk({"tool_calls": [{"index": index, "function": {"arguments": text}}]})

    if gen.tool_calls:
        first = _chat_tool_call(gen.tool_calls[0], "", 0)
        head = chunk({"role": "assistant", "content": None, "tool_calls": [first], "refusal": None})
        deltas: list[bytes] = []
        for index, call in enumerate(gen.tool_calls):
            opening = (
                b"" if index == 0 else chunk({"tool_calls": [_chat_tool_call(call, "", index)]})
            )
            deltas.extend(
                (opening if at == 0 else b"") + fragment(index, text)
                for at, text in enumerate(call.chunks)
            )
    else:
        head = chunk({"role": "assistant", "content": "", "refusal": None})
        deltas = [chunk({"content": text}) for text in gen.chunks]
    tail = chunk({}, _finish_reason(gen))
    if include_usage:
        tail += sse({**envelope, "choices": [], "usage": chat_usage(gen)})
    error = openai_error(
        "The server had an error while processing your request. Sorry about that!", "server_error"
    )
    return StreamPlan(
        head=head,
        deltas=tuple(deltas),
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


def _function_call(call: ToolCall, *, done: bool) -> JSON:
    return {
        "id": f"fc_{call.key}",
        "type": "function_call",
        "status": "completed" if done else "in_progress",
        "arguments": call.arguments if done else "",
        "call_id": f"call_{call.key}",
        "name": call.name,
    }


def response(gen: Generation, body: JSON, *, done: bool = True) -> JSON:
    """Return a Responses ``response`` object, finished or still in progress."""
    status = ("incomplete" if gen.truncated else "completed") if done else "in_progress"
    item_status = "incomplete" if gen.truncated else "completed"
    output = [_output_message(gen, item_status, [_output_text(gen.text)])] if done else []
    if done and gen.tool_calls:
        output = [_function_call(call, done=True) for call in gen.tool_calls]
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
        "parallel_tool_calls": body.get("parallel_tool_calls", True),
        "previous_response_id": body.get("previous_response_id"),
        "reasoning": {"effort": "medium" if reasoning else None, "summary": None},
        "service_tier": "default",
        "store": body.get("store", True),
        "temperature": body.get("temperature", 1.0),
        "text": {"format": {"type": "text"}},
        "tool_choice": body.get("tool_choice", "auto"),
        "tools": body.get("tools") or [],
        "top_p": body.get("top_p", 1.0),
        "truncation": "disabled",
        "usage": usage if done else None,
        "user": None,
        "metadata": body.get("metadata") or {},
    }


def response_stream(gen: Generation, body: JSON) -> StreamPlan:
    """Return the Responses event sequence from ``response.created`` to completion.

    Text comes as one message item's ``output_text`` deltas; each tool call as
    a ``function_call`` item: added, its argument deltas, done, item done.
    """
    sequence = itertools.count()

    def event(kind: str, **fields: Any) -> bytes:
        return sse({"type": kind, "sequence_number": next(sequence), **fields}, kind)

    start = response(gen, body, done=False)
    head = event("response.created", response=start) + event("response.in_progress", response=start)
    final = response(gen, body)
    if gen.tool_calls:
        deltas: list[bytes] = []
        tail = b""
        for index, call in enumerate(gen.tool_calls):
            where: JSON = {"item_id": f"fc_{call.key}", "output_index": index}
            added = event(
                "response.output_item.added",
                output_index=index,
                item=_function_call(call, done=False),
            )
            if index == 0:
                head += added
            else:
                deltas[-1] += added
            deltas.extend(
                event("response.function_call_arguments.delta", **where, delta=text)
                for text in call.chunks
            )
            done = event(
                "response.function_call_arguments.done", **where, arguments=call.arguments
            ) + event("response.output_item.done", output_index=index, item=final["output"][index])
            if index == len(gen.tool_calls) - 1:
                tail = done
            else:
                deltas[-1] += done
    else:
        where = {"item_id": f"msg_{gen.token}", "output_index": 0, "content_index": 0}
        head += event(
            "response.output_item.added",
            output_index=0,
            item=_output_message(gen, "in_progress", []),
        ) + event("response.content_part.added", **where, part=_output_text(""))
        deltas = [
            event("response.output_text.delta", **where, delta=text, logprobs=[])
            for text in gen.chunks
        ]
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
    return StreamPlan(head=head, deltas=tuple(deltas), tail=tail, error=error_event)


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
