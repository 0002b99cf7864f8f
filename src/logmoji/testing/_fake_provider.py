"""Serve fake OpenAI and Anthropic APIs over real HTTP, for tests, demos and benchmarks.

:class:`FakeLLMProvider` runs a small HTTP/1.1 server (keep-alive, chunked SSE)
on its own asyncio loop in a background thread, so the real SDKs, sync or
async, talk to it exactly as they talk to the real APIs:

* OpenAI: ``POST /v1/chat/completions``, ``/v1/responses``, ``/v1/embeddings``
  (``openai_base_url``);
* Anthropic: ``POST /v1/messages`` (``anthropic_base_url``).

Replies are deterministic; :mod:`logmoji.testing._fake_wire` documents how text
and token counts follow from the request. Every response carries a request id
and rate-limit headers whose ``remaining`` counts down per request.

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
``stream_error``   ``after`` text chunks, then the in-stream error event   ``after`` (3)
``disconnect``     close the socket, before the response or after chunks   ``after`` (0)
=================  ======================================================  ====================

``stream_error`` is only consumed by streaming requests. The headers
``x-fake-cached-tokens`` and ``x-fake-reply-tokens`` override the constructor's
``cached_tokens`` and ``reply_tokens`` for one request.
"""

from __future__ import annotations

import asyncio
import contextlib
import enum
import importlib.util
import itertools
import json
import math
import signal
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Self, TypedDict, Unpack

from . import _fake_wire as wire

if TYPE_CHECKING:
    from types import FrameType, TracebackType

    import anthropic
    import openai

__all__ = ["FakeLLMProvider", "Fault", "ProviderOptions", "RecordedRequest", "serve"]

Provider = Literal["openai", "anthropic"]


class Fault(enum.StrEnum):
    """Name a failure the fake provider can inject."""

    RATE_LIMIT = "rate_limit"
    SERVER_ERROR = "server_error"
    OVERLOADED = "overloaded"
    TIMEOUT = "timeout"
    CONTEXT_LENGTH = "context_length"
    STREAM_ERROR = "stream_error"
    DISCONNECT = "disconnect"


_DEFAULTS: dict[Fault, dict[str, float]] = {
    Fault.RATE_LIMIT: {"retry_after": 0.05},
    Fault.SERVER_ERROR: {},
    Fault.OVERLOADED: {},
    Fault.TIMEOUT: {"hang": 30.0},
    Fault.CONTEXT_LENGTH: {},
    Fault.STREAM_ERROR: {"after": 3},
    Fault.DISCONNECT: {"after": 0},
}
_OPTIONAL = {Fault.SERVER_ERROR: {"retry_after"}, Fault.OVERLOADED: {"retry_after"}}

_ROUTES: dict[str, tuple[Provider, str]] = {
    "/v1/chat/completions": ("openai", "chat"),
    "/v1/responses": ("openai", "responses"),
    "/v1/embeddings": ("openai", "embeddings"),
    "/v1/messages": ("anthropic", "messages"),
}


class ProviderOptions(TypedDict, total=False):
    """Spell the keyword options :func:`serve` passes to :class:`FakeLLMProvider`."""

    latency: float
    ttft: float
    tokens_per_second: float | None
    reply_tokens: int
    cached_tokens: int
    seed: int
    rate_limit_requests: int
    rate_limit_tokens: int
    rate_limit_window: float


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """Hold one request the fake provider received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(slots=True)
class _QueuedFault:
    fault: Fault
    remaining: int
    provider: Provider | None
    params: dict[str, float]


@dataclass(slots=True)
class _Budget:
    """Count one provider's usage within the current rate-limit window."""

    start: float = 0.0
    requests: int = 0
    input_tokens: int = 0
    output_tokens: int = 0


@dataclass(slots=True)
class _Exchange:
    """Carry one request through the handler, with what its response needs."""

    method: str
    path: str
    headers: dict[str, str]
    raw_body: bytes
    keep_alive: bool
    provider: Provider = "openai"
    request_id: str = ""
    body: Any = None
    extra_headers: list[tuple[str, str]] = field(default_factory=list)


def _params(fault: Fault, given: dict[str, float]) -> dict[str, float]:
    allowed = _DEFAULTS[fault].keys() | _OPTIONAL.get(fault, set())
    unknown = given.keys() - allowed
    if unknown:
        names = ", ".join(sorted(allowed)) or "none"
        raise ValueError(f"fault {fault.value!r} takes no {sorted(unknown)}; valid params: {names}")
    return {**_DEFAULTS[fault], **given}


def _require(sdk: str) -> None:
    if importlib.util.find_spec(sdk) is None:
        raise ImportError(f"the fake provider's {sdk} clients need: pip install 'logmoji[{sdk}]'")


def _fault(name: str) -> Fault:
    try:
        return Fault(name)
    except ValueError:
        valid = ", ".join(f.value for f in Fault)
        raise ValueError(f"unknown fault {name!r}; use one of: {valid}") from None


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
        seed: int = 0,
        rate_limit_requests: int = 1000,
        rate_limit_tokens: int = 1_000_000,
        rate_limit_window: float = 60.0,
    ) -> None:
        if tokens_per_second is not None and tokens_per_second <= 0:
            raise ValueError("tokens_per_second must be positive; pass None for no pacing")
        self.host = host
        self.port = port
        self.latency = latency
        self.ttft = ttft
        self.tokens_per_second = tokens_per_second
        self.reply_tokens = reply_tokens
        self.cached_tokens = cached_tokens
        self.seed = seed
        self.rate_limit_requests = rate_limit_requests
        self.rate_limit_tokens = rate_limit_tokens
        self.rate_limit_window = rate_limit_window
        self.requests: list[RecordedRequest] = []
        self._faults: list[_QueuedFault] = []
        self._lock = threading.Lock()
        self._budgets: dict[Provider, _Budget] = {}
        self._numbers = itertools.count(1)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    @property
    def base_url(self) -> str:
        """Return ``http://host:port``; valid after :meth:`start`."""
        if self._thread is None:
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
        if self._thread is not None:
            return self
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._connection, self.host, self.port, limit=1 << 20)
                )
            except BaseException as err:  # handed to start()'s caller below
                failure.append(err)
                ready.set()
                loop.close()
                return
            self.port = self._server.sockets[0].getsockname()[1]
            ready.set()
            try:
                loop.run_forever()
            finally:
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.close()

        thread = threading.Thread(target=run, name="logmoji-fake-provider", daemon=True)
        thread.start()
        ready.wait()
        if failure:
            raise failure[0]
        self._loop, self._thread = loop, thread
        return self

    def stop(self) -> None:
        """Drop open connections, close the server and join its thread (idempotent)."""
        loop, thread = self._loop, self._thread
        if loop is None or thread is None:
            return
        self._loop = self._thread = None
        future = asyncio.run_coroutine_threadsafe(self._shutdown(), loop)
        with contextlib.suppress(Exception):
            future.result(timeout=1.0)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=1.0)

    async def _shutdown(self) -> None:
        if self._server is not None:
            self._server.close()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=0.5)
        await asyncio.sleep(0)  # let transports run their connection_lost callbacks

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
        **params: float,
    ) -> None:
        """Queue ``fault`` for the next ``times`` matching requests.

        Args:
            fault: A :class:`Fault` or its name.
            times: How many requests it hits.
            provider: ``"openai"`` or ``"anthropic"`` to hit only that API's requests.
            params: The fault's parameters (see the module docstring).

        Raises:
            ValueError: On an unknown fault, provider or parameter, or ``times < 1``.
        """
        kind = _fault(fault)
        if provider not in (None, "openai", "anthropic"):
            raise ValueError(f"provider must be 'openai', 'anthropic' or None, not {provider!r}")
        if times < 1:
            raise ValueError(f"times must be at least 1, not {times}")
        queued = _QueuedFault(kind, times, provider, _params(kind, params))
        with self._lock:
            self._faults.append(queued)

    def reset(self) -> None:
        """Forget queued faults, recorded requests and rate-limit usage."""
        with self._lock:
            self._faults.clear()
            self.requests.clear()
            self._budgets.clear()

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

    async def _connection(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        try:
            while await self._exchange(reader, writer):
                pass
        except (
            ConnectionError,
            ValueError,
            asyncio.IncompleteReadError,
            asyncio.LimitOverrunError,
        ):
            pass  # the client went away or sent garbage: drop the connection
        except asyncio.CancelledError:
            # stop() cancelled us: drop the client at once. Not re-raised, because
            # asyncio's stream callback logs a cancelled handler task as an error.
            writer.transport.abort()
        finally:
            self._tasks.discard(task)
            writer.close()  # flushes what is buffered (chunks before a disconnect fault)

    async def _exchange(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> bool:
        """Serve one request; return whether to keep the connection open."""
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except asyncio.IncompleteReadError:
            return False
        request_line, *lines = head[:-4].decode("latin-1").split("\r\n")
        method, target, version = request_line.split(" ", 2)
        headers: dict[str, str] = {}
        for line in lines:
            name, _, value = line.partition(":")
            name = name.strip().lower()
            value = value.strip()
            headers[name] = f"{headers[name]}, {value}" if name in headers else value
        if "chunked" in headers.get("transfer-encoding", ""):
            raw = bytearray()
            while size := int((await reader.readuntil(b"\r\n")).split(b";")[0], 16):
                raw += (await reader.readexactly(size + 2))[:-2]
            await reader.readuntil(b"\r\n")
            body = bytes(raw)
        else:
            body = await reader.readexactly(int(headers.get("content-length", "0")))
        connection = headers.get("connection", "").lower()
        keep = "close" not in connection and (version != "HTTP/1.0" or "keep-alive" in connection)
        ex = _Exchange(method, target.partition("?")[0], headers, body, keep)
        return await self._handle(ex, reader, writer)

    async def _handle(
        self, ex: _Exchange, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        route = _ROUTES.get(ex.path) if ex.method == "POST" else None
        if route is not None:
            ex.provider = route[0]
        elif "anthropic-version" in ex.headers or "x-api-key" in ex.headers:
            ex.provider = "anthropic"
        token = wire.request_token(self.seed, next(self._numbers))
        ex.request_id = f"req_{token}"
        with contextlib.suppress(ValueError):
            ex.body = json.loads(ex.raw_body) if ex.raw_body else None
        self.requests.append(RecordedRequest(ex.method, ex.path, ex.headers, ex.body))
        try:
            if route is None:
                raise ValueError(f"Invalid URL ({ex.method} {ex.path})")
            if not isinstance(ex.body, dict):
                raise ValueError("We could not parse the JSON body of your request.")
            stream = ex.body.get("stream") is True and route[1] != "embeddings"
            fault, params = self._pick_fault(ex, stream) or (None, {})
            if self.latency > 0:
                await asyncio.sleep(self.latency)
            if fault is Fault.TIMEOUT:
                await self._hang(reader, params["hang"])
                return False
            if fault is Fault.DISCONNECT and not (stream and params["after"] > 0):
                return False
            if fault is not None and fault not in (Fault.STREAM_ERROR, Fault.DISCONNECT):
                return await self._fault_response(writer, ex, fault, params)
            return await self._answer(
                writer, ex, token=token, endpoint=route[1], fault=fault, params=params
            )
        except ValueError as err:  # a request the real API would reject with 4xx
            return await self._error(writer, ex, 404 if route is None else 400, str(err))

    def _pick_fault(self, ex: _Exchange, stream: bool) -> tuple[Fault, dict[str, float]] | None:
        name = ex.headers.get("x-fake-fault")
        if name is not None:
            kind = _fault(name)
            given: dict[str, float] = {}
            for key, value in ex.headers.items():
                if key.startswith("x-fake-fault-"):
                    try:
                        given[key[13:].replace("-", "_")] = float(value)
                    except ValueError:
                        raise ValueError(f"header {key} must be a number, not {value!r}") from None
            times = given.pop("times", 1)
            if int(ex.headers.get("x-stainless-retry-count", "0")) >= times:
                return None
            return kind, _params(kind, given)
        with self._lock:
            for index, queued in enumerate(self._faults):
                if queued.provider not in (None, ex.provider):
                    continue
                if queued.fault is Fault.STREAM_ERROR and not stream:
                    continue
                queued.remaining -= 1
                if queued.remaining <= 0:
                    del self._faults[index]
                return queued.fault, queued.params
        return None

    async def _hang(self, reader: asyncio.StreamReader, seconds: float) -> None:
        deadline = time.monotonic() + seconds
        with contextlib.suppress(TimeoutError, ConnectionError):
            while await asyncio.wait_for(reader.read(65536), deadline - time.monotonic()):
                pass

    def _rate_headers(
        self, ex: _Exchange, tokens_in: int, tokens_out: int, *, exhausted: bool = False
    ) -> list[tuple[str, str]]:
        """Charge one request to the provider's budget; return its headers, ids included."""
        now = time.time()
        with self._lock:
            budget = self._budgets.setdefault(ex.provider, _Budget(start=now))
            if now - budget.start >= self.rate_limit_window:
                budget.start, budget.requests = now, 0
                budget.input_tokens = budget.output_tokens = 0
            budget.requests += 1
            budget.input_tokens += tokens_in
            budget.output_tokens += tokens_out
            used = (budget.requests, budget.input_tokens, budget.output_tokens)
            reset_in = budget.start + self.rate_limit_window - now
        cap = self.rate_limit_tokens
        left = (
            (0, 0, 0, 0)
            if exhausted
            else (
                self.rate_limit_requests - used[0],
                cap - used[1] - used[2],
                cap - used[1],
                cap - used[2],
            )
        )
        requests_left, tokens_left, input_left, output_left = (max(0, n) for n in left)
        limits = wire.RateLimits(
            self.rate_limit_requests,
            requests_left,
            cap,
            tokens_left,
            input_left,
            output_left,
            reset_in,
        )
        if ex.provider == "openai":
            headers = wire.openai_headers(ex.request_id, limits, self.latency)
        else:
            headers = wire.anthropic_headers(ex.request_id, limits, now)
        return [("content-type", "application/json"), *headers, *ex.extra_headers]

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        ex: _Exchange,
        status: int,
        body: wire.JSON,
        tokens: tuple[int, int] = (0, 0),
        *,
        exhausted: bool = False,
    ) -> bool:
        payload = json.dumps(body, separators=(",", ":")).encode()
        headers = self._rate_headers(ex, *tokens, exhausted=exhausted)
        writer.write(wire.http_head(status, headers, len(payload), ex.keep_alive) + payload)
        await writer.drain()
        return ex.keep_alive

    async def _error(
        self, writer: asyncio.StreamWriter, ex: _Exchange, status: int, msg: str
    ) -> bool:
        if ex.provider == "openai":
            body = wire.openai_error(msg, "invalid_request_error")
        else:
            anthropic_kind = "not_found_error" if status == 404 else "invalid_request_error"
            body = wire.anthropic_error(anthropic_kind, msg, ex.request_id)
        return await self._send(writer, ex, status, body)

    async def _fault_response(
        self, writer: asyncio.StreamWriter, ex: _Exchange, fault: Fault, params: dict[str, float]
    ) -> bool:
        retry = params.get("retry_after")
        if retry is not None:
            ex.extra_headers.append(("retry-after-ms", str(round(retry * 1000))))
            ex.extra_headers.append(("retry-after", str(math.ceil(retry))))
        status, body = wire.fault_error(
            ex.provider,
            fault.value,
            model=str(ex.body.get("model", "")),
            request_id=ex.request_id,
            limit=self.rate_limit_requests,
            retry=retry or 0.0,
        )
        return await self._send(writer, ex, status, body, exhausted=fault is Fault.RATE_LIMIT)

    async def _answer(
        self,
        writer: asyncio.StreamWriter,
        ex: _Exchange,
        *,
        token: str,
        endpoint: str,
        fault: Fault | None,
        params: dict[str, float],
    ) -> bool:
        body: wire.JSON = ex.body
        if not isinstance(body.get("model"), str):
            raise ValueError("you must provide a model parameter")
        if endpoint == "embeddings":
            result = wire.embeddings(body, self.seed)
            return await self._send(writer, ex, 200, result, (result["usage"]["prompt_tokens"], 0))
        model: str = body["model"]
        reply_tokens = int(ex.headers.get("x-fake-reply-tokens", self.reply_tokens))
        texts, limit = wire.prompt(endpoint, body)
        gen = wire.generate(
            token=token,
            seed=self.seed,
            model=model,
            texts=texts,
            reply_tokens=reply_tokens,
            limit=limit,
            cached_tokens=int(ex.headers.get("x-fake-cached-tokens", self.cached_tokens)),
            reasoning=ex.provider == "openai" and model.startswith(wire.REASONING_PREFIXES),
            created=int(time.time()),
        )
        if body.get("stream") is not True:
            pace = len(gen.chunks) / self.tokens_per_second if self.tokens_per_second else 0.0
            if self.ttft + pace > 0:
                await asyncio.sleep(self.ttft + pace)
            result = wire.reply(endpoint, gen, body)
            return await self._send(writer, ex, 200, result, (gen.prompt_tokens, gen.output_tokens))
        plan = wire.reply_stream(endpoint, gen, body)
        headers = self._rate_headers(ex, gen.prompt_tokens, gen.output_tokens)
        headers[0] = ("content-type", "text/event-stream; charset=utf-8")
        headers.append(("cache-control", "no-cache"))
        writer.write(wire.http_head(200, headers, None, ex.keep_alive) + wire.http_chunk(plan.head))
        after = int(params.get("after", -1))
        return await self._stream(writer, plan, fault, after) and ex.keep_alive

    async def _stream(
        self, writer: asyncio.StreamWriter, plan: wire.StreamPlan, fault: Fault | None, after: int
    ) -> bool:
        """Write the stream's text chunks and tail, or break off after ``after`` chunks."""
        if self.ttft > 0:
            await writer.drain()
            await asyncio.sleep(self.ttft)
        started = time.monotonic()
        for index, delta in enumerate(plan.deltas):
            if index == after:
                break
            if self.tokens_per_second and index:
                await writer.drain()
                due = started + index / self.tokens_per_second
                await asyncio.sleep(max(0.0, due - time.monotonic()))
            writer.write(wire.http_chunk(delta))
        else:
            if fault is None:
                writer.write(wire.http_chunk(plan.tail) + b"0\r\n\r\n")
                await writer.drain()
                return True
        if fault is Fault.STREAM_ERROR:
            writer.write(wire.http_chunk(plan.error) + b"0\r\n\r\n")
            await writer.drain()
            return True
        await writer.drain()
        return False


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
