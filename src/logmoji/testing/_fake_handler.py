"""Answer one request to the fake LLM provider: route, record, fault, charge, reply.

:class:`Handler` holds the serving state of one
:class:`~logmoji.testing.FakeLLMProvider` (queued faults, rate-limit budgets,
the request counter) and reads the provider's settings at each request. A
request is routed to an endpoint by its path, recorded, given its fault (if
any), charged to its provider's rate-limit budget, and answered with the
endpoint's JSON body or SSE stream built by :mod:`logmoji.testing._fake_openai`
or :mod:`logmoji.testing._fake_anthropic`.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import itertools
import json
import math
import threading
import time
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from . import _fake_anthropic as anthropic_wire
from . import _fake_openai as openai_wire
from ._fake_faults import Fault, FaultSpec, fault_error, header_fault
from ._fake_http import Request, StreamPlan, hang, http_chunk, http_head, write_stream
from ._fake_ratelimit import Budget, anthropic_headers, openai_headers, rate_limits
from ._fake_schema import requested_schema, schema_chunks
from ._fake_text import JSON, Generation, generate, request_token
from ._fake_tools import plan_tool_calls

if TYPE_CHECKING:
    from ._fake_provider import FakeLLMProvider

Provider = Literal["openai", "anthropic"]

_ROUTES: dict[str, tuple[Provider, str]] = {
    "/v1/chat/completions": ("openai", "chat"),
    "/v1/responses": ("openai", "responses"),
    "/v1/embeddings": ("openai", "embeddings"),
    "/v1/messages": ("anthropic", "messages"),
}


@dataclass(frozen=True, slots=True)
class RecordedRequest:
    """Hold one request the fake provider received."""

    method: str
    path: str
    headers: dict[str, str]
    body: Any


@dataclass(slots=True)
class _QueuedFault:
    spec: FaultSpec
    remaining: int
    provider: Provider | None


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


def _prompt(endpoint: str, body: JSON) -> tuple[list[str], object]:
    """Return an endpoint's message texts and its output-token limit (``None`` if unset)."""
    if endpoint == "chat":
        limit = body.get("max_completion_tokens")
        return openai_wire.chat_texts(body), body.get("max_tokens") if limit is None else limit
    if endpoint == "responses":
        return openai_wire.responses_texts(body), body.get("max_output_tokens")
    return anthropic_wire.anthropic_texts(body), body.get("max_tokens")


def _reply(endpoint: str, gen: Generation, body: JSON) -> JSON:
    """Return the non-streaming body of a ``chat``, ``responses`` or ``messages`` reply."""
    if endpoint == "chat":
        return openai_wire.chat_completion(gen)
    if endpoint == "responses":
        return openai_wire.response(gen, body)
    return anthropic_wire.message(gen)


def _reply_stream(endpoint: str, gen: Generation, body: JSON, delta_usage: str) -> StreamPlan:
    """Return the stream of a ``chat``, ``responses`` or ``messages`` reply."""
    if endpoint == "chat":
        options = body.get("stream_options")
        include = isinstance(options, dict) and options.get("include_usage") is True
        return openai_wire.chat_stream(gen, include_usage=include)
    if endpoint == "responses":
        return openai_wire.response_stream(gen, body)
    return anthropic_wire.message_stream(gen, delta_usage=anthropic_wire.delta_usage(delta_usage))


class Handler:
    """Answer the requests of ``fake``, reading its settings at each request."""

    def __init__(self, fake: FakeLLMProvider) -> None:
        self._fake = fake
        self._faults: list[_QueuedFault] = []
        self._lock = threading.Lock()
        self._budgets: dict[Provider, Budget] = {}
        self._numbers = itertools.count(1)

    def enqueue(self, spec: FaultSpec, times: int, provider: Provider | None) -> None:
        """Queue a fault for the next ``times`` requests to ``provider`` (``None``: any)."""
        queued = _QueuedFault(spec, times, provider)
        with self._lock:
            self._faults.append(queued)

    def reset(self) -> None:
        """Forget queued faults, recorded requests and rate-limit usage."""
        with self._lock:
            self._faults.clear()
            self._fake.requests.clear()
            self._budgets.clear()

    async def handle(
        self, request: Request, reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> bool:
        """Answer ``request``; return whether to keep the connection open."""
        ex = _Exchange(
            request.method, request.path, request.headers, request.body, request.keep_alive
        )
        route = _ROUTES.get(ex.path) if ex.method == "POST" else None
        if route is not None:
            ex.provider = route[0]
        elif "anthropic-version" in ex.headers or "x-api-key" in ex.headers:
            ex.provider = "anthropic"
        token = request_token(self._fake.seed, next(self._numbers))
        ex.request_id = f"req_{token}"
        with contextlib.suppress(ValueError):
            ex.body = json.loads(ex.raw_body) if ex.raw_body else None
        self._fake.requests.append(RecordedRequest(ex.method, ex.path, ex.headers, ex.body))
        try:
            if route is None:
                raise ValueError(f"Invalid URL ({ex.method} {ex.path})")
            if not isinstance(ex.body, dict):
                raise ValueError("We could not parse the JSON body of your request.")
            stream = ex.body.get("stream") is True and route[1] != "embeddings"
            spec = self._pick_fault(ex, stream)
            fault, params = (None, {}) if spec is None else (spec.fault, spec.params)
            if self._fake.latency > 0:
                await asyncio.sleep(self._fake.latency)
            if fault is Fault.TIMEOUT:
                await hang(reader, params["hang"])
                return False
            if fault is Fault.DISCONNECT and not (stream and params["after"] > 0):
                return False
            if fault is not None and fault not in (Fault.STREAM_ERROR, Fault.DISCONNECT):
                assert spec is not None
                return await self._fault_response(writer, ex, spec)
            return await self._answer(
                writer, ex, token=token, endpoint=route[1], fault=fault, params=params
            )
        except ValueError as err:  # a request the real API would reject with 4xx
            return await self._error(writer, ex, 404 if route is None else 400, str(err))

    def _pick_fault(self, ex: _Exchange, stream: bool) -> FaultSpec | None:
        if "x-fake-fault" in ex.headers:
            return header_fault(ex.headers)
        with self._lock:
            for index, queued in enumerate(self._faults):
                if queued.provider not in (None, ex.provider):
                    continue
                if queued.spec.fault is Fault.STREAM_ERROR and not stream:
                    continue
                queued.remaining -= 1
                if queued.remaining <= 0:
                    del self._faults[index]
                return queued.spec
        return None

    def _rate_headers(
        self, ex: _Exchange, tokens_in: int, tokens_out: int, *, exhausted: bool = False
    ) -> list[tuple[str, str]]:
        """Charge one request to the provider's budget; return its headers, ids included."""
        fake = self._fake
        now = time.time()
        with self._lock:
            budget = self._budgets.setdefault(ex.provider, Budget(start=now))
            reset_in = budget.charge(now, fake.rate_limit_window, tokens_in, tokens_out)
            used = (budget.requests, budget.input_tokens, budget.output_tokens)
        limits = rate_limits(
            fake.rate_limit_requests, fake.rate_limit_tokens, used, reset_in, exhausted=exhausted
        )
        if ex.provider == "openai":
            headers = openai_headers(ex.request_id, limits, fake.latency)
        else:
            headers = anthropic_headers(ex.request_id, limits, now)
        return [("content-type", "application/json"), *headers, *ex.extra_headers]

    async def _send(
        self,
        writer: asyncio.StreamWriter,
        ex: _Exchange,
        status: int,
        body: JSON | None,
        tokens: tuple[int, int] = (0, 0),
        *,
        exhausted: bool = False,
    ) -> bool:
        """Send ``body`` as JSON; ``None`` sends an empty body and no content type."""
        headers = self._rate_headers(ex, *tokens, exhausted=exhausted)
        if body is None:
            payload = b""
            del headers[0]
        else:
            payload = json.dumps(body, separators=(",", ":")).encode()
        writer.write(http_head(status, headers, len(payload), ex.keep_alive) + payload)
        await writer.drain()
        return ex.keep_alive

    async def _error(
        self, writer: asyncio.StreamWriter, ex: _Exchange, status: int, msg: str
    ) -> bool:
        if ex.provider == "openai":
            body = openai_wire.openai_error(msg, "invalid_request_error")
        else:
            anthropic_kind = "not_found_error" if status == 404 else "invalid_request_error"
            body = anthropic_wire.anthropic_error(anthropic_kind, msg, ex.request_id)
        return await self._send(writer, ex, status, body)

    async def _fault_response(
        self, writer: asyncio.StreamWriter, ex: _Exchange, spec: FaultSpec
    ) -> bool:
        fault = spec.fault
        retry = spec.params.get("retry_after")
        if retry is not None:
            ex.extra_headers.append(("retry-after-ms", str(round(retry * 1000))))
            ex.extra_headers.append(("retry-after", str(math.ceil(retry))))
        status, body = fault_error(
            ex.provider,
            fault.value,
            model=str(ex.body.get("model", "")),
            request_id=ex.request_id,
            limit=self._fake.rate_limit_requests,
            retry=retry or 0.0,
        )
        exhausted = fault is Fault.RATE_LIMIT
        return await self._send(
            writer, ex, status, None if spec.bare else body, exhausted=exhausted
        )

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
        fake = self._fake
        body: JSON = ex.body
        if not isinstance(body.get("model"), str):
            raise ValueError("you must provide a model parameter")
        if endpoint == "embeddings":
            result = openai_wire.embeddings(body, fake.seed)
            return await self._send(writer, ex, 200, result, (result["usage"]["prompt_tokens"], 0))
        model: str = body["model"]
        asked = ex.headers
        reply_tokens = int(asked.get("x-fake-reply-tokens", fake.reply_tokens))
        texts, limit = _prompt(endpoint, body)
        gen = generate(
            token=token,
            seed=fake.seed,
            model=model,
            texts=texts,
            reply_tokens=reply_tokens,
            limit=limit,
            cached_tokens=int(asked.get("x-fake-cached-tokens", fake.cached_tokens)),
            reasoning=ex.provider == "openai" and model.startswith(openai_wire.REASONING_PREFIXES),
            created=int(time.time()),
            cache_write_tokens=int(asked.get("x-fake-cache-write-tokens", fake.cache_write_tokens)),
        )
        count = int(asked.get("x-fake-tool-calls", fake.tool_calls))
        calls = plan_tool_calls(endpoint, body, token=token, count=count)
        schema = requested_schema(endpoint, body)
        if calls:  # tools offered and not yet answered: call them instead of writing words
            gen = dataclasses.replace(gen, chunks=(), tool_calls=calls, truncated=False)
        elif schema is not None:  # the SDKs' parse(): JSON that fits the schema, not words
            gen = dataclasses.replace(gen, chunks=schema_chunks(schema), truncated=False)
        if body.get("stream") is not True:
            pace = len(gen.chunks) / fake.tokens_per_second if fake.tokens_per_second else 0.0
            if fake.ttft + pace > 0:
                await asyncio.sleep(fake.ttft + pace)
            result = _reply(endpoint, gen, body)
            return await self._send(writer, ex, 200, result, (gen.prompt_tokens, gen.output_tokens))
        delta_usage = asked.get("x-fake-delta-usage", fake.anthropic_delta_usage)
        plan = _reply_stream(endpoint, gen, body, delta_usage)
        headers = self._rate_headers(ex, gen.prompt_tokens, gen.output_tokens)
        headers[0] = ("content-type", "text/event-stream; charset=utf-8")
        headers.append(("cache-control", "no-cache"))
        writer.write(http_head(200, headers, None, ex.keep_alive) + http_chunk(plan.head))
        # a stream_error fault ends the body with the error event; a disconnect breaks it off
        end = plan.tail if fault is None else plan.error if fault is Fault.STREAM_ERROR else None
        ended = await write_stream(
            writer,
            plan.deltas,
            end,
            after=int(params.get("after", -1)),
            ttft=fake.ttft,
            tokens_per_second=fake.tokens_per_second,
        )
        return ended and ex.keep_alive
