"""Build the Gemini API's JSON bodies and SSE chunks for the fake LLM provider.

Covers ``POST /v1beta/models/{model}:generateContent``,
``:streamGenerateContent?alt=sse``, ``:embedContent`` and
``:batchEmbedContents`` (what ``google-genai``'s ``embed_content`` sends), and
Google's error bodies, from a :class:`~logmoji.testing._fake_text.Generation`;
:mod:`logmoji.testing._fake_text` documents how text and token counts follow
from the request. The model comes from the path, so any prefix before
``/models/`` works (``/v1beta``, Vertex AI's ``/v1beta1/publishers/google``).

``usageMetadata`` counts as the API does: ``promptTokenCount`` includes
``cachedContentTokenCount``; ``candidatesTokenCount`` excludes
``thoughtsTokenCount``; ``totalTokenCount`` is their sum. Zero cached or
thought counts are left out, as the API leaves them out. Every stream chunk
carries ``usageMetadata`` with the counts so far; the last one has the full
counts and the ``finishReason``. A function call comes whole in one chunk.
"""

from __future__ import annotations

import math
import re
import struct

from ._fake_http import StreamPlan, sse
from ._fake_openai import _embedding
from ._fake_text import JSON, Generation, content_text
from ._fake_tools import ToolCall

__all__ = [
    "THINKING_PREFIXES",
    "embeddings",
    "gemini_error",
    "gemini_fault",
    "gemini_route",
    "gemini_texts",
    "generate_content",
    "generate_stream",
    "thinks",
]

THINKING_PREFIXES = ("gemini-2.5", "gemini-3")
"""Gemini model name prefixes that think (report ``thoughtsTokenCount``), ``-lite`` aside."""

_PATH = re.compile(
    r"^/(?:[^:]*/)?models/(?P<model>[^/:]+):"
    r"(?P<method>generateContent|streamGenerateContent|embedContent|batchEmbedContents)$"
)
_ENDPOINTS = {
    "generateContent": "gemini",
    "streamGenerateContent": "gemini",
    "embedContent": "gemini_embed",
    "batchEmbedContents": "gemini_embed",
}
_STATUS = {
    400: "INVALID_ARGUMENT",
    404: "NOT_FOUND",
    429: "RESOURCE_EXHAUSTED",
    500: "INTERNAL",
    503: "UNAVAILABLE",
    504: "DEADLINE_EXCEEDED",
}
_FAULTS: dict[str, tuple[int, str]] = {
    "rate_limit": (
        429,
        "You exceeded your current quota, please check your plan and billing details. "
        "Quota exceeded for metric: generativelanguage.googleapis.com/"
        "generate_content_free_tier_requests, limit: {limit}. Please retry in {retry}s.",
    ),
    "server_error": (500, "An internal error has occurred. Please retry or report the issue."),
    "overloaded": (503, "The model is overloaded. Please try again later."),
    "context_length": (
        400,
        "The input token count (1048577) exceeds the maximum number of tokens allowed (1048576).",
    ),
    "request_timeout": (504, "Deadline expired before operation could complete."),
}


def gemini_route(path: str) -> tuple[str, str, bool] | None:
    """Return ``(endpoint, model, stream)`` for a Gemini model path, ``None`` for any other."""
    match = _PATH.match(path)
    if match is None:
        return None
    method = match["method"]
    return _ENDPOINTS[method], match["model"], method == "streamGenerateContent"


def gemini_error(code: int, message: str, details: list[JSON] | None = None) -> JSON:
    """Return a Google API error body: ``{"error": {"code", "message", "status"}}``."""
    error: JSON = {"code": code, "message": message, "status": _STATUS.get(code, "UNKNOWN")}
    if details:
        error["details"] = details
    return {"error": error}


def gemini_fault(fault: str, *, limit: int, retry: float) -> tuple[int, JSON]:
    """Return the status and error body a fault answers with on the Gemini API.

    A rate limit carries ``google.rpc.RetryInfo`` with the retry delay, as the API does.
    """
    code, message = _FAULTS[fault]
    details: list[JSON] = []
    if fault == "rate_limit":
        details.append(
            {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": f"{retry:g}s"}
        )
    return code, gemini_error(code, message.format(limit=limit, retry=f"{retry:g}"), details)


def thinks(model: str, body: JSON) -> bool:
    """Return whether ``model`` thinks for this request (a zero thinking budget turns it off)."""
    if not model.startswith(THINKING_PREFIXES) or "lite" in model:
        return False
    config = body.get("generationConfig")
    thinking = config.get("thinkingConfig") if isinstance(config, dict) else None
    if not isinstance(thinking, dict):
        return True
    # The API reads proto JSON, which takes both spellings; google-genai sends snake_case here.
    return thinking.get("thinkingBudget", thinking.get("thinking_budget")) != 0


def _parts_text(content: object) -> str:
    return content_text(content.get("parts")) if isinstance(content, dict) else ""


def gemini_texts(body: JSON) -> tuple[list[str], object]:
    """Return the text of each content of a request, system instruction first, and its limit."""
    contents = body.get("contents")
    if not isinstance(contents, list) or not contents:
        raise ValueError("* GenerateContentRequest.contents: contents is not specified")
    system = body.get("systemInstruction")
    texts = [_parts_text(system)] if isinstance(system, dict) else []
    texts += [_parts_text(content) for content in contents]
    config = body.get("generationConfig")
    limit = config.get("maxOutputTokens") if isinstance(config, dict) else None
    return texts, limit


def _usage(gen: Generation, candidates: int) -> JSON:
    usage: JSON = {"promptTokenCount": gen.prompt_tokens, "candidatesTokenCount": candidates}
    total = gen.prompt_tokens + candidates + gen.reasoning_tokens
    usage["totalTokenCount"] = total
    if gen.cached_tokens:
        usage["cachedContentTokenCount"] = gen.cached_tokens
    if gen.reasoning_tokens:
        usage["thoughtsTokenCount"] = gen.reasoning_tokens
    usage["promptTokensDetails"] = [{"modality": "TEXT", "tokenCount": gen.prompt_tokens}]
    return usage


def _finish_reason(gen: Generation) -> str:
    return "MAX_TOKENS" if gen.truncated else "STOP"


def _function_call(call: ToolCall) -> JSON:
    return {"functionCall": {"name": call.name, "args": call.input}}


def _chunk(gen: Generation, parts: list[JSON], candidates: int, finish: bool) -> JSON:
    candidate: JSON = {"content": {"parts": parts, "role": "model"}}
    if finish:
        candidate["finishReason"] = _finish_reason(gen)
    candidate["index"] = 0
    return {
        "candidates": [candidate],
        "usageMetadata": _usage(gen, candidates),
        "modelVersion": gen.model,
        "responseId": gen.token[:22],
    }


def generate_content(gen: Generation) -> JSON:
    """Return a ``GenerateContentResponse`` body: one text part, or ``functionCall`` parts."""
    parts = [_function_call(call) for call in gen.tool_calls] or [{"text": gen.text}]
    return _chunk(gen, parts, gen.output_tokens - gen.reasoning_tokens, finish=True)


def generate_stream(gen: Generation) -> StreamPlan:
    """Return the SSE chunks of ``streamGenerateContent?alt=sse``: one per word or call."""
    deltas: list[bytes] = []
    so_far = 0
    if gen.tool_calls:
        for call in gen.tool_calls:
            so_far += call.tokens
            deltas.append(sse(_chunk(gen, [_function_call(call)], so_far, finish=False)))
    else:
        for text in gen.chunks:
            so_far += 1
            deltas.append(sse(_chunk(gen, [{"text": text}], so_far, finish=False)))
    tail = sse(_chunk(gen, [{"text": ""}], so_far, finish=True))
    error = gemini_error(500, _FAULTS["server_error"][1])
    return StreamPlan(head=b"", deltas=tuple(deltas), tail=tail, error=sse(error))


def _embed_request(item: object) -> tuple[str, int | None]:
    if not isinstance(item, dict) or not isinstance(item.get("content"), dict):
        raise ValueError("* EmbedContentRequest.content: content is not specified")
    dims = item.get("outputDimensionality")
    return _parts_text(item["content"]), dims if isinstance(dims, int) and dims > 0 else None


def embeddings(body: JSON, model: str, seed: int, *, batch: bool) -> JSON:
    """Return an ``embedContent`` or ``batchEmbedContents`` body with unit vectors and usage."""
    requests = body.get("requests") if batch else [body]
    if not isinstance(requests, list) or not requests:
        raise ValueError("* BatchEmbedContentsRequest.requests: requests is not specified")
    vectors: list[JSON] = []
    tokens = 0
    for item in requests:
        text, dims = _embed_request(item)
        dims = dims or (3072 if model.startswith("gemini-embedding") else 768)
        tokens += math.ceil(len(text) / 4)
        packed = _embedding(f"{seed}\x00{model}\x00{text}", dims)
        vectors.append({"values": list(struct.unpack(f"<{dims}f", packed))})
    usage = {"promptTokenCount": tokens, "totalTokenCount": tokens}
    if batch:
        return {"embeddings": vectors, "usageMetadata": usage}
    return {"embedding": vectors[0], "usageMetadata": usage}
