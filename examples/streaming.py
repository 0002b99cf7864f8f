"""The spec's "Streaming Response Handling" example, working, with ``logmoji.llm.instrument``.

What changed from the spec's snippet:

* it used ``time`` without importing it, and a ``self.client`` it never made;
  this makes an ``AsyncOpenAI`` client;
* it counted chunks as tokens. The instrumentation asks the server for the
  stream's usage and logs the exact ``completion_tokens`` in
  ``stream_completed`` 🌊, with ``ttft_ms`` (time to first token) and
  ``tokens_per_second``; ``stream_progress`` is logged at debug every 50
  tokens, as the spec did by hand;
* a stream the reader stops early is logged once as ``stream_cancelled`` with
  the partial counts, instead of not at all.

Run: ``python examples/streaming.py`` (``LOGMOJI_LEVEL=DEBUG`` shows the
progress lines). Without ``OPENAI_BASE_URL`` in the environment it starts
logmoji's local fake provider, pacing tokens like a real model.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import AsyncIterator
from contextlib import ExitStack
from typing import Any

from openai import AsyncOpenAI

from logmoji.llm import instrument
from logmoji.testing import FakeLLMProvider


class StreamingLLMClient:
    """Stream completions; the instrumentation logs start, progress and end."""

    def __init__(self, client: AsyncOpenAI | None = None) -> None:
        self.client = client or AsyncOpenAI()
        self.instrumentation = instrument(self.client, progress_every=50)

    async def stream_completion(self, prompt: str, model: str = "gpt-4") -> AsyncIterator[str]:
        """Yield the reply's text as it arrives."""
        stream = await self.client.chat.completions.create(
            model=model,
            messages=[{"role": "user", "content": prompt}],
            stream=True,
        )
        async with stream:
            async for chunk in stream:
                if chunk.choices and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content

    async def close(self) -> None:
        """Undo the instrumentation and close the client."""
        self.instrumentation.uninstrument()
        await self.client.close()


async def run(client_options: dict[str, Any]) -> None:
    """Stream one reply to the end, and stop reading a second one early."""
    llm = StreamingLLMClient(AsyncOpenAI(**client_options))
    try:
        start = time.perf_counter()
        parts = [text async for text in llm.stream_completion("Tell me a long story.")]
        print(f"streamed {len(parts)} pieces in {time.perf_counter() - start:.2f}s")
        print(f"reply: {''.join(parts)}")
        opening: list[str] = []
        pieces = llm.stream_completion("Tell me another one.")
        async for text in pieces:
            opening.append(text)
            if len(opening) == 20:
                break  # only the opening was wanted: logged as stream_cancelled
        await pieces.aclose()
        print(f"opening: {''.join(opening)}")
    finally:
        await llm.close()


def main() -> None:
    """Run against ``OPENAI_BASE_URL``, or against a local fake provider."""
    with ExitStack() as stack:
        options: dict[str, Any] = {}
        if not os.environ.get("OPENAI_BASE_URL"):
            fake = stack.enter_context(FakeLLMProvider(reply_tokens=120, tokens_per_second=800))
            options.update(base_url=fake.openai_base_url, api_key="sk-fake")
        asyncio.run(run(options))


if __name__ == "__main__":
    main()
