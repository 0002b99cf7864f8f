"""The spec's "Anthropic Claude Integration" example, working, with ``logmoji.llm.instrument``.

What changed from the spec's snippet:

* it awaited ``create()`` on the synchronous ``anthropic.Anthropic`` client;
  this uses ``AsyncAnthropic``;
* it read ``e.retry_after``, which ``anthropic.RateLimitError`` does not have;
  :func:`logmoji.llm.instrumentation.errors.classify_error` reads the wait the server asked for
  from the ``retry-after-ms``/``retry-after`` headers;
* the started/completed/failed events are logged by ``instrument()``, with
  Anthropic's ``input_tokens``/``output_tokens`` and the normalised
  ``prompt_tokens``/``completion_tokens``, so the class only decides what to do
  on a rate limit: wait as asked, once, then try again.

Run: ``python examples/anthropic_integration.py``. Without
``ANTHROPIC_BASE_URL`` in the environment it starts logmoji's local fake
provider and talks to that.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import ExitStack
from typing import Any

import anthropic

from logmoji import get_logger
from logmoji.llm import instrument
from logmoji.llm.instrumentation.errors import classify_error
from logmoji.testing import FakeLLMProvider


class ClaudeClient:
    """Talk to Claude; calls are logged by the instrumentation, rate limits waited out once."""

    def __init__(self, client: anthropic.AsyncAnthropic | None = None) -> None:
        # max_retries=0: this class handles rate limits itself, to show retry_after.
        self.client = client or anthropic.AsyncAnthropic(max_retries=0)
        self.instrumentation = instrument(self.client)
        self.log = get_logger("llm.claude")

    async def message_completion(
        self, messages: list[dict[str, Any]], model: str = "claude-3-5-sonnet-latest"
    ) -> str:
        """Send ``messages``; on a rate limit wait as long as the server asked, then retry once."""
        try:
            message = await self.client.messages.create(
                model=model, max_tokens=1000, messages=messages
            )
        except anthropic.RateLimitError as err:
            wait = classify_error(err).retry_after or 1.0
            self.log.info("claude_backoff", model=model, retry_after=wait)
            await asyncio.sleep(wait)
            message = await self.client.messages.create(
                model=model, max_tokens=1000, messages=messages
            )
        return "".join(block.text for block in message.content if block.type == "text")

    async def close(self) -> None:
        """Undo the instrumentation and close the client."""
        self.instrumentation.uninstrument()
        await self.client.close()


async def run(client_options: dict[str, Any], fake: FakeLLMProvider | None) -> None:
    """Ask a question, then another that first meets a rate limit."""
    claude = ClaudeClient(anthropic.AsyncAnthropic(**client_options))
    try:
        reply = await claude.message_completion([{"role": "user", "content": "Name a river."}])
        print(f"reply: {reply}")
        if fake is not None:
            fake.inject("rate_limit", retry_after=0.05, provider="anthropic")
        reply = await claude.message_completion([{"role": "user", "content": "And a lake?"}])
        print(f"reply: {reply}")
    finally:
        await claude.close()


def main() -> None:
    """Run against ``ANTHROPIC_BASE_URL``, or against a local fake provider."""
    with ExitStack() as stack:
        fake: FakeLLMProvider | None = None
        options: dict[str, Any] = {"max_retries": 0}
        if not os.environ.get("ANTHROPIC_BASE_URL"):
            fake = stack.enter_context(FakeLLMProvider())
            options.update(base_url=fake.anthropic_base_url, api_key="sk-ant-fake")
        asyncio.run(run(options, fake))


if __name__ == "__main__":
    main()
