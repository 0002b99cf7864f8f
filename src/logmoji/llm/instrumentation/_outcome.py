"""What a call asked and what its response said: a :class:`Prompt`, an :class:`Outcome`.

An adapter's :class:`~logmoji.llm.instrumentation._operation.Operation` builds
these from a request body and a result; :class:`~logmoji.llm.instrumentation._call.Call`
turns them into log fields. Text is kept only under content capture, and
masked and cut by :func:`truncate` before it is logged.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from logmoji.llm.tokens import TokenEstimate
from logmoji.logger._pipeline import text_masker

__all__ = ["Outcome", "Prompt", "ToolCall", "truncate"]


@dataclass(slots=True)
class Prompt:
    """Summarize a request without keeping its text (unless content capture is on).

    Not frozen, though nothing changes it once made: a frozen dataclass sets each
    field through ``object.__setattr__``, and every request builds one of these.
    """

    model: str
    message_count: int
    chars: int
    estimate: TokenEstimate
    text: str | None = None
    settings: Mapping[str, object] | None = None
    content: Mapping[str, str] | None = None


@dataclass(frozen=True, slots=True)
class ToolCall:
    """One tool call a response asked for: the tool's name and its arguments as JSON text."""

    name: str
    arguments: str | None = None


@dataclass(slots=True)
class Outcome:
    """Hold what a response reported: usage as the server counted it, ids, reason, text."""

    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    total_tokens: int | None = None
    cached_tokens: int | None = None
    cache_write_tokens: int | None = None
    reasoning_tokens: int | None = None
    response_model: str | None = None
    response_id: str | None = None
    finish_reason: str | None = None
    text: str | None = None
    tool_calls: list[ToolCall] | None = None
    extra: dict[str, object] = field(default_factory=dict)

    def fields(self) -> dict[str, object]:
        """Return the outcome as log fields, leaving out what is unknown."""
        # One test per field, not a dict of all nine filtered by a comprehension:
        # every completed call comes here.
        out: dict[str, object] = {}
        if self.response_id is not None:
            out["response_id"] = self.response_id
        if self.response_model is not None:
            out["response_model"] = self.response_model
        if self.finish_reason is not None:
            out["finish_reason"] = self.finish_reason
        if self.prompt_tokens is not None:
            out["prompt_tokens"] = self.prompt_tokens
        if self.completion_tokens is not None:
            out["completion_tokens"] = self.completion_tokens
        if self.total_tokens is not None:
            out["total_tokens"] = self.total_tokens
        if self.cached_tokens is not None:
            out["cached_tokens"] = self.cached_tokens
        if self.cache_write_tokens is not None:
            out["cache_write_tokens"] = self.cache_write_tokens
        if self.reasoning_tokens is not None:
            out["reasoning_tokens"] = self.reasoning_tokens
        if self.tool_calls:
            out["tool_call_count"] = len(self.tool_calls)
            out["tool_names"] = [call.name for call in self.tool_calls]
        # Extras are fields of their own (``usage_estimated``, ``raw_response``...),
        # after the ones above; a None one leaves its field out, as a None above does.
        for key, value in self.extra.items():
            if value is None:
                out.pop(key, None)
            else:
                out[key] = value
        return out

    def content_fields(self, limit: int) -> dict[str, object]:
        """Return the response text and tool-call arguments, masked and cut (capture only)."""
        out: dict[str, object] = {}
        if self.text is not None:
            out["response"] = truncate(self.text, limit)
        if self.tool_calls:
            out["tool_calls"] = [
                {"name": call.name, "arguments": truncate(call.arguments or "", limit)}
                for call in self.tool_calls
            ]
        return out


def truncate(text: str, limit: int) -> str:
    """Cut ``text`` to ``limit`` characters, saying how much was left out.

    Secrets are masked first: a key cut in half would no longer match its pattern.
    """
    masker = text_masker()
    if masker is not None:
        text = masker.mask(text)
    if len(text) <= limit:
        return text
    return f"{text[:limit]}…[truncated {len(text) - limit} chars]"
