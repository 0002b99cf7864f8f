"""Helpers shared by the instrumentation tests of both SDKs: log filters and a result spy."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from typing import Any

TOUCHED = (
    "create",
    "parse",
    "stream",
    "copy",
    "with_options",
    "with_raw_response",
    "with_streaming_response",
    "_process_response",
    "_sleep_for_retry",
    "_logmoji_instrumentation",
)
"""The attributes instrumentation may set or drop on an SDK client's objects."""


def touched(obj: object) -> tuple[set[str], dict[str, object]]:
    """Return an object's attribute names and the values of those instrumentation touches."""
    state = vars(obj)
    return set(state), {name: state[name] for name in TOUCHED if name in state}


def llm_events(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Keep logmoji's own LLM events (not the SDK's or httpx's log lines)."""
    return [event for event in logs if str(event.get("logger", "")).startswith("llm")]


def names(logs: list[dict[str, Any]]) -> list[str]:
    """Return the LLM event names in order."""
    return [event["event"] for event in llm_events(logs)]


def ending(logs: list[dict[str, Any]]) -> dict[str, Any]:
    """Return the last LLM event (the call's one ending)."""
    return llm_events(logs)[-1]


@dataclass
class Spy:
    """Record what the SDK itself returned or raised, below the instrumentation.

    ``streams`` are the SDK's stream classes (sync and async): a returned
    stream is followed to its end, so an error raised while reading it is
    recorded too.
    """

    streams: tuple[type, ...]
    returned: list[Any] = field(default_factory=list)
    raised: list[BaseException] = field(default_factory=list)

    def install(self, owner: Any, name: str, *, is_async: bool) -> None:
        """Put a recording pass-through on ``owner.name`` (instrument after this).

        ``is_async``: the method returns an awaitable (not so for methods that
        return an async context manager, such as Anthropic's ``messages.stream``).
        """
        original = getattr(owner, name)
        if is_async:

            async def arecord(*args: Any, **kwargs: Any) -> Any:
                try:
                    result = await original(*args, **kwargs)
                except BaseException as exc:
                    self.raised.append(exc)
                    raise
                self._keep(result, is_async=True)
                return result

            setattr(owner, name, arecord)
            return

        def record(*args: Any, **kwargs: Any) -> Any:
            try:
                result = original(*args, **kwargs)
            except BaseException as exc:
                self.raised.append(exc)
                raise
            self._keep(result, is_async=False)
            return result

        setattr(owner, name, record)

    def _keep(self, result: Any, *, is_async: bool) -> None:
        self.returned.append(result)
        if isinstance(result, self.streams):
            inner = result._iterator
            result._iterator = self._aiter(inner) if is_async else self._iter(inner)

    def _iter(self, inner: Iterator[Any]) -> Iterator[Any]:
        try:
            yield from inner
        except BaseException as exc:
            self.raised.append(exc)
            raise

    async def _aiter(self, inner: AsyncIterator[Any]) -> AsyncIterator[Any]:
        try:
            async for item in inner:
                yield item
        except BaseException as exc:
            self.raised.append(exc)
            raise
