"""The spec's "Model Management and Caching" example, working against the fake provider.

What changed from the spec: the missing imports (``asyncio``, ``time``) are
added; the undefined ``self.response_cache`` is a real
:class:`~logmoji.llm.cache.ResponseCache` (LRU, byte-bounded, with a TTL)
wrapped around an instrumented OpenAI client; the key hashes the model and
every request parameter, not just the prompt; ``load_model`` uses
:func:`~logmoji.llm.lifecycle.track_model_load`, which reports the real growth
of resident memory instead of ``hash(model_name) % 1000 + 500``.

Run: ``python examples/model_management.py`` (no network, no API key needed).
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import openai

from logmoji import LoggingConfig, TelemetryConfig, get_logger, setup_telemetry
from logmoji.llm import instrument
from logmoji.llm.cache import ResponseCache
from logmoji.llm.lifecycle import track_model_load
from logmoji.testing import FakeLLMProvider

MB = 1024 * 1024


class LLMModelManager:
    """Load local models and answer prompts through a cached, instrumented client."""

    def __init__(self, client: openai.AsyncOpenAI, cache: ResponseCache | None = None) -> None:
        self.log = get_logger("llm.models")
        self.model_cache: dict[str, dict[str, Any]] = {}
        self.response_cache = cache or ResponseCache(max_entries=256, ttl_seconds=600)
        self._create = self.response_cache.wrap(client.chat.completions.create)

    async def load_model(self, model_name: str, config: dict[str, Any] | None = None) -> None:
        """Load ``model_name``; logs model_load_started / _completed 🤖 or _failed 💥."""
        async with track_model_load(model_name, **(config or {})) as load:
            await asyncio.sleep(0.05)  # stands in for reading weights from disk
            if (config or {}).get("path") == "missing":
                raise FileNotFoundError(f"no weights for {model_name}")
            weights = b"\x01" * (32 * MB)  # real, resident memory: memory_delta_mb shows it
            self.model_cache[model_name] = {
                "loaded_at": time.time(),
                "config": config or {},
                "status": "ready",
                "weights": weights,
            }
            load.set(weights_mb=len(weights) // MB)

    async def complete(self, prompt: str, model: str) -> str:
        """Answer ``prompt``; a repeated request is served from the cache (cache_hit 💾)."""
        response = await self._create(model=model, messages=[{"role": "user", "content": prompt}])
        return response.choices[0].message.content or ""


async def main() -> None:
    # Cache events are DEBUG: show them, keep the rest at INFO.
    setup_telemetry(TelemetryConfig(logging=LoggingConfig(module_levels={"llm.cache": "DEBUG"})))
    with FakeLLMProvider(latency=0.02) as fake:
        async with fake.async_openai_client() as client:
            with instrument(client):
                manager = LLMModelManager(client)
                await manager.load_model("llama-3-8b", {"device": "cpu"})
                try:
                    await manager.load_model("mistral-7b", {"path": "missing"})
                except FileNotFoundError as exc:
                    print(f"load failed as expected: {exc}")

                question = "What is a response cache?"
                first = await manager.complete(question, model="gpt-4o")
                second = await manager.complete(question, model="gpt-4o")  # no request sent
                await manager.complete(question, model="gpt-4o-mini")  # another model: a miss
        assert first == second
        stats = manager.response_cache.stats()
        print(
            f"requests sent: {len(fake.requests)}, cache hits: {stats.hits}, "
            f"misses: {stats.misses}, hit rate: {stats.hit_rate:.0%}"
        )


if __name__ == "__main__":
    asyncio.run(main())
