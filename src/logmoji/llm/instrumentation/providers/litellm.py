"""Read LiteLLM calls: the provider it routed to, and usage from its responses and streams.

LiteLLM answers every provider in OpenAI's shape (``ModelResponse``,
``EmbeddingResponse``, ``ModelResponseStream`` chunks), so the OpenAI
adapter's operations read them; this module adds what is LiteLLM's own:

* :func:`resolve`: the provider and server a model string routes to
  (``litellm.get_llm_provider``), named as the rest of logmoji names them
  (:data:`NAMES`), cached per (model, provider, base URL);
* :func:`settle`: what the result says after the call (the provider and
  ``api_base`` LiteLLM really used, the response headers it kept);
* :class:`LiteLLMTracker` and :func:`watch`: a ``CustomStreamWrapper`` watched
  in place, with the usage the server reported.

Stream usage is read, never asked for. LiteLLM keeps the usage the server
reported on the last chunk's ``_hidden_params["usage"]`` (or on a usage chunk
when the caller asked for ``stream_options``), and it already asks OpenAI's
own API for it. It does not ask other OpenAI-compatible servers, some of which
reject ``stream_options``; logmoji does not ask either (that would also change
the chunks the caller gets). A stream whose server reported nothing is logged
with counted deltas and ``usage_estimated=True``.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Mapping
from typing import Any

from logmoji.llm.instrumentation._call import Call, current
from logmoji.llm.instrumentation._operation import get_field
from logmoji.llm.instrumentation._outcome import Outcome
from logmoji.llm.instrumentation._servers import Server, describe_url
from logmoji.llm.instrumentation.providers.openai import CHAT, EMBEDDINGS, ChatTracker

__all__ = [
    "NAMES",
    "LiteLLMTracker",
    "outcome",
    "resolve",
    "response_headers",
    "server_for",
    "settle",
    "watch",
]

NAMES: dict[str, str] = {
    "openai": "openai",
    "text-completion-openai": "openai",
    "anthropic": "anthropic",
    "azure": "azure.ai.openai",
    "azure_text": "azure.ai.openai",
    "azure_ai": "azure.ai.inference",
    "gemini": "gcp.gemini",
    "vertex_ai": "gcp.vertex_ai",
    "vertex_ai_beta": "gcp.vertex_ai",
    "bedrock": "aws.bedrock",
    "groq": "groq",
    "mistral": "mistral_ai",
    "codestral": "mistral_ai",
    "xai": "x_ai",
    "ollama": "ollama",
    "ollama_chat": "ollama",
    "deepseek": "deepseek",
    "openrouter": "openrouter",
    "together_ai": "together",
    "perplexity": "perplexity",
    "fireworks_ai": "fireworks",
    "cerebras": "cerebras",
    "cohere": "cohere",
    "cohere_chat": "cohere",
    "watsonx": "ibm.watsonx.ai",
}
"""LiteLLM's provider names to logmoji's (OTel GenAI names where one exists); others are kept."""

# Routes that reach whatever server speaks that API at ``api_base``: named by its host.
_SPEAKS = {"openai": "openai", "text-completion-openai": "openai", "anthropic": "anthropic"}
_UNROUTED = Server("litellm")
_CACHE_SIZE = 512
_routes: dict[tuple[str, object, object], tuple[str, Server]] = {}


def server_for(llm_provider: str, api_base: str | None) -> Server:
    """Name the server of LiteLLM provider ``llm_provider`` at ``api_base`` (if known)."""
    sdk = _SPEAKS.get(llm_provider)
    if sdk is not None and api_base:
        return describe_url(api_base, sdk)
    name = NAMES.get(llm_provider, llm_provider)
    if not api_base:
        return Server(name)
    found = describe_url(api_base, name)
    return Server(name, found.address, found.port)


def _resolve(model: str, custom: object, api_base: object) -> tuple[str, Server]:
    import litellm

    base = api_base if isinstance(api_base, str) else None
    try:
        routed, llm_provider, _, default_base = litellm.get_llm_provider(
            model=model,
            custom_llm_provider=custom if isinstance(custom, str) else None,
            api_base=base,
        )
    except Exception:  # LiteLLM raises its own error for this call; it is logged unrouted
        return model, _UNROUTED
    return str(routed), server_for(str(llm_provider), base or default_base)


def resolve(model: str, custom: object, api_base: object) -> tuple[str, Server]:
    """Return the model name and server that LiteLLM routes ``model`` to; cached."""
    key = (model, custom, api_base)
    found = _routes.get(key)
    if found is None:
        found = _resolve(model, custom, api_base)
        if len(_routes) >= _CACHE_SIZE:
            _routes.clear()
        _routes[key] = found
    return found


def settle(result: Any, routed: Server) -> Server | None:
    """Return the server ``result`` says it came from, if it says more than ``routed``."""
    hidden = getattr(result, "_hidden_params", None)
    if not isinstance(hidden, dict):
        return None
    provider = hidden.get("custom_llm_provider")
    api_base = hidden.get("api_base")
    if not isinstance(api_base, str) or not api_base:
        api_base = None
    if isinstance(provider, str) and provider:
        server = server_for(provider, api_base)
        if server.address is None:
            server = Server(server.provider, routed.address, routed.port)
    elif api_base is not None and routed.address is None:
        found = describe_url(api_base, routed.provider)
        name = found.provider if routed.provider in _SPEAKS else routed.provider
        server = Server(name, found.address, found.port)
    else:
        return None
    return None if server == routed else server


def response_headers(result: Any) -> dict[str, str] | None:
    """Return the provider's response headers that LiteLLM kept on ``result``."""
    hidden = getattr(result, "_hidden_params", None)
    kept = hidden.get("additional_headers") if isinstance(hidden, dict) else None
    if not isinstance(kept, Mapping):
        return None
    headers: dict[str, str] = {}
    for name, value in kept.items():
        if isinstance(name, str) and isinstance(value, str):
            headers[name.removeprefix("llm_provider-").lower()] = value
    return headers


def _cache_write(usage: object) -> int | None:
    written = get_field(usage, "cache_creation_input_tokens")
    if written is None:
        written = get_field(get_field(usage, "prompt_tokens_details"), "cache_write_tokens")
    return written if isinstance(written, int) else None


def outcome(operation: str, result: Any, capture: bool) -> Outcome:
    """Read usage, ids, finish reason and tool calls from a LiteLLM response."""
    if operation == "embeddings":
        return EMBEDDINGS.outcome(result, capture)
    found = CHAT.outcome(result, capture)
    found.cache_write_tokens = _cache_write(get_field(result, "usage"))
    return found


class LiteLLMTracker(ChatTracker):
    """Watch ``ModelResponseStream`` chunks; usage from a usage chunk or the last chunk."""

    __slots__ = ()

    def __init__(self, call: Call) -> None:
        super().__init__(call, strip=False)

    def feed(self, item: Any) -> bool:
        """Count the chunk's deltas; keep the usage the server reported, when LiteLLM has it."""
        self.chunks += 1
        choices = getattr(item, "choices", None)
        if choices:
            choice = choices[0]
            delta = getattr(choice, "delta", None)
            content = getattr(delta, "content", None)
            tools = getattr(delta, "tool_calls", None)
            if content or tools:
                self.token(content)
                if tools:
                    self._tool_deltas(tools)
            reason = getattr(choice, "finish_reason", None)
            if reason is not None:
                self.finish_reason = reason
        if self.response_model is None:
            self.response_model = getattr(item, "model", None)
            self.response_id = getattr(item, "id", None)
        # A usage chunk (the caller asked for stream_options), else the last chunk's hidden usage.
        usage = getattr(item, "usage", None)
        if usage is None:
            hidden = getattr(item, "_hidden_params", None)
            usage = hidden.get("usage") if type(hidden) is dict else None
        # UnreportedUsage: LiteLLM's zeros for "the server sent no usage".
        if usage is not None and type(usage).__name__ != "UnreportedUsage":
            self.usage = usage
        return True

    def outcome(self) -> Outcome:
        """Return the server's usage, or the counted deltas flagged as an estimate."""
        found = super().outcome()
        if self.usage is not None:
            found.cache_write_tokens = _cache_write(self.usage)
        return found


class _Watch:
    """One watched stream's tracker; ``busy`` while LiteLLM's own ``__next__`` runs."""

    __slots__ = ("busy", "feed", "tracker")

    def __init__(self, tracker: LiteLLMTracker) -> None:
        self.tracker = tracker
        self.busy = False
        self.feed: Callable[[Any], bool] = tracker.feed


_STATE = "_logmoji_watch"
_watched: dict[type, type] = {}


def _step(watch: _Watch, item: Any) -> None:
    try:
        watch.feed(item)
    except Exception as exc:  # logmoji's bug must not cost the caller a chunk
        watch.tracker.broken(exc)
        watch.feed = watch.tracker.fallback


def _stopped(tracker: LiteLLMTracker, exc: BaseException) -> None:
    """Tell the tracker how LiteLLM's ``__next__``/``__anext__`` ended the stream."""
    if isinstance(exc, StopIteration | StopAsyncIteration):
        tracker.finish()
    elif isinstance(exc, Exception):
        tracker.fail(exc)
    else:  # asyncio.CancelledError, KeyboardInterrupt: stopped, nobody failed
        tracker.cancel(type(exc).__name__)


def _subclass(base: type) -> type:
    """Make the subclass a watched stream is switched to: LiteLLM's methods, observed."""
    base_next, base_anext = base.__next__, base.__anext__  # type: ignore[attr-defined]
    base_close, base_aclose = base.close, base.aclose  # type: ignore[attr-defined]

    def __next__(self: Any) -> Any:
        watch: _Watch = self.__dict__[_STATE]
        token = current.set(watch.tracker.call)  # a request LiteLLM sends lazily is this call's
        watch.busy = True
        try:
            item = base_next(self)
        except BaseException as exc:
            _stopped(watch.tracker, exc)
            raise
        finally:
            watch.busy = False
            current.reset(token)
        _step(watch, item)
        return item

    async def __anext__(self: Any) -> Any:
        watch: _Watch = self.__dict__[_STATE]
        token = current.set(watch.tracker.call)
        watch.busy = True
        try:
            item = await base_anext(self)
        except BaseException as exc:
            _stopped(watch.tracker, exc)
            raise
        finally:
            watch.busy = False
            current.reset(token)
        _step(watch, item)
        return item

    def close(self: Any) -> None:
        watch: _Watch = self.__dict__[_STATE]
        try:
            base_close(self)
        finally:
            if not watch.busy:  # LiteLLM closes the stream itself at its end
                watch.tracker.cancel("closed")

    async def aclose(self: Any) -> None:
        watch: _Watch = self.__dict__[_STATE]
        try:
            await base_aclose(self)
        finally:
            if not watch.busy:
                watch.tracker.cancel("closed")

    namespace = {
        "__next__": __next__,
        "__anext__": __anext__,
        "close": close,
        "aclose": aclose,
        "__module__": base.__module__,
        "__qualname__": base.__qualname__,
        "__doc__": base.__doc__,
    }
    return type(base.__name__, (base,), namespace)


def watch(stream: Any, tracker: LiteLLMTracker) -> None:
    """Make ``stream`` (a ``CustomStreamWrapper``) report to ``tracker``, in place.

    Its iteration methods live on its class, so the instance is switched to a
    subclass (same name, same module) whose ``__next__``/``__anext__``,
    ``close``/``aclose`` call LiteLLM's and tell the tracker: the caller keeps
    the very object LiteLLM returned, and ``isinstance`` still holds.
    """
    base = type(stream)
    cls = _watched.get(base)
    if cls is None:
        cls = _watched[base] = _subclass(base)
    stream.__dict__[_STATE] = _Watch(tracker)
    stream.__class__ = cls
    finalizer = weakref.finalize(stream, tracker.cancel, "abandoned")
    finalizer.atexit = False
