"""Estimate how many tokens a prompt holds before the server says.

The estimate is exact when ``tiktoken`` is importable *and* the encoding's
files are already on disk; otherwise it is the usual four-characters-per-token
heuristic. Loading an encoding never reaches the network: while tiktoken reads
its cache, its download function is swapped for one that refuses, so a cache
miss falls back to the heuristic instead of fetching.

Chat-style input gets the OpenAI framing overhead of three tokens per message.
"""

from __future__ import annotations

import importlib
import math
import threading
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Literal, Protocol

__all__ = ["TokenEstimate", "estimate_texts", "estimate_tokens", "iter_text"]

_PER_MESSAGE = 3
_CHARS_PER_TOKEN = 4
_DEFAULT_ENCODING = "o200k_base"
_TEXT_KEYS = ("text", "content", "input_text", "output_text", "output", "thinking")


class _Encoding(Protocol):
    def encode_ordinary(self, text: str) -> list[int]: ...


@dataclass(frozen=True, slots=True)
class TokenEstimate:
    """Hold an estimated token count and how it was obtained."""

    count: int
    method: Literal["tiktoken", "heuristic"]


def iter_text(value: object) -> Iterator[str]:
    """Yield every piece of text in a prompt: a string, messages, content parts.

    Understands OpenAI chat and Responses input and Anthropic messages and
    system blocks (``{"content": ...}``, ``{"type": "text", "text": ...}``);
    images, audio and other non-text parts contribute nothing.
    """
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict | Mapping):
        for key in _TEXT_KEYS:
            inner = value.get(key)
            if inner is None:
                continue
            if isinstance(inner, str):
                yield inner
            else:
                yield from iter_text(inner)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from iter_text(item)
    else:
        dump = getattr(value, "model_dump", None)  # an SDK's pydantic model used as a message
        if callable(dump):
            yield from iter_text(dump())


_LOCK = threading.Lock()
_ENCODINGS: dict[str, _Encoding | None] = {}
_BY_MODEL: dict[str | None, _Encoding | None] = {}
_MAX_MODELS = 256


class _OfflineOnlyError(RuntimeError):
    """Raised instead of downloading an encoding file."""


def _refuse_download(blobpath: str) -> bytes:
    raise _OfflineOnlyError(blobpath)


def _load_offline(name: str) -> _Encoding | None:
    """Return tiktoken's encoding ``name`` if it loads from disk alone, else ``None``."""
    try:  # an optional dependency, imported on first use
        tiktoken: Any = importlib.import_module("tiktoken")
        loader: Any = importlib.import_module("tiktoken.load")
    except ImportError:
        return None
    original = loader.read_file
    loader.read_file = _refuse_download
    try:
        encoding: _Encoding = tiktoken.get_encoding(name)
    except Exception:  # a cache miss, a corrupt file or an unknown name: estimate instead
        return None
    finally:
        loader.read_file = original
    return encoding


def _encoding_for_uncached(model: str | None) -> _Encoding | None:
    name = _DEFAULT_ENCODING
    if model is not None:
        try:
            models: Any = importlib.import_module("tiktoken.model")
        except ImportError:
            return None
        try:
            name = models.encoding_name_for_model(model)
        except KeyError:  # not an OpenAI model: tiktoken would only be another guess
            return None
    with _LOCK:
        if name not in _ENCODINGS:
            _ENCODINGS[name] = _load_offline(name)
        return _ENCODINGS[name]


def _encoding_for(model: str | None) -> _Encoding | None:
    """Return the encoding for ``model``, remembered per model (one dict lookup after the first)."""
    try:
        return _BY_MODEL[model]
    except KeyError:
        pass
    encoding = _encoding_for_uncached(model)
    if len(_BY_MODEL) >= _MAX_MODELS:  # model names come from callers: keep the cache bounded
        _BY_MODEL.clear()
    _BY_MODEL[model] = encoding
    return encoding


def _is_messages(value: object) -> bool:
    return isinstance(value, list | tuple) and any(isinstance(item, Mapping) for item in value)


def estimate_texts(texts: list[str], messages: int, model: str | None = None) -> TokenEstimate:
    """Estimate the tokens of ``texts`` framed as ``messages`` chat messages.

    Args:
        texts: The prompt's text pieces.
        messages: How many messages carry them (three tokens of framing each).
        model: Picks the tiktoken encoding, as in :func:`estimate_tokens`.
    """
    overhead = _PER_MESSAGE * messages
    encoding = _encoding_for(model)
    if encoding is not None:
        count = sum(len(encoding.encode_ordinary(text)) for text in texts)
        return TokenEstimate(count + overhead, "tiktoken")
    chars = sum(map(len, texts))
    return TokenEstimate(math.ceil(chars / _CHARS_PER_TOKEN) + overhead, "heuristic")


def estimate_tokens(messages_or_text: object, model: str | None = None) -> TokenEstimate:
    """Estimate the prompt tokens of a text or a list of chat messages.

    Args:
        messages_or_text: A string, a list of strings, or chat messages.
        model: The model the prompt is for; picks the tiktoken encoding. A model
            tiktoken does not know (such as Claude) gets the heuristic.

    Returns:
        The count and whether it came from ``"tiktoken"`` or the ``"heuristic"``.
    """
    messages = 0
    if _is_messages(messages_or_text):
        assert isinstance(messages_or_text, list | tuple)
        messages = len(messages_or_text)
    return estimate_texts(list(iter_text(messages_or_text)), messages, model)
