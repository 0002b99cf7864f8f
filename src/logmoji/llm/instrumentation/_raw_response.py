"""End a call made through a raw or streaming-response wrapper when its body is read.

Such a call returns the SDK's response wrapper (``LegacyAPIResponse``,
``APIResponse`` or their async twins) before the body is read, or, for a
streamed body, before anything is read. The usage is in the body, so the
call's ending waits for the caller, and logmoji never reads a body for them:

* a body already in memory (``with_raw_response`` without streaming) is read
  at once, as the SDK has done;
* ``read()`` (which ``parse()``, ``json()`` and ``text()`` call) gives the
  body: ✨ completed with the server's usage;
* ``parse()`` of a streamed body gives the SDK's stream: 🌊 ``stream_started``,
  then the stream is watched like any other;
* ``close()``, or the wrapper dropped, before any of that: the call ends
  ✨ completed with ``usage_known=False``, so that reports count it as a call
  of unknown usage, never as zero tokens.

Only instance attributes of the one wrapper are set; the caller's calls go to
the SDK's own methods.
"""

from __future__ import annotations

import inspect
import weakref
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

import orjson

from logmoji.llm.instrumentation._call import Call
from logmoji.llm.instrumentation._outcome import Outcome
from logmoji.llm.instrumentation.streams import watch_stream

if TYPE_CHECKING:
    from logmoji.llm.instrumentation._operation import Operation

__all__ = ["watch_response"]


class _Ending:
    """Log a raw call's one ending, whichever of the wrapper's paths comes first."""

    __slots__ = ("__weakref__", "call", "done", "op")

    def __init__(self, call: Call, op: Operation) -> None:
        self.call = call
        self.op = op
        self.done = False

    def body(self, content: object) -> None:
        """End with the usage read from a JSON body, or as unknown if it has none."""
        if self.done:
            return
        self.done = True
        try:
            data = orjson.loads(content) if isinstance(content, bytes | str) else None
        except orjson.JSONDecodeError:
            data = None
        outcome = (
            self.op.outcome(data, self.call.rt.settings.capture_content)
            if isinstance(data, dict)
            else Outcome()
        )
        self._complete(outcome)

    def stream(self, stream: Any, is_async: bool) -> None:
        """Hand the ending over to the parsed stream."""
        if self.done:
            return
        self.done = True
        watch_stream(stream, self.op.tracker(self.call, False), is_async=is_async)
        self.call.stream_started()

    def unknown(self) -> None:
        """End without the body: the call's usage is unknown."""
        if self.done:
            return
        self.done = True
        self._complete(Outcome())

    def _complete(self, outcome: Outcome) -> None:
        outcome.extra["raw_response"] = True
        if outcome.prompt_tokens is None and outcome.completion_tokens is None:
            outcome.extra["usage_known"] = False
        self.call.completed(outcome)


def _guard(ending: _Ending, step: Callable[[], None]) -> None:
    try:
        step()
    except Exception as exc:  # the caller's read, parse or close goes on regardless
        ending.call.rt.internal_error("raw_response", exc)


def _is_stream(value: object) -> bool:
    return hasattr(value, "_iterator") and hasattr(value, "response")


def _content(response: Any) -> object:
    """Return the body if it is already in memory, else ``None`` (never reads it)."""
    http = response.http_response
    return vars(http).get("_content")


def _hook_sync(response: Any, ending: _Ending) -> None:
    cls = type(response)
    state = vars(response)
    ref = weakref.ref(response)  # the wrapper's own attributes must not keep it alive
    if callable(getattr(cls, "read", None)):

        def read(*args: Any, **kwargs: Any) -> Any:
            content = cls.read(ref(), *args, **kwargs)
            if not ending.call.stream:
                _guard(ending, lambda: ending.body(content))
            return content

        state["read"] = read

    def parse(*args: Any, **kwargs: Any) -> Any:
        parsed = cls.parse(ref(), *args, **kwargs)
        if _is_stream(parsed):
            _guard(ending, lambda: ending.stream(parsed, False))
        elif not ending.call.stream:
            _guard(ending, lambda: ending.body(_content(ref())))
        return parsed

    state["parse"] = parse
    if callable(getattr(cls, "close", None)):

        def close(*args: Any, **kwargs: Any) -> Any:
            try:
                return cls.close(ref(), *args, **kwargs)
            finally:
                _guard(ending, ending.unknown)

        state["close"] = close


def _hook_async(response: Any, ending: _Ending) -> None:
    cls = type(response)
    state = vars(response)
    ref = weakref.ref(response)  # the wrapper's own attributes must not keep it alive
    if callable(getattr(cls, "read", None)):

        async def read(*args: Any, **kwargs: Any) -> Any:
            content = await cls.read(ref(), *args, **kwargs)
            if not ending.call.stream:
                _guard(ending, lambda: ending.body(content))
            return content

        state["read"] = read

    async def aparse(*args: Any, **kwargs: Any) -> Any:
        parsed = await cls.parse(ref(), *args, **kwargs)
        if _is_stream(parsed):
            _guard(ending, lambda: ending.stream(parsed, True))
        elif not ending.call.stream:
            _guard(ending, lambda: ending.body(_content(ref())))
        return parsed

    def sparse(*args: Any, **kwargs: Any) -> Any:  # LegacyAPIResponse: sync even when async
        parsed = cls.parse(ref(), *args, **kwargs)
        if _is_stream(parsed):
            _guard(ending, lambda: ending.stream(parsed, True))
        elif not ending.call.stream:
            _guard(ending, lambda: ending.body(_content(ref())))
        return parsed

    state["parse"] = aparse if inspect.iscoroutinefunction(cls.parse) else sparse
    if callable(getattr(cls, "close", None)):

        async def close(*args: Any, **kwargs: Any) -> Any:
            try:
                return await cls.close(ref(), *args, **kwargs)
            finally:
                _guard(ending, ending.unknown)

        state["close"] = close


def watch_response(response: Any, call: Call, op: Operation, *, is_async: bool) -> None:
    """End ``call`` when the caller reads ``response`` (an SDK raw response wrapper)."""
    ending = _Ending(call, op)
    content = None if call.stream else _content(response)
    if content is not None:  # the SDK read the body already (with_raw_response)
        ending.body(content)
        return
    if is_async:
        _hook_async(response, ending)
    else:
        _hook_sync(response, ending)
    finalizer = weakref.finalize(response, _guard, ending, ending.unknown)
    finalizer.atexit = False
