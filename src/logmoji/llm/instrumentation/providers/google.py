"""Read Gemini requests, results and streams: the adapter for ``google.genai.Client``.

Every model request of the client is seen by :mod:`._google_hooks`
(on the client's ``_api_client``, which ``client.aio`` shares); the path's
suffix picks the operation here (:data:`VERBS`): ``:generateContent`` and
``:streamGenerateContent`` are ``generate_content``, ``:embedContent`` and
``:batchEmbedContents`` are ``embeddings``. The request and response bodies
are the API's own JSON (camelCase), so this module reads the wire format, not
the SDK's models.

Usage follows the OpenTelemetry GenAI conventions: ``prompt_tokens`` is
``promptTokenCount`` (cached content included), ``cached_tokens`` is
``cachedContentTokenCount``, ``completion_tokens`` is ``candidatesTokenCount +
thoughtsTokenCount`` and ``reasoning_tokens`` is ``thoughtsTokenCount``;
``total_tokens`` is the server's ``totalTokenCount``. Gemini leaves zero
counts out, so within a reported ``usageMetadata`` a missing candidates or
thoughts count is zero. A stream repeats ``usageMetadata`` on its chunks; the
last one seen (the final chunk's) is used. ``functionCall`` parts are tool
calls. The provider is ``gcp.gemini`` (the Gemini API), or ``gcp.vertex_ai``
for a Vertex AI client (``client.vertexai``); both are priced from
genai-prices' ``google`` provider.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from logmoji.llm.instrumentation._call import Call
from logmoji.llm.instrumentation._operation import Operation, get_field, summarize
from logmoji.llm.instrumentation._outcome import Outcome, Prompt, ToolCall
from logmoji.llm.instrumentation._patches import Patches
from logmoji.llm.instrumentation._runtime import Runtime
from logmoji.llm.instrumentation.providers._google_hooks import hook_api_client
from logmoji.llm.instrumentation.streams import StreamTracker

__all__ = ["PROVIDER", "REQUEST_ID_HEADER", "VERBS", "VERTEX_PROVIDER", "install", "provider_of"]

PROVIDER = "gcp.gemini"
VERTEX_PROVIDER = "gcp.vertex_ai"
REQUEST_ID_HEADER = "x-request-id"  # Google's API sends none; gateways in front of it do


def base_url_of(client: Any) -> str:
    """Return the base URL a ``genai.Client`` sends its requests to (``""`` if it has none)."""
    url = getattr(
        getattr(getattr(client, "_api_client", None), "_http_options", None), "base_url", ""
    )
    return url if isinstance(url, str) else ""


def provider_of(client: Any) -> str:
    """Return the OTel GenAI provider name of a ``genai.Client``: Vertex AI or Gemini API."""
    return VERTEX_PROVIDER if getattr(client, "vertexai", False) is True else PROVIDER


def _load(body: object) -> Any:
    """Parse a response body (the SDK hands it over as JSON text); ``None`` if it is none."""
    if isinstance(body, str | bytes) and body:
        return orjson.loads(body)
    return body if isinstance(body, dict) else None


def _usage(usage: object) -> Outcome:
    """Map ``usageMetadata`` to our fields, the OTel GenAI way (see the module docstring)."""
    prompt = get_field(usage, "promptTokenCount")
    candidates = get_field(usage, "candidatesTokenCount")
    thoughts = get_field(usage, "thoughtsTokenCount")
    completion = None
    if prompt is not None or candidates is not None or thoughts is not None:
        completion = (candidates or 0) + (thoughts or 0)
    return Outcome(
        prompt_tokens=prompt,
        completion_tokens=completion,
        total_tokens=get_field(usage, "totalTokenCount"),
        cached_tokens=get_field(usage, "cachedContentTokenCount"),
        reasoning_tokens=thoughts,
    )


def _parts(data: object) -> list[Any]:
    """Return the parts of the first candidate's content."""
    candidates = get_field(data, "candidates")
    if not isinstance(candidates, list) or not candidates:
        return []
    parts = get_field(get_field(candidates[0], "content"), "parts")
    return parts if isinstance(parts, list) else []


def _finish_reason(data: object) -> str | None:
    candidates = get_field(data, "candidates")
    if isinstance(candidates, list) and candidates:
        reason = get_field(candidates[0], "finishReason")
        return reason if isinstance(reason, str) else None
    return None


def _tool_call(part: object, capture: bool) -> ToolCall | None:
    call = get_field(part, "functionCall")
    if not isinstance(call, dict):
        return None
    name = call.get("name")
    arguments = orjson.dumps(call.get("args") or {}).decode() if capture else None
    return ToolCall(name if isinstance(name, str) else "unknown", arguments)


def _text(part: object) -> str | None:
    """Return a part's answer text; a thought summary (``"thought": true``) is no answer."""
    text = get_field(part, "text")
    return text if isinstance(text, str) and not get_field(part, "thought") else None


def _contents(body: Mapping[str, Any]) -> list[object]:
    """Return a request's system instruction and contents as messages ``summarize`` reads."""
    items: list[object] = []
    system = body.get("systemInstruction")
    if isinstance(system, dict):
        items.append({"role": "system", "content": system.get("parts") or []})
    for content in body.get("contents") or ():
        if isinstance(content, dict):
            items.append({"role": content.get("role", "user"), "content": content.get("parts")})
    return items


class GenerateContent(Operation):
    """A request to ``:generateContent`` or ``:streamGenerateContent``."""

    name = "generate_content"

    def prompt(self, body: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize ``systemInstruction`` (one more message) and ``contents``."""
        return summarize(body.get("_logmoji_model"), _contents(body), capture)

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read a ``GenerateContentResponse`` body."""
        data = _load(get_field(result, "body"))
        outcome = _usage(get_field(data, "usageMetadata"))
        outcome.response_model = get_field(data, "modelVersion")
        outcome.response_id = get_field(data, "responseId")
        outcome.finish_reason = _finish_reason(data)
        parts = _parts(data)
        calls = [call for part in parts if (call := _tool_call(part, capture)) is not None]
        outcome.tool_calls = calls or None
        if capture:
            outcome.text = "".join(text for part in parts if (text := _text(part)) is not None)
        return outcome

    def tracker(self, call: Call, strip_usage: bool) -> StreamTracker:
        """Watch ``streamGenerateContent`` chunks."""
        return GenerateTracker(call)


class GenerateTracker(StreamTracker):
    """Watch the ``HttpResponse`` chunks of ``request_streamed``: text, calls, usage."""

    __slots__ = ("finish_reason", "response_id", "response_model", "tools", "usage")

    def __init__(self, call: Call) -> None:
        super().__init__(call)
        self.usage: Any = None
        self.tools: list[ToolCall] | None = None
        self.finish_reason: str | None = None
        self.response_model: str | None = None
        self.response_id: str | None = None

    def feed(self, item: Any) -> bool:
        """Count text parts as deltas; keep the latest usage, ids and finish reason."""
        self.chunks += 1
        if self.call.headers is None:
            headers = get_field(item, "headers")
            if isinstance(headers, Mapping):
                self.call.on_response(headers)
        data = _load(get_field(item, "body"))
        for part in _parts(data):
            text = _text(part)
            if text:
                self.token(text)
                continue
            tool = _tool_call(part, self.parts is not None)
            if tool is not None:
                self.tools = [*(self.tools or ()), tool]
        usage = get_field(data, "usageMetadata")
        if usage is not None:
            self.usage = usage
        self.finish_reason = _finish_reason(data) or self.finish_reason
        self.response_model = get_field(data, "modelVersion") or self.response_model
        self.response_id = get_field(data, "responseId") or self.response_id
        return True

    def outcome(self) -> Outcome:
        """Return the latest usage, or the prompt estimate and counted deltas if none came."""
        if self.usage is not None:
            outcome = _usage(self.usage)
        else:
            estimate = self.call.prompt.estimate.count
            outcome = Outcome(estimate, self.deltas, estimate + self.deltas)
            outcome.extra["usage_estimated"] = True
        outcome.response_model = self.response_model
        outcome.response_id = self.response_id
        outcome.finish_reason = self.finish_reason
        outcome.tool_calls = self.tools
        return outcome


class EmbedContent(Operation):
    """A request to ``:embedContent`` or ``:batchEmbedContents``."""

    name = "embeddings"

    def prompt(self, body: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize each request's content (one item per text to embed)."""
        requests = body.get("requests")
        given = requests if isinstance(requests, list) else [body]
        items: list[object] = [
            {"content": get_field(get_field(item, "content"), "parts") or []} for item in given
        ]
        return summarize(body.get("_logmoji_model"), items, capture)

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read an ``EmbedContentResponse`` or ``BatchEmbedContentsResponse`` body."""
        data = _load(get_field(result, "body"))
        usage = get_field(data, "usageMetadata")
        embeddings = get_field(data, "embeddings")
        count = len(embeddings) if isinstance(embeddings, list) else None
        if count is None and get_field(data, "embedding") is not None:
            count = 1
        return Outcome(
            prompt_tokens=get_field(usage, "promptTokenCount"),
            total_tokens=get_field(usage, "totalTokenCount"),
            extra={"embedding_count": count},
        )


GENERATE = GenerateContent()
EMBED = EmbedContent()
VERBS: dict[str, Operation] = {
    "generateContent": GENERATE,
    "streamGenerateContent": GENERATE,
    "embedContent": EMBED,
    "batchEmbedContents": EMBED,
}


def install(patches: Patches, client: Any, rt: Runtime, *, is_async: bool) -> None:
    """Log every model request of one ``genai.Client`` (and its ``client.aio``)."""
    hook_api_client(patches, client._api_client, rt, VERBS)
