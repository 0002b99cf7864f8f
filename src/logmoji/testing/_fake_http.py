"""Serve HTTP/1.1 by hand for the fake LLM provider: connections, parsing, chunked SSE.

:class:`HTTPServer` runs an asyncio server on its own loop in a background
thread. Each connection is served request by request (keep-alive): the request
head and body (``content-length`` or chunked) are parsed into a
:class:`Request`, and the handler writes the response with :func:`http_head`,
:func:`http_chunk` and :func:`write_stream`, returning whether to keep the
connection open. A client that goes away or sends garbage loses its connection;
:meth:`HTTPServer.stop` drops every open one.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from http import HTTPStatus
from typing import Any

Handle = Callable[["Request", asyncio.StreamReader, asyncio.StreamWriter], Awaitable[bool]]
"""Answer one request on a connection; return whether to keep the connection open."""


@dataclass(frozen=True, slots=True)
class Request:
    """Hold one parsed HTTP request: the path has its query string removed."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes
    keep_alive: bool


@dataclass(frozen=True, slots=True)
class StreamPlan:
    """Hold a stream's SSE bytes: events before, per text chunk, after, and on error."""

    head: bytes
    deltas: tuple[bytes, ...]
    tail: bytes
    error: bytes


class HTTPServer:
    """Run ``handle`` for every request, on an asyncio loop in a background thread."""

    def __init__(self, handle: Handle) -> None:
        self._handle = handle
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()

    def start(self, host: str, port: int) -> int:
        """Bind ``host:port`` (0 picks a free port) and serve; return the bound port."""
        loop = asyncio.new_event_loop()
        ready = threading.Event()
        failure: list[BaseException] = []
        bound: list[int] = []

        def run() -> None:
            asyncio.set_event_loop(loop)
            try:
                self._server = loop.run_until_complete(
                    asyncio.start_server(self._connection, host, port, limit=1 << 20)
                )
            except BaseException as err:  # handed to start()'s caller below
                failure.append(err)
                ready.set()
                loop.close()
                return
            bound.append(self._server.sockets[0].getsockname()[1])
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
        return bound[0]

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
        request = await read_request(reader)
        if request is None:
            return False
        return await self._handle(request, reader, writer)


async def read_request(reader: asyncio.StreamReader) -> Request | None:
    """Read one request; return ``None`` if the client closed the connection first."""
    try:
        head = await reader.readuntil(b"\r\n\r\n")
    except asyncio.IncompleteReadError:
        return None
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
    return Request(method, target.partition("?")[0], headers, body, keep)


def http_head(status: int, headers: list[tuple[str, str]], length: int | None, keep: bool) -> bytes:
    """Return an HTTP/1.1 response head; ``length=None`` means a chunked body."""
    reason = "Site Overloaded" if status == 529 else HTTPStatus(status).phrase
    lines = [f"HTTP/1.1 {status} {reason}", *(f"{k}: {v}" for k, v in headers)]
    lines.append("transfer-encoding: chunked" if length is None else f"content-length: {length}")
    lines.append("connection: keep-alive" if keep else "connection: close")
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


def http_chunk(data: bytes) -> bytes:
    """Frame ``data`` as one chunk of a chunked HTTP body."""
    return b"%x\r\n%s\r\n" % (len(data), data)


def sse(data: dict[str, Any], event: str | None = None) -> bytes:
    """Encode one server-sent event."""
    payload = json.dumps(data, separators=(",", ":"))
    if event is None:
        return f"data: {payload}\n\n".encode()
    return f"event: {event}\ndata: {payload}\n\n".encode()


async def write_stream(
    writer: asyncio.StreamWriter,
    deltas: tuple[bytes, ...],
    end: bytes | None,
    *,
    after: int,
    ttft: float,
    tokens_per_second: float | None,
) -> bool:
    """Write the text chunks, or only the first ``after``, then ``end`` and the last chunk.

    Args:
        writer: The connection, with the response head already written.
        deltas: One SSE payload per text chunk.
        end: The payload that ends the body; ``None`` breaks off without ending it.
        after: How many text chunks to write; a negative number writes them all.
        ttft: Seconds to wait before the first text chunk.
        tokens_per_second: Pace of text chunks; ``None`` sends them at once.

    Returns:
        Whether the body was ended, so the connection can be kept.
    """
    if ttft > 0:
        await writer.drain()
        await asyncio.sleep(ttft)
    started = time.monotonic()
    for index, delta in enumerate(deltas):
        if index == after:
            break
        if writer.is_closing():  # the client left mid-stream: stop, as a real server does
            return False
        if tokens_per_second and index:
            await writer.drain()
            due = started + index / tokens_per_second
            await asyncio.sleep(max(0.0, due - time.monotonic()))
        writer.write(http_chunk(delta))
    if end is None or writer.is_closing():
        await writer.drain()
        return False
    writer.write(http_chunk(end) + b"0\r\n\r\n")
    await writer.drain()
    return True


async def hang(reader: asyncio.StreamReader, seconds: float) -> None:
    """Send nothing until the client leaves or ``seconds`` pass."""
    deadline = time.monotonic() + seconds
    with contextlib.suppress(TimeoutError, ConnectionError):
        while await asyncio.wait_for(reader.read(65536), deadline - time.monotonic()):
            pass
