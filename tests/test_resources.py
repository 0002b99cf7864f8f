"""Bounded resources: memory stays flat under a flood of calls, nothing is left running after.

One stream of call records goes through the performance monitor, the cost
tracker and the response cache, the way an instrumented client feeds them:
many users (a few hot, many seen once), a known model set plus a stream of
never-seen fine-tuned models, failures mixed in. The process's resident
memory, read after each tenth of the run, must stop growing once the caps are
reached (models per monitor, keys per tracker, entries and bytes per cache).

Then instrumented clients of both SDKs, sync and async, make calls (with
faults, abandoned and cancelled streams), a batch runs and is cancelled, the
JSON file output is reconfigured; after ``uninstrument()``, closing and set-up
again, no thread, asyncio task, open file or socket logmoji made is left, and
the clients can be garbage-collected.

``LOGMOJI_LONG_TESTS=1`` sends one million records instead of 100,000.
"""

from __future__ import annotations

import asyncio
import gc
import os
import random
import ssl
import threading
import weakref
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import openai
import psutil  # type: ignore[import-untyped]
import pytest

from logmoji import (
    LoggingConfig,
    TelemetryConfig,
    bind_contextvars,
    bound_contextvars,
    get_logger,
    setup_telemetry,
)
from logmoji.llm._record import CallRecord
from logmoji.llm.batch import BatchProcessor
from logmoji.llm.cache import ResponseCache
from logmoji.llm.costs import CostTracker
from logmoji.llm.instrumentation import instrument
from logmoji.llm.monitor import OTHER_MODEL, PerformanceMonitor
from logmoji.logger import _pipeline
from logmoji.testing._fake_provider import FakeLLMProvider

LONG = os.environ.get("LOGMOJI_LONG_TESTS") == "1"
RECORDS = 1_000_000 if LONG else 100_000
MODELS = ("gpt-4o", "gpt-4o-mini", "claude-haiku-4-5", "claude-sonnet-4-5", "o3-mini")
MAX_MODELS = 100
MAX_KEYS = 1000
MAX_ENTRIES = 1000
MAX_BYTES = 1_000_000
#: Resident memory may grow this much between the first tenth of the run and its end.
GROWTH_AFTER_WARMUP = 8 * 1024 * 1024
#: ... and this much in all, prices data and caps filled included.
TOTAL_GROWTH = 64 * 1024 * 1024
#: Distinct logger names, and lines in the soak run (10 million with LOGMOJI_LONG_TESTS=1).
LOGGER_NAMES = 1_000_000 if LONG else 30_000
SOAK_LINES = 10_000_000 if LONG else 60_000
TLS = ssl.create_default_context()  # shared: building one per client costs ~25 ms


def _record(i: int, rng: random.Random) -> CallRecord:
    """Return the ``i``-th record: mostly known models, every 100th a never-seen one."""
    failed = i % 17 == 0
    return CallRecord(
        provider="openai",
        operation="chat",
        model=MODELS[i % len(MODELS)] if i % 100 else f"ft:gpt-4o:acme:run-{i}",
        input_tokens=100 + i % 50,
        output_tokens=None if failed else 20 + i % 30,
        cached_tokens=i % 40,
        duration_ms=50.0 + (i * 7919) % 5000,
        ttft_ms=None if failed else 20.0 + i % 200,
        success=not failed,
        error_category="server_error" if failed else None,
        stream=i % 2 == 0,
    )


class TestBoundedMemory:
    @pytest.mark.slow
    def test_records_through_monitor_costs_and_cache(self) -> None:
        """Memory stops growing once the caps are reached, whatever the number of calls."""
        with open(os.devnull, "w") as null:
            setup_telemetry(TelemetryConfig(logging=LoggingConfig(stream=null)), environ={})
            process = psutil.Process()
            gc.collect()
            start = process.memory_info().rss
            monitor = PerformanceMonitor(max_models=MAX_MODELS)
            tracker = CostTracker(max_keys=MAX_KEYS)
            cache = ResponseCache(max_entries=MAX_ENTRIES, max_bytes=MAX_BYTES)
            rng = random.Random(3)
            marks = []
            for i in range(RECORDS):
                hot = rng.random() < 0.9
                bind_contextvars(user_id=f"user-{rng.randrange(500)}" if hot else f"once-{i}")
                record = _record(i, rng)
                monitor.observe(record)
                tracker.observe(record)
                cache.put(f"key-{i}", {"id": i, "text": "reply"}, size=200 + i % 800)
                if (i + 1) % (RECORDS // 10) == 0:
                    gc.collect()
                    marks.append(process.memory_info().rss)

        growth = [round((mark - start) / 2**20, 2) for mark in marks]
        print(
            f"\n{RECORDS:,} records: RSS growth per tenth (MiB): {growth}"
        )  # for docs/reliability.md
        assert len(monitor.models()) == MAX_MODELS + 1  # the rest counted as OTHER_MODEL
        assert OTHER_MODEL in monitor.models()
        assert monitor.snapshot().count == RECORDS
        assert len(tracker._ledger.keys()) == MAX_KEYS
        stats = cache.stats()
        assert stats.entries <= MAX_ENTRIES
        assert stats.bytes <= MAX_BYTES
        assert stats.evictions >= RECORDS - MAX_ENTRIES
        assert marks[-1] - marks[0] < GROWTH_AFTER_WARMUP, [m - start for m in marks]
        assert max(marks) - start < TOTAL_GROWTH, [m - start for m in marks]


@pytest.fixture
def fake() -> Iterator[FakeLLMProvider]:
    """Serve the fake APIs; started before the test counts threads."""
    with FakeLLMProvider(tokens_per_second=2000) as provider:
        yield provider


def _resources() -> tuple[set[threading.Thread], int, int]:
    """Return the live threads, open files and sockets of this process.

    The event loop's own executor threads (``asyncio_N``, started by the SDKs' DNS
    look-ups even without logmoji) belong to the loop, which ends them when it closes.
    """
    process = psutil.Process()
    threads = {t for t in threading.enumerate() if not t.name.startswith("asyncio_")}
    return threads, len(process.open_files()), len(process.net_connections())


def _clients(fake: FakeLLMProvider) -> list[tuple[Any, bool, str]]:
    return [
        (fake.openai_client(http_client=openai.DefaultHttpxClient(verify=TLS)), False, "openai"),
        (
            fake.async_openai_client(http_client=openai.DefaultAsyncHttpxClient(verify=TLS)),
            True,
            "openai",
        ),
        (
            fake.anthropic_client(http_client=anthropic.DefaultHttpxClient(verify=TLS)),
            False,
            "anthropic",
        ),
        (
            fake.async_anthropic_client(http_client=anthropic.DefaultAsyncHttpxClient(verify=TLS)),
            True,
            "anthropic",
        ),
    ]


def _kwargs(provider: str, **extra: Any) -> dict[str, Any]:
    messages = [{"role": "user", "content": "count to ten"}]
    if provider == "openai":
        return {"model": "gpt-4o", "messages": messages, **extra}
    return {"model": "claude-haiku-4-5", "max_tokens": 50, "messages": messages, **extra}


def _create(client: Any, provider: str) -> Any:
    return client.chat.completions.create if provider == "openai" else client.messages.create


async def _exercise(client: Any, is_async: bool, provider: str) -> None:
    """Make calls of every shape: plain, streamed, failed, abandoned, cancelled mid-stream."""
    create = _create(client, provider)
    failing = {"extra_headers": {"x-fake-fault": "server_error"}, "max_retries": 0}
    if not is_async:
        create(**_kwargs(provider))
        list(create(**_kwargs(provider, stream=True)))
        with pytest.raises(Exception, match="500"):
            _create(client.with_options(max_retries=0), provider)(
                **_kwargs(provider, extra_headers=failing["extra_headers"])
            )
        stream = create(**_kwargs(provider, stream=True))
        next(iter(stream))
        del stream  # abandoned
        return
    await create(**_kwargs(provider))
    async with await create(**_kwargs(provider, stream=True)) as stream:
        [item async for item in stream]
    with pytest.raises(Exception, match="500"):
        await _create(client.with_options(max_retries=0), provider)(
            **_kwargs(provider, extra_headers=failing["extra_headers"])
        )

    async def read_forever() -> None:
        async with await create(**_kwargs(provider, stream=True)) as stream:
            async for _ in stream:
                await asyncio.sleep(0.01)

    task = asyncio.create_task(read_forever())
    await asyncio.sleep(0.05)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def _use_and_close(fake: FakeLLMProvider) -> list[weakref.ref[Any]]:
    """Instrument four clients, use them, undo and close them; return weak references."""
    clients = _clients(fake)
    handles = [instrument(client) for client, _, _ in clients]
    for client, is_async, provider in clients:
        await _exercise(client, is_async, provider)
    for handle in handles:
        handle.uninstrument()
    for client, is_async, _ in clients:
        await client.close() if is_async else client.close()
    return [weakref.ref(client) for client, _, _ in clients]


class TestBoundedLoggingState:
    def test_many_logger_names(self) -> None:
        """Loggers with ever new names keep at most 10,000 sinks and level entries."""
        with open(os.devnull, "wb") as null:
            setup_telemetry(
                TelemetryConfig(logging=LoggingConfig(stream=null, formatter="json")), environ={}
            )
            process = psutil.Process()
            names = LOGGER_NAMES
            for i in range(names // 5):
                get_logger(f"app.request.{i}").info("served", i=i)
            gc.collect()
            warm = process.memory_info().rss
            for i in range(names // 5, names):
                get_logger(f"app.request.{i}").info("served", i=i)
            gc.collect()
            grown = process.memory_info().rss - warm
        assert 0 < len(_pipeline._STATE.sinks) <= _pipeline.MAX_SINKS
        assert len(_pipeline._STATE.level_cache) <= _pipeline.MAX_SINKS
        assert grown < GROWTH_AFTER_WARMUP, f"{grown / 2**20:.1f} MiB"

    @pytest.mark.slow
    def test_soak(self) -> None:
        """A long run with new logger names and context keys keeps resident memory flat."""
        with open(os.devnull, "wb") as null:
            setup_telemetry(
                TelemetryConfig(logging=LoggingConfig(stream=null, formatter="json")), environ={}
            )
            process = psutil.Process()
            hot = [get_logger(f"app.{i}") for i in range(20)]
            samples = []
            for i in range(SOAK_LINES):
                if i % 7 == 0:
                    get_logger(f"app.once.{i}").info("request_served", i=i)
                elif i % 11 == 0:
                    with bound_contextvars(**{f"key_{i}": i}):
                        hot[i % 20].info("request_served", i=i)
                else:
                    hot[i % 20].info("request_served", i=i, user=f"u{i % 500}")
                if i % (SOAK_LINES // 10) == 0:
                    samples.append(process.memory_info().rss)
        growth = samples[-1] - samples[1]
        assert growth < GROWTH_AFTER_WARMUP, [f"{(r - samples[0]) / 2**20:.1f}" for r in samples]


class TestNothingLeftBehind:
    async def test_after_uninstrument_and_close(self, fake: FakeLLMProvider) -> None:
        """After uninstrument() and close(), no thread, task, file or socket is left."""
        gc.collect()
        threads, files, sockets = _resources()
        refs = await _use_and_close(fake)
        gc.collect()
        for _ in range(20):  # let the loop finish the SDKs' async generators it was handed
            await asyncio.sleep(0)
        gc.collect()

        assert asyncio.all_tasks() == {asyncio.current_task()}
        assert _resources() == (threads, files, sockets)
        assert [ref() for ref in refs] == [None] * len(refs)

    async def test_batch_cancelled(self) -> None:
        """A batch cancelled mid-way leaves no task behind; one that finishes neither."""
        processor = BatchProcessor(max_concurrent=8, max_retries=1, default_retry_after=0.0)

        async def handler(n: int) -> int:
            await asyncio.sleep(0.001 * (n % 5))
            if n % 7 == 0:
                raise ValueError(f"request {n} failed")
            return n

        result = await processor.run(range(200), handler)
        assert result.failures == len(range(0, 200, 7))
        assert asyncio.all_tasks() == {asyncio.current_task()}

        async def slow(n: int) -> int:
            await asyncio.sleep(10)
            return n

        batch = asyncio.create_task(processor.run(range(100), slow))
        await asyncio.sleep(0.05)
        batch.cancel()
        with pytest.raises(asyncio.CancelledError):
            await batch
        assert asyncio.all_tasks() == {asyncio.current_task()}

    def test_logging_starts_nothing(self, tmp_path: Path) -> None:
        """Set-up, logging and reconfiguring start no thread and leave no file open."""
        gc.collect()
        threads, files, sockets = _resources()
        with open(os.devnull, "w") as null:
            for i in range(5):
                setup_telemetry(
                    TelemetryConfig(
                        logging=LoggingConfig(stream=null, json_file=tmp_path / f"copy-{i}.jsonl")
                    ),
                    environ={},
                )
                get_logger("llm").info("inference_completed", model="gpt-4o", i=i)
            setup_telemetry(environ={})
        gc.collect()
        assert _resources() == (threads, files, sockets)
        assert all((tmp_path / f"copy-{i}.jsonl").read_text().count("\n") == 1 for i in range(5))
