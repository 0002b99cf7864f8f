"""Serve fake OpenAI and Anthropic APIs over real HTTP, for tests, demos and benchmarks.

:class:`FakeLLMProvider` runs a small HTTP/1.1 server (keep-alive, chunked SSE)
on its own asyncio loop in a background thread, so the real SDKs, sync or
async, talk to it exactly as they talk to the real APIs:

* OpenAI: ``POST /v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``
  (``openai_base_url``);
* Anthropic: ``POST /v1/messages`` (``anthropic_base_url``).

Replies are deterministic; :mod:`logmoji.testing._fake_text` documents how text
and token counts follow from the request. Every response carries a request id
and rate-limit headers whose ``remaining`` counts down per request. A request
that offers function tools is answered with tool calls (``finish_reason=
"tool_calls"``, ``stop_reason="tool_use"``, Responses ``function_call`` items),
and once it carries the tool results, with words, so agent loops run;
:mod:`logmoji.testing._fake_tools` has the rules.

Faults (:class:`Fault`) are queued with :meth:`FakeLLMProvider.inject` and
consumed first-in first-out by the next matching requests, or asked for by one
request with the header ``x-fake-fault: <name>`` plus ``x-fake-fault-<param>``
headers; a header fault hits the first ``times`` attempts (default 1), counted
with the SDKs' ``x-stainless-retry-count`` header, so SDK retries then succeed.

=================  ======================================================  ====================
fault              response                                                params (default)
=================  ======================================================  ====================
``rate_limit``     429, ``retry-after-ms``/``retry-after``, 0 remaining     ``retry_after`` (0.05)
``server_error``   500                                                     ``retry_after``
``overloaded``     529 ``overloaded_error`` (OpenAI: 503)                  ``retry_after``
``timeout``        no answer; closes when the client leaves or at ``hang``  ``hang`` (30)
``context_length`` 400, the provider's context-window error
``request_timeout`` 408 ``timeout_error``                                  ``retry_after``
``stream_error``   ``after`` text chunks, then the in-stream error event   ``after`` (3)
``disconnect``     close the socket, before the response or after chunks   ``after`` (0)
=================  ======================================================  ====================

``stream_error`` is only consumed by streaming requests. A status fault
(``rate_limit``, ``server_error``, ``overloaded``, ``context_length``,
``request_timeout``) given ``body="none"`` (header ``x-fake-fault-body: none``)
sends its status and headers with an empty body and no content type, as some
gateways do.

Per-request headers override the constructor's options for one request:

=============================  =========================  ====================================
header                         option                     effect
=============================  =========================  ====================================
``x-fake-reply-tokens``        ``reply_tokens``           words per reply
``x-fake-cached-tokens``       ``cached_tokens``          prompt tokens read from the cache
``x-fake-cache-write-tokens``  ``cache_write_tokens``     Anthropic only: prompt tokens
                                                          written to the cache
                                                          (``cache_creation_input_tokens``)
``x-fake-delta-usage``         ``anthropic_delta_usage``  ``output`` (default): Anthropic's
                                                          ``message_delta`` usage has only
                                                          ``output_tokens``; ``cumulative``:
                                                          the input and cache counts too
``x-fake-tool-calls``          ``tool_calls``             tool calls per reply when tools are
                                                          offered (default 1; ``0``: words)
=============================  =========================  ====================================

This module is the API. The parts behind it: ``_fake_http`` (the HTTP/1.1
server), ``_fake_handler`` (answering one request), ``_fake_faults``,
``_fake_ratelimit``, ``_fake_text`` (deterministic replies and token counts),
``_fake_schema`` (structured outputs), ``_fake_tools`` (tool calls), and
``_fake_openai`` / ``_fake_anthropic`` (each API's bodies and SSE events).
"""

from __future__ import annotations

import contextlib
import importlib.util
import signal
import threading
from typing import TYPE_CHECKING, Any, Literal, Self, TypedDict, Unpack

from ._fake_anthropic import DeltaUsage, delta_usage
from ._fake_faults import Fault, FaultSpec, fault_body, fault_params, parse_fault
from ._fake_handler import Handler, Provider, RecordedRequest
from ._fake_http import HTTPServer

if TYPE_CHECKING:
    from types import FrameType, TracebackType

    import anthropic
    import openai

__all__ = ["FakeLLMProvider", "Fault", "ProviderOptions", "RecordedRequest", "serve"]


class ProviderOptions(TypedDict, total=False):
    """Spell the keyword options :func:`serve` passes to :class:`FakeLLMProvider`."""

    latency: float
    ttft: float
    tokens_per_second: float | None
    reply_tokens: int
    cached_tokens: int
    cache_write_tokens: int
    anthropic_delta_usage: DeltaUsage
    tool_calls: int
    seed: int
    rate_limit_requests: int
    rate_limit_tokens: int
    rate_limit_window: float


def _require(sdk: str) -> None:
    if importlib.util.find_spec(sdk) is None:
        raise ImportError(f"the fake provider's {sdk} clients need: pip install 'logmoji[{sdk}]'")


class FakeLLMProvider:
    """Run a local HTTP server that answers like the OpenAI and Anthropic APIs.

    Args:
        host: Interface to bind.
        port: Port to bind; 0 picks a free one (read :attr:`port` after :meth:`start`).
        latency: Seconds to wait before sending response headers.
        ttft: Seconds between the stream's first events and its first text chunk.
        tokens_per_second: Pace of text chunks; ``None`` sends them at once. A
            non-streaming answer waits ``latency + ttft + tokens / tokens_per_second``.
        reply_tokens: Words per reply (one word is one token).
        cached_tokens: Prompt tokens reported as read from the prompt cache.
        cache_write_tokens: Prompt tokens Anthropic reports as written to the
            prompt cache (``cache_creation_input_tokens``).
        anthropic_delta_usage: What an Anthropic stream's ``message_delta``
            usage carries: ``"output"`` (only ``output_tokens``; the input and
            cache counts come in ``message_start``) or ``"cumulative"`` (all
            counts again).
        tool_calls: Tool calls per reply to a request that offers tools (0:
            answer with words).
        seed: Varies replies and ids between providers.
        rate_limit_requests: Request limit reported in rate-limit headers.
        rate_limit_tokens: Token limit reported in rate-limit headers.
        rate_limit_window: Seconds after which the rate-limit counters reset.
    """

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        port: int = 0,
        latency: float = 0.0,
        ttft: float = 0.0,
        tokens_per_second: float | None = None,
        reply_tokens: int = 24,
        cached_tokens: int = 0,
        cache_write_tokens: int = 0,
        anthropic_delta_usage: DeltaUsage = "output",
        tool_calls: int = 1,
        seed: int = 0,
        rate_limit_requests: int = 1000,
        rate_limit_tokens: int = 1_000_000,
        rate_limit_window: float = 60.0,
    ) -> None:
        if tokens_per_second is not None and tokens_per_second <= 0:
            raise ValueError("tokens_per_second must be positive; pass None for no pacing")
        if min(reply_tokens, cached_tokens, cache_write_tokens, tool_calls) < 0:
            raise ValueError("token counts and tool_calls must not be negative")
        self.host = host
        self.port = port
        self.latency = latency
        self.ttft = ttft
        self.tokens_per_second = tokens_per_second
        self.reply_tokens = reply_tokens
        self.cached_tokens = cached_tokens
        self.cache_write_tokens = cache_write_tokens
        self.anthropic_delta_usage = delta_usage(anthropic_delta_usage)
        self.tool_calls = tool_calls
        self.seed = seed
        self.rate_limit_requests = rate_limit_requests
        self.rate_limit_tokens = rate_limit_tokens
        self.rate_limit_window = rate_limit_window
        self.requests: list[RecordedRequest] = []
        self._handler = Handler(self)
        self._server: HTTPServer | None = None

    @property
    def base_url(self) -> str:
        """Return ``http://host:port``; valid after :meth:`start`."""
        if self._server is None:
            raise RuntimeError("the fake provider is not running; call start() first")
        return f"http://{self.host}:{self.port}"

    @property
    def openai_base_url(self) -> str:
        """Return the ``base_url`` for OpenAI clients."""
        return f"{self.base_url}/v1"

    @property
    def anthropic_base_url(self) -> str:
        """Return the ``base_url`` for Anthropic clients."""
        return self.base_url

    def start(self) -> Self:
        """Bind the port and serve in a background thread; return ``self``."""
        if self._server is not None:
            return self
        server = HTTPServer(self._handler.handle)
        self.port = server.start(self.host, self.port)
        self._server = server
        return self

    def stop(self) -> None:
        """Drop open connections, close the server and join its thread (idempotent)."""
        server, self._server = self._server, None
        if server is not None:
            server.stop()

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> Self:
        return self.start()

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def inject(
        self,
        fault: Fault | str,
        *,
        times: int = 1,
        provider: Provider | None = None,
        body: Literal["json", "none"] = "json",
        **params: float,
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching requests.

        Args:
            fault: A :class:`Fault` or its name.
            times: How many requests it hits.
            provider: ``"openai"`` or ``"anthropic"`` to hit only that API's requests.
            body: ``"none"`` sends a status fault's error with an empty body.
            params: The fault's parameters (see the module docstring).

        Raises:
            ValueError: On an unknown fault, provider, parameter or body, or ``times < 1``.
        """
        kind = parse_fault(fault)
        if provider not in (None, "openai", "anthropic"):
            raise ValueError(f"provider must be 'openai', 'anthropic' or None, not {provider!r}")
        if times < 1:
            raise ValueError(f"times must be at least 1, not {times}")
        spec = FaultSpec(kind, fault_params(kind, params), fault_body(kind, body))
        self._handler.enqueue(spec, times, provider)

    def reset(self) -> None:
        """Forget queued faults, recorded requests and rate-limit usage."""
        self._handler.reset()

    def openai_client(self, **kw: Any) -> openai.OpenAI:
        """Return an ``openai.OpenAI`` client for this server; ``kw`` overrides options."""
        _require("openai")
        import openai

        return openai.OpenAI(**{"api_key": "sk-fake", "base_url": self.openai_base_url, **kw})

    def async_openai_client(self, **kw: Any) -> openai.AsyncOpenAI:
        """Return an ``openai.AsyncOpenAI`` client for this server."""
        _require("openai")
        import openai

        return openai.AsyncOpenAI(**{"api_key": "sk-fake", "base_url": self.openai_base_url, **kw})

    def anthropic_client(self, **kw: Any) -> anthropic.Anthropic:
        """Return an ``anthropic.Anthropic`` client for this server."""
        _require("anthropic")
        import anthropic

        options = {"api_key": "sk-ant-fake", "base_url": self.anthropic_base_url, **kw}
        return anthropic.Anthropic(**options)

    def async_anthropic_client(self, **kw: Any) -> anthropic.AsyncAnthropic:
        """Return an ``anthropic.AsyncAnthropic`` client for this server."""
        _require("anthropic")
        import anthropic

        options = {"api_key": "sk-ant-fake", "base_url": self.anthropic_base_url, **kw}
        return anthropic.AsyncAnthropic(**options)


def serve(port: int = 8787, host: str = "127.0.0.1", **options: Unpack[ProviderOptions]) -> None:
    """Run a :class:`FakeLLMProvider` in the foreground until Ctrl-C or SIGTERM."""
    stopped = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stopped.set()

    in_main = threading.current_thread() is threading.main_thread()
    previous = signal.signal(signal.SIGTERM, on_signal) if in_main else None
    try:
        with FakeLLMProvider(host=host, port=port, **options) as provider:
            print(
                f"logmoji fake provider: OpenAI {provider.openai_base_url} · "
                f"Anthropic {provider.anthropic_base_url} (Ctrl-C to stop)",
                flush=True,
            )
            with contextlib.suppress(KeyboardInterrupt):
                while not stopped.wait(0.5):
                    pass
    finally:
        if in_main and previous is not None:
            signal.signal(signal.SIGTERM, previous)
