"""Instrument LiteLLM: log each ``completion``/``embedding`` call once, as its routed provider.

:func:`instrument_litellm` replaces four attributes of the ``litellm`` module,
``completion``, ``acompletion``, ``embedding`` and ``aembedding``, with
functions that log the call around LiteLLM's own, and returns an
:class:`~logmoji.llm.instrumentation.Instrumentation` whose
``uninstrument()`` puts them back. LiteLLM's callback API was the other
choice; it was not taken because its success and failure callbacks run on
LiteLLM's worker threads after the call has returned (so an event, and the
cost it adds to a tracker, would land later and out of order), a callback
cannot refuse a call over budget, and a stream the caller stops reading ends
with no callback at all. A wrapper sees the call start and end in the
caller's own thread or task, like the SDK hook does.

Once, not twice: while a LiteLLM call runs, :data:`logmoji.llm.instrumentation._call.current`
holds it. The OpenAI/Anthropic SDK hook (``_hooks.py``) lets any request made
while a call is in flight pass through unlogged, so LiteLLM's OpenAI provider,
which sends through ``openai.OpenAI`` clients, is logged by LiteLLM's
instrumentation only; an instrumented client still reports its response
headers and retries to that call. LiteLLM's instrumentation wins.

Only the ``litellm`` module's attributes change: a function taken with
``from litellm import completion`` *before* instrumenting keeps LiteLLM's own
(its requests are then logged by the SDK hook, if that is on). ``logmoji run``
instruments LiteLLM as soon as it is imported, before any such import runs.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from logmoji.llm._record import CallObserver
from logmoji.llm.instrumentation._call import Call, current
from logmoji.llm.instrumentation._instrument import (
    _AUTO,
    _AUTO_LOCK,
    Instrumentation,
    _import_sdk,
    _logger,
)
from logmoji.llm.instrumentation._runtime import Runtime, Settings
from logmoji.llm.instrumentation._servers import Server
from logmoji.llm.instrumentation._settings import instrument_settings
from logmoji.llm.instrumentation.providers import litellm as _litellm
from logmoji.llm.instrumentation.providers.openai import CHAT, EMBEDDINGS

__all__ = ["instrument_litellm"]

_SDK = "litellm"
# entry point -> (operation, the keyword that makes the sync entry return a coroutine)
_ENTRIES = {"completion": ("chat", "acompletion"), "embedding": ("embeddings", "aembedding")}


class _Runtimes:
    """Hand out one :class:`Runtime` per server LiteLLM routes to (provider, address, port)."""

    __slots__ = ("_by_server", "_log", "settings")

    def __init__(self, settings: Settings, log: Any) -> None:
        self.settings = settings
        self._log = log
        self._by_server: dict[Server, Runtime] = {}

    def get(self, server: Server) -> Runtime:
        """Return the runtime of ``server``, made on first use."""
        rt = self._by_server.get(server)
        if rt is None:
            rt = Runtime(
                server.provider,
                self.settings,
                self._log,
                "x-request-id",
                (server.address, server.port),
            )
            self._by_server[server] = rt
        return rt


def _begin(
    runtimes: _Runtimes, operation: str, args: tuple[Any, ...], kwargs: Mapping[str, Any]
) -> tuple[Call, Server] | None:
    """Start the call; ``None`` if logmoji failed to read it (it is then sent unlogged)."""
    try:
        model = args[0] if args else kwargs.get("model")
        name = model if isinstance(model, str) else str(model)
        api_base = kwargs.get("api_base") or kwargs.get("base_url")
        routed, server = _litellm.resolve(name, kwargs.get("custom_llm_provider"), api_base)
        rt = runtimes.get(server)
        given = args[1] if len(args) > 1 else None
        capture = runtimes.settings.capture_content
        if operation == "embeddings":
            body = {"model": routed, "input": kwargs.get("input") if given is None else given}
            prompt = EMBEDDINGS.prompt(body, capture)
        else:
            body = {"model": routed, "messages": kwargs.get("messages") if given is None else given}
            prompt = CHAT.prompt(body, capture)
        call = Call(rt, operation, prompt, stream=kwargs.get("stream") is True)
    except Exception as exc:  # reading the request must never stop it
        runtimes.get(_litellm.server_for(_SDK, None)).internal_error(f"{operation}_request", exc)
        return None
    call.start()  # raises BudgetExceededError, the one deliberate stop
    return call, server


def _returned(runtimes: _Runtimes, call: Call, server: Server, result: Any, is_async: bool) -> None:
    """Log what LiteLLM returned: a response (✨) or a stream (🌊, then watched)."""
    try:
        said = _litellm.settle(result, server)
        if said is not None:
            call.rt = runtimes.get(said)
        headers = _litellm.response_headers(result)
        if headers is not None:
            call.on_response(headers)
            call.request_id = headers.get("x-request-id") or headers.get("request-id")
        if isinstance(getattr(result, "_hidden_params", None), dict) and hasattr(
            type(result), "__anext__"
        ):
            _litellm.watch(result, _litellm.LiteLLMTracker(call))
            call.stream_started()
        else:
            capture = call.rt.settings.capture_content
            call.completed(_litellm.outcome(call.operation, result, capture))
    except Exception as exc:  # the caller gets LiteLLM's result whatever happens here
        call.rt.internal_error(f"{call.operation}_result", exc)


def _async_entry(
    runtimes: _Runtimes, operation: str, send: Callable[..., Awaitable[Any]]
) -> Callable[..., Awaitable[Any]]:
    async def entry(*args: Any, **kwargs: Any) -> Any:
        if current.get() is not None:  # LiteLLM calling itself (fallbacks): one call, logged once
            return await send(*args, **kwargs)
        started = _begin(runtimes, operation, args, kwargs)
        if started is None:
            return await send(*args, **kwargs)
        call, server = started
        token = current.set(call)
        try:
            result = await send(*args, **kwargs)
        except BaseException as exc:
            call.failed(exc)
            raise
        finally:
            current.reset(token)
        _returned(runtimes, call, server, result, is_async=True)
        return result

    entry.__doc__ = send.__doc__
    entry.__wrapped__ = send  # type: ignore[attr-defined]
    return entry


def _sync_entry(
    runtimes: _Runtimes,
    operation: str,
    flag: str,
    send: Callable[..., Any],
    asend: Callable[..., Awaitable[Any]],
) -> Callable[..., Any]:
    def entry(*args: Any, **kwargs: Any) -> Any:
        if current.get() is not None:
            return send(*args, **kwargs)
        if kwargs.get(flag) is True:  # completion(..., acompletion=True) is acompletion(...)
            return asend(*args, **{k: v for k, v in kwargs.items() if k != flag})
        started = _begin(runtimes, operation, args, kwargs)
        if started is None:
            return send(*args, **kwargs)
        call, server = started
        token = current.set(call)
        try:
            result = send(*args, **kwargs)
        except BaseException as exc:
            call.failed(exc)
            raise
        finally:
            current.reset(token)
        _returned(runtimes, call, server, result, is_async=False)
        return result

    entry.__doc__ = send.__doc__
    entry.__wrapped__ = send  # type: ignore[attr-defined]
    return entry


def instrument_litellm(
    *,
    logger: Any = None,
    capture_content: bool | None = None,
    max_content_chars: int | None = None,
    observers: Sequence[CallObserver] | None = None,
    progress_every: int = 50,
    rate_limit_warning_ratio: float = 0.1,
    clock: Callable[[], float] = time.perf_counter,
) -> Instrumentation:
    """Log every ``litellm.completion``/``acompletion``/``embedding``/``aembedding`` call.

    Each call is logged once, with the provider LiteLLM routed it to
    (``provider=anthropic``, ``azure.ai.openai``, ``gcp.gemini``...), the server
    address, the usage the server reported and its cost. Requests that LiteLLM
    sends through an instrumented OpenAI or Anthropic client are not logged a
    second time. Takes the options of :func:`~logmoji.llm.instrument`.

    Returns:
        The handle; ``handle.uninstrument()`` restores LiteLLM's functions.

    Raises:
        ImportError: If ``litellm`` is missing (``pip install 'logmoji[litellm]'``).
        ValueError: If it is already active with other options.
    """
    settings = instrument_settings(
        logger=logger,
        capture_content=capture_content,
        max_content_chars=max_content_chars,
        observers=observers,
        progress_every=progress_every,
        rate_limit_warning_ratio=rate_limit_warning_ratio,
        clock=clock,
    )
    module = _import_sdk(_SDK)
    with _AUTO_LOCK:
        existing = _AUTO.get(_SDK)
        if existing is not None:
            if existing.settings == settings:
                return existing
            raise ValueError(
                "instrument_litellm() is already active with other options; "
                "call .uninstrument() on its handle first"
            )
        handle = Instrumentation(_SDK, settings, None)
        runtimes = _Runtimes(settings, _logger(_SDK, settings))
        for name, (operation, flag) in _ENTRIES.items():
            asend = _async_entry(runtimes, operation, getattr(module, flag))
            send = _sync_entry(runtimes, operation, flag, getattr(module, name), asend)
            handle._patches.set(module, flag, asend)
            handle._patches.set(module, name, send)
        _AUTO[_SDK] = handle
    return handle
