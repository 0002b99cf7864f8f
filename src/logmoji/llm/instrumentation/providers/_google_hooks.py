"""Hook one google-genai client where every model request passes: its ``_api_client``.

Every model request of google-genai passes through four methods of the
client's ``BaseApiClient``: ``request``, ``request_streamed``,
``async_request`` and ``async_request_streamed``, each called as
``(http_method, path, request_dict, http_options)``. ``client.aio`` shares
that object, so four instance attributes cover ``models.generate_content``,
``generate_content_stream``, ``embed_content``, the ``chats`` helpers built on
them, sync and async, and automatic function calling (one logged call per
request it sends). A POST whose path ends in one of the adapter's verbs
(``models/gemini-2.5-flash:generateContent``) is a model request; anything
else (files, caches, token counting) passes through. Two more, ``_request_once``
and ``_async_request_once`` (one HTTP attempt each), tell the call of retries.

What the caller gets is the SDK's own: the ``HttpResponse``, or a generator of
them. A sync stream is a lazy generator whose first ``next()`` sends the
request, so the call starts there, and a failure before the first chunk ends
it as a failed request; after that, :func:`~logmoji.llm.instrumentation.streams.watch_items`
follows the chunks. Nothing is read ahead.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping
from contextvars import ContextVar
from typing import Any

from logmoji.llm.instrumentation._call import Call, current
from logmoji.llm.instrumentation._operation import Operation, get_field
from logmoji.llm.instrumentation._patches import Patches
from logmoji.llm.instrumentation._runtime import Runtime
from logmoji.llm.instrumentation.streams import watch_items

__all__ = ["Verbs", "hook_api_client"]

Verbs = Mapping[str, Operation]
"""The method after the model in a request path (``generateContent``) to its operation."""

_END = object()


class _Flight:
    """The retry state of one call: HTTP attempts so far and how the last one failed."""

    __slots__ = ("attempts", "call", "headers", "status")

    def __init__(self, call: Call) -> None:
        self.call = call
        self.attempts = 0
        self.status: int | None = None
        self.headers: Mapping[str, str] | None = None


_flight: ContextVar[_Flight | None] = ContextVar("logmoji_google_flight", default=None)


def _route(
    verbs: Verbs, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Operation, Any] | None:
    """Return the operation and body with its model of a model request, ``None`` otherwise."""
    method = args[0] if args else kwargs.get("http_method")
    path = args[1] if len(args) > 1 else kwargs.get("path")
    body = args[2] if len(args) > 2 else kwargs.get("request_dict")
    if method != "post" or type(path) is not str or not isinstance(body, Mapping):
        return None
    name, colon, verb = path.partition("?")[0].rpartition(":")
    op = verbs.get(verb) if colon else None
    if op is None:
        return None
    # The model is in the path (``models/gemini-2.5-flash``, Vertex's longer one), not the body.
    return op, {**body, "_logmoji_model": name.rpartition("/")[2]}


def _begin(rt: Runtime, found: tuple[Operation, Any], *, stream: bool) -> Call | None:
    """Start the call; ``None`` if logmoji failed to read the request (send it bare)."""
    op, body = found
    try:
        call = Call(rt, op.name, op.prompt(body, rt.settings.capture_content), stream=stream)
    except Exception as exc:  # reading the request must never stop it
        rt.internal_error(f"{op.name}_request", exc)
        return None
    call.start()  # raises BudgetExceededError, the one deliberate stop
    return call


def _completed(call: Call, op: Operation, result: Any) -> None:
    try:
        headers = get_field(result, "headers")
        if isinstance(headers, Mapping):
            call.on_response(headers)
        call.completed(op.outcome(result, call.rt.settings.capture_content))
    except Exception as exc:  # the caller gets the SDK's result whatever happens here
        call.rt.internal_error(f"{op.name}_result", exc)


def _sync_request(rt: Runtime, verbs: Verbs, send: Callable[..., Any]) -> Callable[..., Any]:
    def request(*args: Any, **kwargs: Any) -> Any:
        found = _route(verbs, args, kwargs)
        call = None if found is None else _begin(rt, found, stream=False)
        if found is None or call is None:
            return send(*args, **kwargs)
        tokens = current.set(call), _flight.set(_Flight(call))
        try:
            result = send(*args, **kwargs)
        except BaseException as exc:
            call.failed(exc)
            raise
        finally:
            _flight.reset(tokens[1])
            current.reset(tokens[0])
        _completed(call, found[0], result)
        return result

    return request


def _async_request(
    rt: Runtime, verbs: Verbs, send: Callable[..., Awaitable[Any]]
) -> Callable[..., Any]:
    async def async_request(*args: Any, **kwargs: Any) -> Any:
        found = _route(verbs, args, kwargs)
        call = None if found is None else _begin(rt, found, stream=False)
        if found is None or call is None:
            return await send(*args, **kwargs)
        tokens = current.set(call), _flight.set(_Flight(call))
        try:
            result = await send(*args, **kwargs)
        except BaseException as exc:
            call.failed(exc)
            raise
        finally:
            _flight.reset(tokens[1])
            current.reset(tokens[0])
        _completed(call, found[0], result)
        return result

    return async_request


def _stream(
    rt: Runtime, verbs: Verbs, send: Callable[..., Iterator[Any]]
) -> Callable[..., Iterator[Any]]:
    def request_streamed(*args: Any, **kwargs: Any) -> Iterator[Any]:
        found = _route(verbs, args, kwargs)
        if found is None:
            return send(*args, **kwargs)
        return _watched(rt, found, send(*args, **kwargs))

    return request_streamed


def _watched(rt: Runtime, found: tuple[Operation, Any], inner: Iterator[Any]) -> Iterator[Any]:
    """Log a stream whose request is sent at the first ``next()``, as the SDK's generator is."""
    call = _begin(rt, found, stream=True)
    if call is None:
        yield from inner
        return
    tokens = current.set(call), _flight.set(_Flight(call))
    try:
        first = next(inner, _END)
    except BaseException as exc:  # the request failed: no stream was started
        call.failed(exc)
        raise
    finally:
        _flight.reset(tokens[1])
        current.reset(tokens[0])
    tracker = found[0].tracker(call, False)
    items: Iterator[Any] = iter(()) if first is _END else itertools.chain((first,), inner)
    if first is not _END:
        _first_headers(call, first)
    call.stream_started()
    yield from watch_items(items, tracker, is_async=False)


def _first_headers(call: Call, item: Any) -> None:
    headers = get_field(item, "headers")
    if isinstance(headers, Mapping):
        call.on_response(headers)


def _async_stream(
    rt: Runtime, verbs: Verbs, send: Callable[..., Awaitable[AsyncIterator[Any]]]
) -> Callable[..., Awaitable[Any]]:
    async def async_request_streamed(*args: Any, **kwargs: Any) -> Any:
        found = _route(verbs, args, kwargs)
        call = None if found is None else _begin(rt, found, stream=True)
        if found is None or call is None:
            return await send(*args, **kwargs)
        tokens = current.set(call), _flight.set(_Flight(call))
        try:
            result = await send(*args, **kwargs)
        except BaseException as exc:
            call.failed(exc)
            raise
        finally:
            _flight.reset(tokens[1])
            current.reset(tokens[0])
        call.stream_started()
        return watch_items(result, found[0].tracker(call, False), is_async=True)

    return async_request_streamed


def _attempt(flight: _Flight | None) -> None:
    """Count one HTTP attempt of the call in flight; every one after the first is a retry."""
    if flight is None:
        return
    if flight.attempts:
        flight.call.on_retry(flight.status, flight.headers)
    flight.attempts += 1


def _failed_attempt(flight: _Flight | None, exc: Exception) -> None:
    """Remember how an attempt failed, for the retry that may follow."""
    if flight is not None:
        code = getattr(exc, "code", None)
        flight.status = code if isinstance(code, int) else None
        headers = getattr(getattr(exc, "response", None), "headers", None)
        flight.headers = headers if isinstance(headers, Mapping) else None


def hook_api_client(patches: Patches, api: Any, rt: Runtime, verbs: Verbs) -> None:
    """Log every model request that ``api`` (a client's ``_api_client``) sends."""
    once, aonce = api._request_once, api._async_request_once

    def request_once(*args: Any, **kwargs: Any) -> Any:
        flight = _flight.get()
        _attempt(flight)
        try:
            return once(*args, **kwargs)
        except Exception as exc:
            _failed_attempt(flight, exc)
            raise

    async def async_request_once(*args: Any, **kwargs: Any) -> Any:
        flight = _flight.get()
        _attempt(flight)
        try:
            return await aonce(*args, **kwargs)
        except Exception as exc:
            _failed_attempt(flight, exc)
            raise

    patches.set(api, "_request_once", request_once)
    patches.set(api, "_async_request_once", async_request_once)
    patches.set(api, "request", _sync_request(rt, verbs, api.request))
    patches.set(api, "async_request", _async_request(rt, verbs, api.async_request))
    patches.set(api, "request_streamed", _stream(rt, verbs, api.request_streamed))
    patches.set(api, "async_request_streamed", _async_stream(rt, verbs, api.async_request_streamed))
