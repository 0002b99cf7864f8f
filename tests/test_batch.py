"""Tests for logmoji.llm.batch: ordering, isolation, retries, concurrency and cancellation."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Awaitable, Callable
from types import SimpleNamespace
from typing import Any

import anthropic
import openai
import pytest

from logmoji.llm.batch import BatchProcessor, BatchResult, is_rate_limited, retry_after_of
from logmoji.testing import FakeLLMProvider, capture_logs


class Recorder:
    """An injected sleep that records the delays and yields once."""

    def __init__(self) -> None:
        self.delays: list[float] = []

    async def __call__(self, seconds: float) -> None:
        self.delays.append(seconds)
        await asyncio.sleep(0)


class RateLimitError(Exception):
    """Named like the SDKs' rate-limit error, without importing them."""


class Flaky(Exception):
    """An error that is not a rate limit."""


class APIError(Exception):
    """An exception carrying whatever attributes a test gives it, as SDK errors do."""

    def __init__(self, **attributes: object) -> None:
        super().__init__("api error")
        self.__dict__.update(attributes)


def _immediate() -> Callable[[int], Awaitable[int]]:
    async def double(n: int) -> int:
        return n * 2

    return double


class TestOrderingAndIsolation:
    """Results come back in input order and one failure stays with its request."""

    async def test_results_follow_input_order_whatever_the_latency(self) -> None:
        """Requests finishing in random order still land at their input index."""
        rng = random.Random(7)
        delays = [rng.uniform(0, 0.01) for _ in range(40)]

        async def handler(n: int) -> int:
            await asyncio.sleep(delays[n])
            return n * 10

        result = await BatchProcessor(max_concurrent=8).run(range(40), handler)
        assert result.values() == [n * 10 for n in range(40)]
        assert [o.index for o in result.results] == list(range(40))
        assert (result.successes, result.failures) == (40, 0)

    async def test_a_failure_does_not_affect_the_others(self) -> None:
        """A request that raises is recorded and logged; every other request succeeds."""

        async def handler(n: int) -> int:
            if n == 3:
                raise Flaky("bad input 3")
            await asyncio.sleep(0.001)
            return n

        with capture_logs() as logs:
            result = await BatchProcessor(max_concurrent=2).run(range(6), handler)
        assert result.values() == [0, 1, 2, None, 4, 5]
        assert (result.successes, result.failures) == (5, 1)
        failed = result.results[3]
        assert (failed.ok, type(failed.error), failed.attempts) == (False, Flaky, 1)
        assert result.failed == (failed,)
        [event] = logs.named("batch_request_failed")
        assert event["batch_index"] == 3
        assert "request_id" not in event  # the provider's request id keeps its own name
        assert event["error"] == "bad input 3"
        assert event["error_type"] == "Flaky"
        assert (event["log_level"], event["emoji"]) == ("error", "💥")

    async def test_non_retryable_errors_are_tried_once(self) -> None:
        """Errors that retry_on does not match are never retried."""
        calls: list[int] = []

        async def handler(n: int) -> int:
            calls.append(n)
            raise ValueError("no")

        result = await BatchProcessor(max_retries=5).run([1], handler)
        assert calls == [1]
        assert result.results[0].attempts == 1

    async def test_empty_batch(self) -> None:
        """An empty batch returns no results and still logs its start and end."""
        with capture_logs() as logs:
            result = await BatchProcessor().run([], _immediate())
        assert result.results == ()
        assert logs.events() == ["batch_processing_started", "batch_processing_completed"]


class TestRetries:
    """Rate-limited requests wait for retry_after and are tried again."""

    @pytest.mark.parametrize("provider", ["openai", "anthropic"])
    async def test_rate_limited_requests_are_retried_against_the_fake_provider(
        self, fake_llm: FakeLLMProvider, provider: str
    ) -> None:
        """With the SDK's retries off, the processor retries the 429s and all succeed."""
        fake_llm.inject("rate_limit", times=2, retry_after=0.01)
        sleep = Recorder()
        processor = BatchProcessor(max_concurrent=2, sleep=sleep)
        prompts = [f"question {i}" for i in range(5)]
        with capture_logs() as logs:
            if provider == "openai":
                async with fake_llm.async_openai_client(max_retries=0) as oai:

                    async def ask_openai(prompt: str) -> str:
                        reply = await oai.chat.completions.create(
                            model="gpt-4o", messages=[{"role": "user", "content": prompt}]
                        )
                        return reply.id

                    result = await processor.run(prompts, ask_openai)
            else:
                async with fake_llm.async_anthropic_client(max_retries=0) as claude:

                    async def ask_claude(prompt: str) -> str:
                        reply = await claude.messages.create(
                            model="claude-haiku-4-5",
                            max_tokens=20,
                            messages=[{"role": "user", "content": prompt}],
                        )
                        return reply.id

                    result = await processor.run(prompts, ask_claude)
        assert (result.successes, result.failures) == (5, 0)
        assert sum(o.attempts for o in result.results) == 7
        assert len(fake_llm.requests) == 7
        assert sleep.delays == [0.01, 0.01]
        retried = logs.named("request_retried")
        # Which request draws the second 429 depends on timing (a retry may come
        # back before the next request is sent); each retry waits the server's delay.
        assert [e["retry_after"] for e in retried] == [0.01, 0.01]
        assert sum(e["attempt"] for e in retried) in (2, 3)
        assert all(e["batch_index"] in range(5) and "request_id" not in e for e in retried)
        assert {e["emoji"] for e in retried} == {"🚦"}

    async def test_retries_give_up_after_max_retries(self, fake_llm: FakeLLMProvider) -> None:
        """A request that stays rate-limited fails after max_retries + 1 attempts."""
        sleep = Recorder()
        headers = {"x-fake-fault": "rate_limit", "x-fake-fault-retry-after": "0.02"}
        async with fake_llm.async_openai_client(max_retries=0) as oai:

            async def ask(prompt: str) -> object:
                return await oai.chat.completions.create(
                    model="gpt-4o",
                    messages=[{"role": "user", "content": prompt}],
                    extra_headers=headers,
                )

            with capture_logs() as logs:
                result = await BatchProcessor(max_retries=2, sleep=sleep).run(["hi"], ask)
        outcome = result.results[0]
        assert (outcome.ok, outcome.attempts) == (False, 3)
        assert isinstance(outcome.error, openai.RateLimitError)
        assert sleep.delays == [0.02, 0.02]
        [failed] = logs.named("batch_request_failed")
        assert (failed["error_type"], failed["attempts"]) == ("RateLimitError", 3)

    async def test_without_retry_after_the_wait_doubles_up_to_the_cap(self) -> None:
        """With no retry_after the wait starts at default_retry_after, doubles and is capped."""
        sleep = Recorder()

        async def handler(n: int) -> int:
            raise RateLimitError("slow down")

        processor = BatchProcessor(
            max_retries=4, default_retry_after=0.5, max_retry_after=3.0, sleep=sleep
        )
        await processor.run([0], handler)
        assert sleep.delays == [0.5, 1.0, 2.0, 3.0]

    async def test_retry_on_accepts_exception_classes(self) -> None:
        """retry_on given as classes retries those and nothing else."""
        attempts: dict[int, int] = {}

        async def handler(n: int) -> int:
            attempts[n] = attempts.get(n, 0) + 1
            if attempts[n] < 3:
                raise Flaky("again")
            return n

        processor = BatchProcessor(retry_on=(Flaky,), default_retry_after=0.0, sleep=Recorder())
        result = await processor.run([1, 2], handler)
        assert result.values() == [1, 2]
        assert [o.attempts for o in result.results] == [3, 3]


class TestRateLimitDetection:
    """is_rate_limited and retry_after_of read SDK errors without importing the SDKs."""

    @pytest.mark.parametrize(
        ("exc", "expected"),
        [
            (RateLimitError(), True),
            (APIError(status_code=429), True),
            (APIError(response=SimpleNamespace(status_code=429)), True),
            (APIError(status_code=500), False),
            (ValueError("429"), False),
        ],
    )
    def test_is_rate_limited(self, exc: BaseException, expected: bool) -> None:
        """A RateLimitError class name or an HTTP 429 counts as a rate limit."""
        assert is_rate_limited(exc) is expected

    @pytest.mark.parametrize(
        ("exc", "expected"),
        [
            (APIError(retry_after=2.5), 2.5),
            (APIError(response=SimpleNamespace(headers={"retry-after-ms": "150"})), 0.15),
            (APIError(response=SimpleNamespace(headers={"retry-after": "3"})), 3.0),
            (APIError(response=SimpleNamespace(headers={})), None),
            (APIError(retry_after="soon"), None),
            (ValueError(), None),
        ],
    )
    def test_retry_after_of(self, exc: BaseException, expected: float | None) -> None:
        """The attribute wins, then retry-after-ms, then retry-after."""
        assert retry_after_of(exc) == expected

    async def test_real_sdk_errors_are_recognised(self, fake_llm: FakeLLMProvider) -> None:
        """The SDKs' own 429 errors are rate limits with the server's retry_after."""
        fake_llm.inject("rate_limit", times=2, retry_after=0.25)
        with (
            fake_llm.openai_client(max_retries=0) as oai,
            pytest.raises(openai.RateLimitError) as openai_error,
        ):
            oai.embeddings.create(model="text-embedding-3-small", input="x")
        with (
            fake_llm.anthropic_client(max_retries=0) as claude,
            pytest.raises(anthropic.RateLimitError) as anthropic_error,
        ):
            claude.messages.create(
                model="claude-haiku-4-5", max_tokens=5, messages=[{"role": "user", "content": "x"}]
            )
        for info in (openai_error, anthropic_error):
            assert is_rate_limited(info.value)
            assert retry_after_of(info.value) == 0.25


class TestConcurrencyAndCancellation:
    """The concurrency bound holds and cancelling leaves nothing running."""

    @pytest.mark.parametrize("limit", [1, 3, 10])
    async def test_in_flight_requests_never_exceed_max_concurrent(self, limit: int) -> None:
        """At most max_concurrent handlers run at once, and the bound is reached."""
        in_flight = peak = 0

        async def handler(n: int) -> int:
            nonlocal in_flight, peak
            in_flight += 1
            peak = max(peak, in_flight)
            await asyncio.sleep(0.002)
            in_flight -= 1
            return n

        await BatchProcessor(max_concurrent=limit).run(range(30), handler)
        assert peak == limit

    async def test_cancelling_leaves_no_task_behind(self) -> None:
        """Cancelling run() cancels the in-flight handlers and awaits them."""
        started = asyncio.Event()
        cleaned: list[int] = []

        async def handler(n: int) -> int:
            started.set()
            try:
                await asyncio.sleep(10)
            finally:
                cleaned.append(n)
            return n

        before = asyncio.all_tasks()
        with capture_logs() as logs:
            task = asyncio.create_task(BatchProcessor(max_concurrent=3).run(range(10), handler))
            await started.wait()
            await asyncio.sleep(0)
            task.cancel()
            with pytest.raises(asyncio.CancelledError):
                await task
        assert asyncio.all_tasks() == before
        assert sorted(cleaned) == [0, 1, 2]
        [event] = logs.named("batch_processing_cancelled")
        assert (event["request_count"], event["completed"]) == (10, 0)


class TestEvents:
    """The batch's start, progress and end events."""

    async def test_start_progress_and_completion_are_logged_with_counts(self) -> None:
        """Events carry the request count, successes, failures and requests_per_second."""

        async def handler(n: int) -> int:
            if n % 10 == 0:
                raise Flaky(str(n))
            return n

        with capture_logs() as logs:
            result = await BatchProcessor(max_concurrent=4).run(range(50), handler)
        [started] = logs.named("batch_processing_started")
        assert (started["request_count"], started["max_concurrent"]) == (50, 4)
        assert started["emoji"] == "📦"
        progress = logs.named("batch_progress")
        assert [e["completed"] for e in progress] == list(range(5, 51, 5))
        assert progress[-1] == {**progress[-1], "total": 50, "failed": 5}
        [done] = logs.named("batch_processing_completed")
        assert (done["successes"], done["failures"], done["request_count"]) == (45, 5, 50)
        assert done["requests_per_second"] == result.requests_per_second > 0
        assert done["duration_ms"] == result.duration_ms

    async def test_durations_and_rate_follow_the_clock(self) -> None:
        """duration_ms and requests_per_second come from the injected clock."""
        now = [100.0]

        async def handler(n: int) -> int:
            now[0] += 0.5  # each request takes half a second on the fake clock
            return n

        processor = BatchProcessor(max_concurrent=1, clock=lambda: now[0])
        result = await processor.run([1, 2, 3, 4], handler)
        assert isinstance(result, BatchResult)
        assert (result.duration_ms, result.requests_per_second) == (2000.0, 2.0)
        assert [o.duration_ms for o in result.results] == [500.0] * 4

    async def test_progress_every_sets_the_log_interval(self) -> None:
        """progress_every=3 logs at 3, 6 and the last request."""
        with capture_logs() as logs:
            await BatchProcessor(progress_every=3).run(range(7), _immediate())
        assert [e["completed"] for e in logs.named("batch_progress")] == [3, 6, 7]

    async def test_on_progress_is_called_after_each_request(self) -> None:
        """The callback sees (completed, total) once per request."""
        seen: list[tuple[int, int]] = []
        await BatchProcessor().run(
            range(4), _immediate(), on_progress=lambda c, t: seen.append((c, t))
        )
        assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]

    async def test_a_broken_progress_callback_does_not_fail_the_batch(self) -> None:
        """A raising callback is reported once and then dropped."""

        def broken(completed: int, total: int) -> None:
            raise RuntimeError("terminal gone")

        with capture_logs() as logs:
            result = await BatchProcessor().run(range(5), _immediate(), on_progress=broken)
        assert result.successes == 5
        assert len(logs.named("batch_progress_callback_failed")) == 1

    @pytest.mark.parametrize(
        ("options", "message"),
        [
            ({"max_concurrent": 0}, "max_concurrent"),
            ({"max_retries": -1}, "max_retries"),
            ({"default_retry_after": -1.0}, "default_retry_after must be a number at least 0"),
            ({"progress_every": 0}, "progress_every"),
        ],
    )
    def test_bad_options_raise(self, options: dict[str, Any], message: str) -> None:
        """Options that cannot work are refused."""
        with pytest.raises(ValueError, match=message):
            BatchProcessor(**options)
