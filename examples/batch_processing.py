"""The spec's "Batch Processing and Queue Management" example, working against the fake provider.

What changed from the spec: the hand-built queue, workers and semaphore are
:class:`~logmoji.llm.batch.BatchProcessor`, which keeps the results in input
order, isolates each failure (``batch_request_failed`` 💥), retries
rate-limited requests after the server's ``retry-after`` (``request_retried``
🚦), logs progress 📦 and counts successes and failures in
``batch_processing_completed``. The spec's undefined
``_process_single_request`` is a real call to an instrumented OpenAI client.

Two faults are injected so the output shows both paths: the provider
rate-limits three requests (retried, then they succeed), and one request
exceeds the context window (fails, alone).

Run: ``python examples/batch_processing.py`` (no network, no API key needed).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field

import openai

from logmoji import get_logger
from logmoji.llm import instrument
from logmoji.llm.batch import BatchProcessor
from logmoji.testing import FakeLLMProvider


@dataclass(frozen=True)
class Request:
    """One prompt to answer."""

    prompt: str
    model: str = "gpt-4o-mini"
    headers: dict[str, str] = field(default_factory=dict)


class LLMBatchProcessor:
    """Answer a batch of prompts, at most ``max_concurrent`` at a time."""

    def __init__(self, client: openai.AsyncOpenAI, max_concurrent: int = 5) -> None:
        self.log = get_logger("llm.batch")
        self.client = client
        # The SDK's own retries are off so the batch's retries (and their logs) are visible.
        self.processor = BatchProcessor(max_concurrent=max_concurrent, max_retries=3)

    async def process_batch(self, requests: list[Request]) -> list[str | None]:
        """Answer every request; return the answers in order, ``None`` where one failed."""
        result = await self.processor.run(requests, self._process_single_request)
        for outcome in result.failed:
            self.log.warning(
                "batch_request_skipped", batch_index=outcome.index, attempts=outcome.attempts
            )
        return result.values()

    async def _process_single_request(self, request: Request) -> str:
        response = await self.client.chat.completions.create(
            model=request.model,
            messages=[{"role": "user", "content": request.prompt}],
            extra_headers=request.headers,
        )
        return response.choices[0].message.content or ""


async def main() -> None:
    requests = [Request(f"Summarize document {i}") for i in range(12)]
    # Request 7 is far too long for the model: the provider answers 400.
    requests[7] = Request("Summarize document 7", headers={"x-fake-fault": "context_length"})

    with FakeLLMProvider(latency=0.01) as fake:
        fake.inject("rate_limit", times=3, retry_after=0.05)
        async with fake.async_openai_client(max_retries=0) as client:
            with instrument(client):
                batch = LLMBatchProcessor(client, max_concurrent=4)
                answers = await batch.process_batch(requests)

    answered = sum(answer is not None for answer in answers)
    print(
        f"{answered} of {len(answers)} answered; failed: "
        f"{[i for i, answer in enumerate(answers) if answer is None]}"
    )


if __name__ == "__main__":
    asyncio.run(main())
