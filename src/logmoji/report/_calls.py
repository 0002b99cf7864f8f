"""Decide which log events are LLM calls, and how each one ended.

The rule (also in ``logmoji report --help``): a JSON log line is one LLM call
when

1. its ``event`` ends with ``_completed``, ``_failed`` or ``_cancelled``;
2. it has a ``model`` field holding a non-empty string; and
3. its event is not a lifecycle or batch event: it does not start with
   ``model_load``, ``model_unload``, ``model_download``, ``training``,
   ``fine_tuning``, ``batch_``, ``cache_``, ``agent_run`` or ``tool_``.

So the instrumentation's ``chat_request_completed``, ``messages_request_failed``,
``stream_completed``, ``stream_cancelled``... count, and so do hand-written
events such as ``inference_completed`` or ``claude_request_failed`` with a
``model``; ``*_request_started``, ``stream_started`` and ``stream_progress``
do not (they are not endings), nor ``model_load_completed`` or
``batch_processing_completed``. The suffix gives the outcome: ``succeeded``,
``failed`` or ``cancelled``.

A failed call's error category is its ``error`` field when that is a short
identifier (``rate_limit_exceeded``, ``timeout``: what the instrumentation
writes); a free-text ``error`` (``error=str(exc)`` in hand-written logs) is
sorted by its words into ``timeout``, ``rate_limit_exceeded``,
``context_length_exceeded``, ``overloaded`` or ``connection_error``, else the
``error_type`` field, else ``other``.
"""

from __future__ import annotations

import re
from typing import Literal

__all__ = [
    "CALL_SUFFIXES",
    "EXCLUDED_PREFIXES",
    "Outcome",
    "call_outcome",
    "error_category",
    "infer_provider",
]

Outcome = Literal["succeeded", "failed", "cancelled"]

#: Event-name endings that mark the end of a call, with the outcome each means.
CALL_SUFFIXES: dict[str, Outcome] = {
    "_completed": "succeeded",
    "_failed": "failed",
    "_cancelled": "cancelled",
}
#: Event-name beginnings of endings that are not LLM calls (lifecycle, batches, caches).
EXCLUDED_PREFIXES: tuple[str, ...] = (
    "model_load",
    "model_unload",
    "model_download",
    "training",
    "fine_tuning",
    "batch_",
    "cache_",
    "agent_run",
    "tool_",
)

_IDENTIFIER = re.compile(r"[a-z][a-z0-9_.:-]{0,63}")
_TYPE_NAME = re.compile(r"[A-Za-z_][\w.]{0,99}")
_TEXT_CATEGORIES: tuple[tuple[re.Pattern[str], str], ...] = (
    (
        re.compile(
            r"context.?length|context window|maximum context|too many tokens|too long", re.I
        ),
        "context_length_exceeded",
    ),
    (re.compile(r"rate.?limit|too many requests|\b429\b", re.I), "rate_limit_exceeded"),
    (re.compile(r"time.?out|timed.?out", re.I), "timeout"),
    (re.compile(r"overload|\b529\b", re.I), "overloaded"),
    (re.compile(r"connection|connect\b|network", re.I), "connection_error"),
)
_PROVIDER_PREFIXES: tuple[tuple[str, str], ...] = (
    ("gpt-", "openai"),
    ("chatgpt", "openai"),
    ("o1", "openai"),
    ("o3", "openai"),
    ("o4", "openai"),
    ("text-embedding", "openai"),
    ("davinci", "openai"),
    ("dall-e", "openai"),
    ("whisper", "openai"),
    ("claude", "anthropic"),
    ("gemini", "google"),
    ("mistral", "mistral"),
    ("llama", "meta"),
)


def call_outcome(event: object) -> Outcome | None:
    """Return how the call ``event`` names ended, or ``None`` if it names no call ending.

    Only the event name is checked here; the caller checks the ``model`` field.
    """
    if type(event) is not str:
        return None
    cut = event.rfind("_")
    if cut <= 0:
        return None
    outcome = CALL_SUFFIXES.get(event[cut:])
    if outcome is None or event.startswith(EXCLUDED_PREFIXES):
        return None
    return outcome


def error_category(error: object, error_type: object) -> str:
    """Return the error category of a failed call from its ``error`` and ``error_type`` fields."""
    if type(error) is str:
        if _IDENTIFIER.fullmatch(error):
            return error
        for pattern, category in _TEXT_CATEGORIES:
            if pattern.search(error):
                return category
    if type(error_type) is str and _TYPE_NAME.fullmatch(error_type):
        return error_type
    return "other"


def infer_provider(model: str) -> str:
    """Return the provider a model name belongs to, or ``""`` when it is not recognised.

    Used only for calls logged without a ``provider`` field.
    """
    name = model.lower().rpartition("/")[2]
    for prefix, provider in _PROVIDER_PREFIXES:
        if name.startswith(prefix):
            return provider
    return ""
