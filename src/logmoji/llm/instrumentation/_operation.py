"""Describe a provider's model operations: what a request asks, what a response says.

An :class:`Operation` (``chat``, ``responses``, ``embeddings``, ``messages``...)
is the provider adapter's answer to a few questions about one kind of model
request: how to summarize its prompt from the JSON body, how to read usage,
ids, finish reason and tool calls from a result, and how to follow its stream.
Everything else (events, costs, monitoring, spans) is shared.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logmoji.llm.instrumentation._call import Call
from logmoji.llm.instrumentation._outcome import Outcome, Prompt
from logmoji.llm.instrumentation.streams import StreamTracker
from logmoji.llm.tokens import estimate_texts, iter_text

__all__ = ["Operation", "get_field", "request_settings", "summarize"]

# Request parameters that are settings of the call, and the field each is logged as.
_SETTINGS = (
    ("temperature", "temperature"),
    ("max_tokens", "max_tokens"),
    ("max_completion_tokens", "max_tokens"),
    ("max_output_tokens", "max_tokens"),
    ("top_p", "top_p"),
    ("seed", "seed"),
    ("stop", "stop_sequences"),
    ("stop_sequences", "stop_sequences"),
)

_SETTING_KEYS = frozenset(key for key, _ in _SETTINGS)


class Operation:
    """Describe one SDK method: how to read its request, its result and its stream."""

    name = ""

    def prompt(self, body: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize the prompt of a request's JSON ``body``."""
        raise NotImplementedError

    def prepare(self, body: Mapping[str, Any]) -> tuple[Mapping[str, Any], bool]:
        """Return the body to send and whether to hide a usage-only stream chunk."""
        return body, False

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read usage and ids from a result (an SDK model or its JSON as a dict)."""
        raise NotImplementedError

    def tracker(self, call: Call, strip_usage: bool) -> StreamTracker:
        """Return a tracker for a stream of this operation."""
        raise NotImplementedError


def get_field(obj: object, name: str) -> Any:
    """Return ``obj.name`` or ``obj[name]``: results are SDK models, raw bodies are dicts."""
    if obj is None:  # an absent part (no usage details): getattr would raise inside
        return None
    # Not isinstance(): for an object that is no dict it also looks up obj.__class__,
    # which for an SDK model costs more than the attribute read itself.
    if issubclass(type(obj), dict):
        return obj.get(name)  # type: ignore[attr-defined]
    return getattr(obj, name, None)


def _line(item: object) -> str:
    text = "".join(iter_text(item))
    role = get_field(item, "role") if isinstance(item, Mapping) else None
    return f"{role}: {text}" if isinstance(role, str) else text


def request_settings(body: Mapping[str, Any]) -> dict[str, object] | None:
    """Return a request's sampling settings as log fields; ``None`` when it sets none.

    ``temperature``, ``max_tokens`` (also from ``max_completion_tokens`` and
    ``max_output_tokens``), ``top_p``, ``seed`` and ``stop_sequences`` (a
    single ``stop`` string becomes a list of one).
    """
    if _SETTING_KEYS.isdisjoint(body):  # in C: most requests set none of them
        return None
    out: dict[str, object] | None = None
    for key, name in _SETTINGS:
        value = body.get(key)
        if value is None or isinstance(value, bool):
            continue
        if name == "stop_sequences":
            if isinstance(value, str):
                value = [value]
            elif not (isinstance(value, list | tuple) and all(isinstance(v, str) for v in value)):
                continue
            else:
                value = list(value)
        elif not isinstance(value, int | float):
            continue
        if out is None:
            out = {}
        out[name] = value
    return out


def summarize(
    model: object,
    items: list[object],
    capture: bool,
    settings: Mapping[str, object] | None = None,
    captured: Mapping[str, str] | None = None,
) -> Prompt:
    """Summarize a prompt made of ``items`` (messages, input items or strings).

    Counts messages and characters and estimates tokens; keeps the text only
    when ``capture`` is on.
    """
    name = model if isinstance(model, str) else str(model)
    texts: list[str] = []
    for item in items:
        # The usual message, {"role": ..., "content": "text"}, without the general walk.
        content = item.get("content") if type(item) is dict and len(item) == 2 else None
        if type(content) is str and "role" in item:  # type: ignore[operator]
            texts.append(content)
        else:
            texts.extend(iter_text(item))
    return Prompt(
        model=name,
        message_count=len(items),
        chars=sum(map(len, texts)),
        estimate=estimate_texts(texts, len(items), name),
        text="\n".join(_line(item) for item in items) if capture else None,
        settings=settings,
        content=captured,
    )
