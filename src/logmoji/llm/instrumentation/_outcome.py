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
        out: dict[str, object] = {
            "response_id": self.response_id,
            "response_model": self.response_model,
            "finish_reason": self.finish_reason,
            "prompt_tokens": self.prompt_tokens,
            "completion_tokens": self.completion_tokens,
            "total_tokens": self.total_tokens,
            "cached_tokens": self.cached_tokens,
            "cache_write_tokens": self.cache_write_tokens,
            "reasoning_tokens": self.reasoning_tokens,
        }
        if self.tool_calls:
            out["tool_call_count"] = len(self.tool_calls)
            out["tool_names"] = [call.name for call in self.tool_calls]
        out.update(self.extra)
        return {key: value for key, value in out.items() if value is not None}

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
