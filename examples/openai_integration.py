"""The spec's "OpenAI Integration" example, working, with ``logmoji.llm.instrument``.

What changed from the spec's snippet:

* it awaited ``create()`` on the synchronous ``OpenAI`` client; this uses
  ``AsyncOpenAI``, which is what ``await`` needs;
* instead of timing and logging each call by hand, one ``instrument()`` call
  logs ``chat_request_started`` 💭 and ``chat_request_completed`` ✨ with the
  server's own token counts, the request id, the retries, the rate-limit state
  🚦, and failures sorted into ⏰ 🛑 📏 💥;
* the spec's ``_estimate_tokens`` broke on messages whose content is a list of
  parts; :func:`logmoji.llm.tokens.estimate_tokens` handles every shape and is
  used here to refuse an over-long prompt before sending it.

Run: ``python examples/openai_integration.py``. Without ``OPENAI_BASE_URL`` in
the environment it starts logmoji's local fake provider and talks to that.
"""

from __future__ import annotations

import asyncio
import os
from contextlib import ExitStack
from typing import Any

from openai import AsyncOpenAI

from logmoji import get_logger
from logmoji.llm import instrument
from logmoji.llm.tokens import estimate_tokens
from logmoji.testing import FakeLLMProvider


class OpenAIClient:
    """Chat with OpenAI; every call is logged by the instrumentation."""

    def __init__(self, client: AsyncOpenAI | None = None, *, max_prompt_tokens: int = 8000) -> None:
        self.client = client or AsyncOpenAI()
        self.instrumentation = instrument(self.client)
        self.max_prompt_tokens = max_prompt_tokens
        self.log = get_logger("llm.openai")

    async def chat_completion(self, messages: list[dict[str, Any]], model: str = "gpt-4") -> str:
        """Send ``messages`` and return the reply text."""
        estimate = estimate_tokens(messages, model)
        if estimate.count > self.max_prompt_tokens:
            # Refused locally: the instrumentation never sees a request.
            self.log.warning(
                "context_length_exceeded",
                model=model,
                estimated_prompt_tokens=estimate.count,
                limit=self.max_prompt_tokens,
            )
            raise ValueError(f"prompt of ~{estimate.count} tokens is over the limit")
        response = await self.client.chat.completions.create(model=model, messages=messages)
        return response.choices[0].message.content or ""

    async def close(self) -> None:
        """Undo the instrumentation and close the client."""
        self.instrumentation.uninstrument()
        await self.client.close()


async def run(client_options: dict[str, Any], fake: FakeLLMProvider | None) -> None:
    """Ask two questions, the second after a rate limit the SDK retries."""
    chat = OpenAIClient(AsyncOpenAI(**client_options))
    try:
        reply = await chat.chat_completion([{"role": "user", "content": "Name a colour."}])
        print(f"reply: {reply}")
        if fake is not None:
            fake.inject("rate_limit", retry_after=0.05)  # answered by one SDK retry 🚦
        messages = [{"role": "user", "content": [{"type": "text", "text": "And a tree?"}]}]
        reply = await chat.chat_completion(messages, model="gpt-4o")
        print(f"reply: {reply}")
        try:
            await chat.chat_completion([{"role": "user", "content": "x" * 40_000}])
        except ValueError as err:
            print(f"refused: {err}")
    finally:
        await chat.close()


def main() -> None:
    """Run against ``OPENAI_BASE_URL``, or against a local fake provider."""
    with ExitStack() as stack:
        fake: FakeLLMProvider | None = None
        options: dict[str, Any] = {"max_retries": 2}
        if not os.environ.get("OPENAI_BASE_URL"):
            fake = stack.enter_context(FakeLLMProvider())
            options.update(base_url=fake.openai_base_url, api_key="sk-fake")
        asyncio.run(run(options, fake))


if __name__ == "__main__":
    main()
