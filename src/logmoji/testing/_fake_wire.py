"""Build the JSON bodies and SSE events that the fake LLM provider sends.

Everything here is a pure function of the request, so equal requests give equal
replies. The rules, which tests use to compute their expectations:

* Prompt tokens: ``ceil(chars / 4) + 3 * messages``, where ``chars`` counts the
  text of every message (string content, or the ``text`` of text parts/blocks)
  and the system prompt (Anthropic ``system``, Responses ``instructions``)
  counts as one more message. A Responses ``input`` string is one message.
* Embedding tokens: ``ceil(chars / 4)`` per input string, ``len(tokens)`` per
  token-array input; no per-input overhead.
* Reply: ``reply_tokens`` words from :data:`WORDS`, picked by hashing
  ``(seed, model, prompt text)``. One word is one token and one stream chunk
  (words after the first carry a leading space). A smaller ``max_tokens`` /
  ``max_completion_tokens`` / ``max_output_tokens`` truncates the reply, which
  then ends with ``finish_reason="length"`` / ``stop_reason="max_tokens"`` /
  ``status="incomplete"``.
* Reasoning: OpenAI models named ``o1*``, ``o3*``, ``o4*`` or ``gpt-5*`` add
  ``reply_tokens // 2`` reasoning tokens to the completion/output tokens.
* Cache: ``cached_tokens`` (capped at the prompt tokens) are reported as
  ``cached_tokens`` (OpenAI, included in the prompt tokens) or as
  ``cache_read_input_tokens`` (Anthropic, excluded from ``input_tokens``).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import itertools
import json
import math
import random
import re
import struct
from dataclasses import dataclass
from datetime import UTC, datetime
from http import HTTPStatus
from typing import Any, TypeAlias

JSON: TypeAlias = dict[str, Any]

# fmt: off
WORDS: tuple[str, ...] = (
    "acorn", "amber", "anchor", "aurora", "badger", "beacon", "birch", "bloom", "blossom",
    "breeze", "canyon", "cedar", "cinder", "cloud", "comet", "coral", "crystal", "dawn",
    "delta", "drift", "dune", "echo", "ember", "falcon", "fern", "fjord", "flame", "frost",
    "garden", "glacier", "grove", "harbor", "hazel", "horizon", "island", "jade", "lagoon",
    "lantern", "maple", "meadow", "mesa", "meteor", "mist", "moss", "nebula", "oak", "ocean",
    "orbit", "pebble", "pine", "prairie", "quartz", "raven", "reef", "river", "sage", "shadow",
    "spark", "spruce", "summit", "thunder", "tide", "valley", "willow",
)
# fmt: on
"""The fixed vocabulary fake replies are built from."""

REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5")
"""OpenAI model name prefixes that report reasoning tokens."""

_DATED = re.compile(r"-\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True, slots=True)
class Generation:
    """Hold what the fake model produced for one request."""

    token: str
    model: str
    chunks: tuple[str, ...]
    prompt_tokens: int
    cached_tokens: int
    reasoning_tokens: int
    truncated: bool
    created: int

    @property
    def text(self) -> str:
        """Return the full reply text."""
        return "".join(self.chunks)

    @property
    def output_tokens(self) -> int:
        """Return visible plus reasoning tokens, as the providers bill them."""
        return len(self.chunks) + self.reasoning_tokens


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """Hold a stream's SSE bytes: events before, per text chunk, after, and on error."""

    head: bytes
    deltas: tuple[bytes, ...]
    tail: bytes
    error: bytes


@dataclass(frozen=True, slots=True)
class RateLimits:
    """Hold what the rate-limit headers of one response report."""

    requests_limit: int
    requests_left: int
    tokens_limit: int
    tokens_left: int
    input_left: int
    output_left: int
    reset_in: float


_OPENAI_500 = "The server had an error while processing your request. Sorry about that!"
_FAULT_ERRORS: dict[str, tuple[int, str, str | None, str, int, str, str]] = {
    # fault: OpenAI status, type, code, message; Anthropic status, type, message
    "rate_limit": (
        429,
        "requests",
        "rate_limit_exceeded",
        "Rate limit reached for {model} on requests per min (RPM): Limit {limit}, "
        "Used {limit}, Requested 1. Please try again in {retry}.",
        429,
        "rate_limit_error",
        "This request would exceed the rate limit for your organization of {limit} "
        "requests per minute. Please try again in {retry}.",
    ),
    "server_error": (
        500,
        "server_error",
        None,
        _OPENAI_500,
        500,
        "api_error",
        "Internal server error",
    ),
    "overloaded": (
        503,
        "server_error",
        None,
        "That model is currently overloaded with other requests. Please retry.",
        529,
        "overloaded_error",
        "Overloaded",
    ),
    "context_length": (
        400,
        "invalid_request_error",
        "context_length_exceeded",
        "This model's maximum context length is 128000 tokens. However, your messages "
        "resulted in 130000 tokens. Please reduce the length of the messages.",
        400,
        "invalid_request_error",
        "prompt is too long: 210000 tokens > 200000 maximum",
    ),
}


def duration(seconds: float) -> str:
    """Format seconds the way OpenAI's ``x-ratelimit-reset-*`` headers do (``6m0s``)."""
    if seconds < 1:
        return f"{max(0, round(seconds * 1000))}ms"
    minutes, rest = divmod(seconds, 60)
    text = f"{round(rest, 3):g}s"
    return f"{int(minutes)}m{text}" if minutes else text


def http_head(status: int, headers: list[tuple[str, str]], length: int | None, keep: bool) -> bytes:
    """Return an HTTP/1.1 response head; ``length=None`` means a chunked body."""
    reason = "Site Overloaded" if status == 529 else HTTPStatus(status).phrase
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]
    lines.append("transfer-encoding: chunked" if length is None else f"content-length: {length}")
    lines.append("connection: keep-alive" if keep else "connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def http_chunk(data: bytes) -> bytes:
    """Frame ``data`` as one chunk of a chunked HTTP body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def openai_headers(request_id: str, limits: RateLimits, latency: float) -> list[tuple[str, str]]:
    """Return OpenAI's request-id and ``x-ratelimit-*`` headers."""
    reset = duration(limits.reset_in)
    return [
        ("x-request-id", request_id),
        ("openai-organization", "logmoji-fake"),
        ("openai-version", "2020-10-01"),
        ("openai-processing-ms", str(round(latency * 1000))),
        ("x-ratelimit-limit-requests", str(limits.requests_limit)),
        ("x-ratelimit-remaining-requests", str(limits.requests_left)),
        ("x-ratelimit-reset-requests", reset),
        ("x-ratelimit-limit-tokens", str(limits.tokens_limit)),
        ("x-ratelimit-remaining-tokens", str(limits.tokens_left)),
        ("x-ratelimit-reset-tokens", reset),
    ]


def anthropic_headers(request_id: str, limits: RateLimits, now: float) -> list[tuple[str, str]]:
    """Return Anthropic's request-id and ``anthropic-ratelimit-*`` headers."""
    reset = datetime.fromtimestamp(now + limits.reset_in, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    headers = [("request-id", request_id)]
    for name, cap, left in (
        ("requests", limits.requests_limit, limits.requests_left),
        ("tokens", limits.tokens_limit, limits.tokens_left),
        ("input-tokens", limits.tokens_limit, limits.input_left),
        ("output-tokens", limits.tokens_limit, limits.output_left),
    ):
        headers.append((f"anthropic-ratelimit-{name}-limit", str(cap)))
        headers.append((f"anthropic-ratelimit-{name}-remaining", str(left)))
        headers.append((f"anthropic-ratelimit-{name}-reset", reset))
    return headers


def fault_error(
    provider: str, fault: str, *, model: str, request_id: str, limit: int, retry: float
) -> tuple[int, JSON]:
    """Return the status and error body a fault answers with on ``provider``'s API."""
    status, kind, code, message, a_status, a_kind, a_message = _FAULT_ERRORS[fault]
    values = {"model": model, "limit": limit, "retry": duration(retry)}
    if provider == "openai":
        param = "messages" if fault == "context_length" else None
        return status, openai_error(message.format(**values), kind, code, param)
    return a_status, anthropic_error(a_kind, a_message.format(**values), request_id)


def request_token(seed: int, number: int) -> str:
    """Return the 24 hex digits that the ids of request ``number`` are built from."""
    return hashlib.blake2b(f"{seed}:{number}".encode(), digest_size=12).hexdigest()


def dated_model(model: str) -> str:
    """Return ``model`` with a date suffix, as OpenAI reports the served snapshot."""
    return model if _DATED.search(model) else f"{model}-2025-01-01"


def count_prompt_tokens(texts: list[str]) -> int:
    """Return ``ceil(chars / 4) + 3`` per message for a list of message texts."""
    return math.ceil(sum(len(text) for text in texts) / 4) + 3 * len(texts)


def _content_text(content: object) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "".join(
            part["text"]
            for part in content
            if isinstance(part, dict) and isinstance(part.get("text"), str)
        )
    return ""


def _messages(body: JSON, key: str = "messages") -> list[Any]:
    messages = body.get(key)
    if not isinstance(messages, list) or not messages:
        raise ValueError(f"'{key}' must be a non-empty array of messages")
    return messages


def chat_texts(body: JSON) -> list[str]:
    """Return the text of each message of a Chat Completions request."""
    return [_content_text(m.get("content")) if isinstance(m, dict) else "" for m in _messages(body)]


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
            text = _content_text(item.get("content", item.get("output")))
        else:
            text = ""
        texts.append(text)
    return texts


def anthropic_texts(body: JSON) -> list[str]:
    """Return the text of each message of a Messages request, system prompt first."""
    if not isinstance(body.get("max_tokens"), int):
        raise ValueError("max_tokens: Field required")
    system = body.get("system")
    texts = [_content_text(system)] if system else []
    return texts + [
        _content_text(m.get("content")) if isinstance(m, dict) else "" for m in _messages(body)
    ]


def prompt(endpoint: str, body: JSON) -> tuple[list[str], object]:
    """Return an endpoint's message texts and its output-token limit (``None`` if unset)."""
    if endpoint == "chat":
        limit = body.get("max_completion_tokens")
        return chat_texts(body), body.get("max_tokens") if limit is None else limit
    if endpoint == "responses":
        return responses_texts(body), body.get("max_output_tokens")
    return anthropic_texts(body), body.get("max_tokens")


def reply(endpoint: str, gen: Generation, body: JSON) -> JSON:
    """Return the non-streaming body of a ``chat``, ``responses`` or ``messages`` reply."""
    if endpoint == "chat":
        return chat_completion(gen)
    if endpoint == "responses":
        return response(gen, body)
    return message(gen)


def reply_stream(endpoint: str, gen: Generation, body: JSON) -> StreamPlan:
    """Return the stream of a ``chat``, ``responses`` or ``messages`` reply."""
    if endpoint == "chat":
        options = body.get("stream_options")
        include = isinstance(options, dict) and options.get("include_usage") is True
        return chat_stream(gen, include_usage=include)
    if endpoint == "responses":
        return response_stream(gen, body)
    return message_stream(gen)


def generate(
    *,
    token: str,
    seed: int,
    model: str,
    texts: list[str],
    reply_tokens: int,
    limit: object,
    cached_tokens: int,
    reasoning: bool,
    created: int,
) -> Generation:
    """Build the deterministic reply to a prompt, truncated at ``limit`` tokens."""
    count = reply_tokens
    if isinstance(limit, int) and not isinstance(limit, bool) and 0 <= limit < reply_tokens:
        count = limit
    prompt = count_prompt_tokens(texts)
    return Generation(
        token=token,
        model=model,
        chunks=_chunks("\x00".join([str(seed), model, *texts]), count),
        prompt_tokens=prompt,
        cached_tokens=max(0, min(cached_tokens, prompt)),
        reasoning_tokens=reply_tokens // 2 if reasoning else 0,
        truncated=count < reply_tokens,
        created=created,
    )


@functools.lru_cache(maxsize=4096)
def _chunks(key: str, count: int) -> tuple[str, ...]:
    """Pick ``count`` words by hashing ``key``; later words carry a leading space."""
    digest = hashlib.blake2b(key.encode(), digest_size=32).digest()
    words: list[str] = []
    block = 0
    while len(words) < count:
        stream = hashlib.blake2b(digest + block.to_bytes(4, "big"), digest_size=64).digest()
        words.extend(WORDS[byte % len(WORDS)] for byte in stream[: count - len(words)])
        block += 1
    return tuple(word if i == 0 else f" {word}" for i, word in enumerate(words))


def sse(data: JSON, event: str | None = None) -> bytes:
    """Encode one server-sent event."""
    payload = json.dumps(data, separators=(",", ":"))
    if event is None:
        return f"data: {payload}\n\n".encode()
    return f"event: {event}\ndata: {payload}\n\n".encode()


def openai_error(
    message: str, type_: str, code: str | None = None, param: str | None = None
) -> JSON:
    """Return an OpenAI error body."""
    return {"error": {"message": message, "type": type_, "param": param, "code": code}}


def anthropic_error(type_: str, message: str, request_id: str) -> JSON:
    """Return an Anthropic error body."""
    return {"type": "error", "error": {"type": type_, "message": message}, "request_id": request_id}


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
    error = {"type": "server_error", "code": "server_error", "message": _OPENAI_500, "param": None}
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
