"""Install and undo the per-instance hooks that instrumentation puts on an SDK client.

Three kinds of hook, all instance attributes of one client's objects, so no
other client and no SDK class is touched:

* each covered method (``chat.completions.create``, ``messages.stream`` ...) is
  replaced by a wrapper that runs the call through :func:`invoke` /
  :func:`ainvoke`;
* the client's ``_process_response`` (called once with the final successful
  HTTP response) and ``_sleep_for_retry`` (called before each retry) report to
  the :class:`~logmoji.llm._call.Call` in flight, found through a context
  variable. This gives request ids, rate-limit headers and the retry count
  without touching the transport or what the caller receives;
* cached ``with_raw_response``/``with_streaming_response`` objects are dropped,
  because they captured the original bound methods when first built; rebuilt
  ones capture the wrappers.

:class:`Patches` records what each attribute was, so undoing restores the
exact original state.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import orjson

from logmoji.llm._call import Call, Outcome, Prompt, current
from logmoji.llm._runtime import Runtime
from logmoji.llm.streams import StreamTracker, watch_stream
from logmoji.llm.tokens import estimate_texts, iter_text

__all__ = [
    "Operation",
    "Patches",
    "ainvoke",
    "get_field",
    "hook_client",
    "invoke",
    "summarize",
    "wrap_method",
]

_RAW_HEADER = "X-Stainless-Raw-Response"
_MISSING = object()


class Patches:
    """Set attributes on objects and classes, remembering how to put them back."""

    __slots__ = ("_undo",)

    def __init__(self) -> None:
        self._undo: list[tuple[Any, str, object]] = []

    def _remember(self, obj: Any, name: str) -> None:
        self._undo.append((obj, name, vars(obj).get(name, _MISSING)))

    def set(self, obj: Any, name: str, value: object) -> None:
        """Set ``obj.name`` to ``value``."""
        self._remember(obj, name)
        setattr(obj, name, value)

    def drop(self, obj: Any, name: str) -> None:
        """Remove a cached instance attribute (a ``cached_property`` value), if present."""
        self._remember(obj, name)
        vars(obj).pop(name, None)

    def undo(self) -> None:
        """Restore every attribute, newest first; idempotent."""
        while self._undo:
            obj, name, old = self._undo.pop()
            if isinstance(obj, type):
                if old is _MISSING:
                    delattr(obj, name)
                else:
                    setattr(obj, name, old)
                continue
            vars(obj).pop(name, None)
            if old is not _MISSING:
                vars(obj)[name] = old


class Operation:
    """Describe one SDK method: how to read its request, its result and its stream."""

    name = ""
    always_streams = False

    def prompt(self, kwargs: Mapping[str, Any], capture: bool) -> Prompt:
        """Summarize the request's prompt."""
        raise NotImplementedError

    def prepare(self, kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
        """Return the arguments to send and whether to hide a usage-only stream chunk."""
        return kwargs, False

    def outcome(self, result: Any, capture: bool) -> Outcome:
        """Read usage and ids from a result (an SDK model or its JSON as a dict)."""
        raise NotImplementedError

    def tracker(self, call: Call, strip_usage: bool) -> StreamTracker:
        """Return a tracker for a stream of this operation."""
        raise NotImplementedError


def _begin(rt: Runtime, op: Operation, kwargs: Mapping[str, Any]) -> Call | None:
    """Make and start the call; ``None`` if logmoji failed (the request goes ahead bare)."""
    try:
        prompt = op.prompt(kwargs, rt.settings.capture_content)
        stream = op.always_streams or kwargs.get("stream") is True
        call = Call(rt, op.name, prompt, stream=stream)
    except Exception as exc:  # reading the request must never stop it
        rt.internal_error(f"{op.name}_request", exc)
        return None
    call.start()  # raises BudgetExceededError, the one deliberate stop
    return call


def _is_raw(kwargs: Mapping[str, Any]) -> bool:
    headers = kwargs.get("extra_headers")
    return isinstance(headers, Mapping) and _RAW_HEADER in headers


def _prepare(rt: Runtime, op: Operation, kwargs: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    if _is_raw(kwargs):  # the caller reads the bytes: send exactly what they asked for
        return kwargs, False
    try:
        return op.prepare(kwargs)
    except Exception as exc:  # send the caller's own arguments instead
        rt.internal_error(f"{op.name}_prepare", exc)
        return kwargs, False


def _raw_outcome(op: Operation, call: Call, result: Any) -> Outcome:
    """Read usage from a ``with_raw_response`` result whose body is already in memory."""
    outcome = Outcome()
    http = getattr(result, "http_response", None)
    if not call.stream and http is not None:
        try:
            data = orjson.loads(http.content)
        except Exception:  # body not read yet (with_streaming_response) or not JSON
            data = None
        if isinstance(data, dict):
            outcome = op.outcome(data, call.rt.settings.capture_content)
    outcome.extra["raw_response"] = True
    return outcome


def _returned(
    call: Call, op: Operation, result: Any, *, raw: bool, strip: bool, is_async: bool
) -> None:
    """Log what the SDK returned: a result (✨) or the start of a stream (🌊)."""
    try:
        if call.request_id is None:
            call.request_id = getattr(result, "_request_id", None)
        if raw:
            call.completed(_raw_outcome(op, call, result))
        elif call.stream:
            watch_stream(result, op.tracker(call, strip), is_async=is_async)
            call.stream_started()
        else:
            call.completed(op.outcome(result, call.rt.settings.capture_content))
    except Exception as exc:  # the caller gets the SDK's result whatever happens here
        call.rt.internal_error(f"{op.name}_result", exc)


def invoke(
    rt: Runtime,
    op: Operation,
    kwargs: dict[str, Any],
    send: Callable[..., Any],
    *,
    is_async: bool = False,
) -> Any:
    """Run one synchronous SDK call (``send(**kwargs)``) with its events logged."""
    call = _begin(rt, op, kwargs)
    if call is None:
        return send(**kwargs)
    raw = _is_raw(kwargs)
    send_kwargs, strip = _prepare(rt, op, kwargs)
    token = current.set(call)
    try:
        result = send(**send_kwargs)
    except BaseException as exc:
        call.failed(exc)
        raise
    finally:
        current.reset(token)
    _returned(call, op, result, raw=raw, strip=strip, is_async=is_async)
    return result


async def ainvoke(
    rt: Runtime, op: Operation, kwargs: dict[str, Any], send: Callable[..., Awaitable[Any]]
) -> Any:
    """Run one asynchronous SDK call (``await send(**kwargs)``) with its events logged."""
    call = _begin(rt, op, kwargs)
    if call is None:
        return await send(**kwargs)
    raw = _is_raw(kwargs)
    send_kwargs, strip = _prepare(rt, op, kwargs)
    token = current.set(call)
    try:
        result = await send(**send_kwargs)
    except BaseException as exc:
        call.failed(exc)
        raise
    finally:
        current.reset(token)
    _returned(call, op, result, raw=raw, strip=strip, is_async=True)
    return result


def wrap_method(
    patches: Patches, owner: Any, name: str, rt: Runtime, op: Operation, *, is_async: bool
) -> None:
    """Replace ``owner.name`` (an SDK method taking keyword arguments) with a logging wrapper."""
    original = getattr(owner, name)
    wrapper: Callable[..., Any]
    if is_async:

        async def awrapper(*args: Any, **kwargs: Any) -> Any:
            return await ainvoke(rt, op, kwargs, functools.partial(original, *args))

        wrapper = awrapper
    else:

        def wrapper(*args: Any, **kwargs: Any) -> Any:
            return invoke(rt, op, kwargs, functools.partial(original, *args))

    functools.update_wrapper(wrapper, original)
    patches.set(owner, name, wrapper)


def _on_response(kwargs: Mapping[str, Any]) -> None:
    call = current.get()
    if call is None:
        return
    try:
        headers = getattr(kwargs.get("response"), "headers", None)
        if isinstance(headers, Mapping):
            call.on_response(headers)
    except Exception as exc:  # the SDK must go on processing the response
        call.rt.internal_error("on_response", exc)


def _on_retry(kwargs: Mapping[str, Any]) -> None:
    call = current.get()
    if call is None:
        return
    try:
        response = kwargs.get("response")
        call.on_retry(getattr(response, "status_code", None), getattr(response, "headers", None))
    except Exception as exc:  # the SDK's retry must go ahead
        call.rt.internal_error("on_retry", exc)


def hook_client(patches: Patches, client: Any, *, is_async: bool) -> None:
    """Report final responses and retries of ``client`` to the call in flight."""
    process = client._process_response
    sleep = client._sleep_for_retry
    if is_async:

        async def aprocess(*args: Any, **kwargs: Any) -> Any:
            _on_response(kwargs)
            return await process(*args, **kwargs)

        async def asleep(*args: Any, **kwargs: Any) -> Any:
            _on_retry(kwargs)
            return await sleep(*args, **kwargs)

        patches.set(client, "_process_response", aprocess)
        patches.set(client, "_sleep_for_retry", asleep)
    else:

        def sprocess(*args: Any, **kwargs: Any) -> Any:
            _on_response(kwargs)
            return process(*args, **kwargs)

        def ssleep(*args: Any, **kwargs: Any) -> Any:
            _on_retry(kwargs)
            return sleep(*args, **kwargs)

        patches.set(client, "_process_response", sprocess)
        patches.set(client, "_sleep_for_retry", ssleep)


def get_field(obj: object, name: str) -> Any:
    """Return ``obj.name`` or ``obj[name]``: results are SDK models, raw bodies are dicts."""
    if isinstance(obj, dict):  # a plain dict check: an ABC check costs ten times more
        return obj.get(name)
    return getattr(obj, name, None)


def _line(item: object) -> str:
    text = "".join(iter_text(item))
    role = get_field(item, "role") if isinstance(item, Mapping) else None
    return f"{role}: {text}" if isinstance(role, str) else text


def summarize(model: object, items: list[object], capture: bool) -> Prompt:
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
    )
