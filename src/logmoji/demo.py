"""The demo workload: every feature of logmoji on real SDK calls, in a few seconds.

:func:`run_demo` starts the embedded :class:`~logmoji.testing.FakeLLMProvider`
(or, with ``live=True``, uses the real OpenAI and Anthropic APIs), instruments
the real ``openai`` and ``anthropic`` clients, and runs a scripted workload:
a model load and local inference, token counting, chat (plain and streamed),
the responses API, embeddings, Anthropic messages (plain and streamed), an
agent run with a tool call, a cache miss then hit, a 429 that succeeds on
retry, failures of every kind (rate limit, timeout, context length, server
error), a batch of 20 requests
at concurrency 5, and a short training loop. It logs to the console and to a
JSON-lines file, and ends with the performance metrics and the cost summary.
``logmoji demo`` then prints the usage report of that file.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import IO, Any

from logmoji import bind_contextvars, clear_contextvars, get_logger, setup_telemetry
from logmoji.logger.config import LLMConfig, LoggingConfig, TelemetryConfig

__all__ = ["DemoClients", "live_keys_missing", "run_demo"]

OPENAI_MODEL = "gpt-4o-mini"
REASONING_MODEL = "o4-mini"
EMBEDDING_MODEL = "text-embedding-3-small"
ANTHROPIC_MODEL = "claude-haiku-4-5"
BATCH_SIZE = 20
BATCH_CONCURRENCY = 5

QUESTIONS = [
    "What does a structured logger add to print debugging?",
    "Name three signals worth watching on an LLM endpoint.",
    "Why count tokens on the server side rather than guess?",
    "How should an app react to a 429 with retry-after?",
]


@dataclass
class DemoClients:
    """The instrumented SDK clients the workload uses."""

    openai: Any
    async_openai: Any
    anthropic: Any
    fake: Any | None = None  # the FakeLLMProvider, for fault injection; None when live


def live_keys_missing(environ: dict[str, str] | None = None) -> list[str]:
    """Return the API-key variables ``--live`` needs that are not set."""
    env = os.environ if environ is None else environ
    return [name for name in ("OPENAI_API_KEY", "ANTHROPIC_API_KEY") if not env.get(name)]


def _messages(question: str) -> list[dict[str, str]]:
    return [
        {"role": "system", "content": "You are a concise assistant for software engineers."},
        {"role": "user", "content": question},
    ]


def _step(out: IO[str], title: str) -> None:
    out.write(f"\n── {title}\n")
    out.flush()


def _expect_failure(call: Callable[[], object]) -> None:
    """Run a call that the demo makes fail on purpose; the log line is the point."""
    with contextlib.suppress(Exception):
        call()


def _local_model(out: IO[str]) -> None:
    from logmoji.llm import track_model_load

    _step(out, "a local model: load 🤖, inference 🧠, token generation ⚡")
    with track_model_load("all-MiniLM-L6-v2", device="cpu") as load:
        weights = bytearray(8 * 1024 * 1024)  # stands in for the weights: a real memory delta
        time.sleep(0.05)
        load.set(parameters="22.7M")
    log = get_logger("llm.local")
    start = time.perf_counter()
    log.info("inference_started", model="all-MiniLM-L6-v2", inputs=4)
    generated = 0
    for _ in range(3):
        time.sleep(0.01)
        generated += 8
        log.info("tokens_generated", model="all-MiniLM-L6-v2", tokens=generated)
    log.info(
        "inference_completed",
        model="all-MiniLM-L6-v2",
        inputs=4,
        tokens=generated,
        duration_ms=round((time.perf_counter() - start) * 1000, 2),
    )
    del weights


def _calls(clients: DemoClients, out: IO[str]) -> None:
    from logmoji.llm import estimate_tokens

    messages = _messages(QUESTIONS[0])
    _step(out, "count tokens 🔢, then OpenAI chat: prompt 💭, response ✨")
    estimate = estimate_tokens(messages, OPENAI_MODEL)
    get_logger("llm").info(
        "token_count", model=OPENAI_MODEL, prompt_tokens=estimate.count, method=estimate.method
    )
    clients.openai.chat.completions.create(model=OPENAI_MODEL, messages=messages)

    _step(out, "OpenAI chat, streamed 🌊")
    stream = clients.openai.chat.completions.create(
        model=OPENAI_MODEL, messages=_messages(QUESTIONS[1]), stream=True
    )
    for _chunk in stream:
        pass

    _step(out, "OpenAI responses API (a reasoning model) and embeddings")
    clients.openai.responses.create(model=REASONING_MODEL, input=QUESTIONS[2])
    clients.openai.embeddings.create(model=EMBEDDING_MODEL, input=QUESTIONS)

    _step(out, "Anthropic messages, plain and streamed")
    clients.anthropic.messages.create(
        model=ANTHROPIC_MODEL, max_tokens=200, messages=_messages(QUESTIONS[3])[1:]
    )
    with clients.anthropic.messages.stream(
        model=ANTHROPIC_MODEL, max_tokens=200, messages=_messages(QUESTIONS[0])[1:]
    ) as anthropic_stream:
        for _text in anthropic_stream.text_stream:
            pass


def _agent(clients: DemoClients, out: IO[str]) -> None:
    """One agent run: the model asks for a tool, the tool runs, the model answers."""
    import json

    from logmoji.llm import agent_run, track_tool

    _step(out, "An agent run: the model asks for a tool, the tool runs, the model answers")
    tools: Any = [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "The weather of a city.",
                "parameters": {
                    "type": "object",
                    "properties": {"city": {"type": "string"}},
                    "required": ["city"],
                },
            },
        }
    ]

    @track_tool("get_weather")
    def get_weather(city: str) -> str:
        return f"sunny, 21°C in {city}"

    with agent_run("weather-assistant", conversation_id="demo-conversation"):
        messages: list[Any] = _messages("What is the weather in Oslo?")
        first = clients.openai.chat.completions.create(
            model=OPENAI_MODEL, messages=messages, tools=tools
        )
        message = first.choices[0].message
        messages.append(message.model_dump(exclude_none=True))
        for call in message.tool_calls or []:
            city = json.loads(call.function.arguments or "{}").get("city", "Oslo")
            messages.append({"role": "tool", "tool_call_id": call.id, "content": get_weather(city)})
        clients.openai.chat.completions.create(model=OPENAI_MODEL, messages=messages, tools=tools)


def _cache(clients: DemoClients, out: IO[str]) -> None:
    from logmoji.llm import ResponseCache

    _step(out, "response cache 💾: a miss, then a hit (no second request)")
    cache = ResponseCache(max_entries=128, ttl_seconds=600)
    create = cache.wrap(clients.openai.chat.completions.create)
    for _ in range(2):
        create(model=OPENAI_MODEL, messages=_messages("What is a cache key?"))


def _faults(clients: DemoClients, out: IO[str]) -> None:
    fake = clients.fake
    assert fake is not None
    _step(out, "a 429 that succeeds on retry 🚦, then failures: 🛑 ⏰ 📏 💥")
    fake.inject("rate_limit", provider="openai", retry_after=0.2)
    clients.openai.with_options(max_retries=2).chat.completions.create(
        model=OPENAI_MODEL, messages=_messages("Retry me, please.")
    )
    no_retry = clients.openai.with_options(max_retries=0)
    fake.inject("rate_limit", provider="openai", retry_after=30)
    _expect_failure(
        lambda: no_retry.chat.completions.create(
            model=OPENAI_MODEL, messages=_messages("Too many of me.")
        )
    )
    fake.inject("timeout", provider="openai", hang=2.0)
    _expect_failure(
        lambda: no_retry.with_options(timeout=0.3).chat.completions.create(
            model=OPENAI_MODEL, messages=_messages("I will time out.")
        )
    )
    fake.inject("context_length", provider="anthropic")
    _expect_failure(
        lambda: clients.anthropic.with_options(max_retries=0).messages.create(
            model=ANTHROPIC_MODEL,
            max_tokens=200,
            messages=[{"role": "user", "content": "An enormous document. " * 50}],
        )
    )
    fake.inject("server_error", provider="openai")
    _expect_failure(
        lambda: no_retry.chat.completions.create(
            model=OPENAI_MODEL, messages=_messages("The model falls over.")
        )
    )


def _batch(clients: DemoClients, out: IO[str], *, live: bool) -> None:
    from logmoji.llm import BatchProcessor

    _step(out, f"a batch of {BATCH_SIZE} requests at concurrency {BATCH_CONCURRENCY} 📦")
    client = clients.async_openai.with_options(max_retries=0)
    requests = [QUESTIONS[i % len(QUESTIONS)] + f" (#{i + 1})" for i in range(BATCH_SIZE)]

    async def handle(request: str) -> object:
        return await client.chat.completions.create(model=OPENAI_MODEL, messages=_messages(request))

    def progress(done: int, total: int) -> None:
        width = 20
        filled = width * done // total
        out.write(f"   batch ▕{'█' * filled}{'░' * (width - filled)}▏ {done}/{total}\n")
        out.flush()

    if clients.fake is not None:  # one request meets a 429; the batch retries it
        clients.fake.inject("rate_limit", provider="openai", retry_after=0.2)
    processor = BatchProcessor(
        max_concurrent=BATCH_CONCURRENCY, default_retry_after=0.2, progress_every=5
    )

    async def main() -> None:
        try:
            await processor.run(requests, handle, on_progress=progress)
        finally:
            await client.close()

    asyncio.run(main())


def _training(out: IO[str]) -> None:
    from logmoji.llm import track_training

    _step(out, "a short fine-tuning loop: started 📚, completed 🎓")
    steps_per_epoch = 4
    with track_training(
        "demo-finetune",
        total_epochs=3,
        total_steps=3 * steps_per_epoch,
        log_every=3 * steps_per_epoch,
        model=OPENAI_MODEL,
    ) as run:
        loss = 1.2
        for epoch in range(1, 4):
            for _ in range(steps_per_epoch):
                time.sleep(0.005)
                loss *= 0.88
                run.step(loss=round(loss, 4))
            run.epoch(epoch, loss=round(loss, 4), accuracy=round(0.7 + 0.08 * epoch, 3))


def _summaries(out: IO[str]) -> None:
    from logmoji.llm import cost_tracker, performance_monitor

    _step(out, "performance ⏱️ and cost 💰 summaries")
    performance_monitor().log_metrics()
    cost_tracker().log_usage_summaries()


def _import_in_background() -> threading.Thread:
    """Start importing the SDKs (seconds of CPU) while the first section runs."""

    def load() -> None:
        with contextlib.suppress(ImportError):  # _clients imports again, and says what failed
            import anthropic  # noqa: F401
            import openai  # noqa: F401

            import logmoji.llm.instrumentation  # noqa: F401

    thread = threading.Thread(target=load, name="logmoji-demo-imports", daemon=True)
    thread.start()
    return thread


@contextlib.contextmanager
def _clients(live: bool, out: IO[str]) -> Iterator[DemoClients]:
    import anthropic
    import openai

    from logmoji.llm import instrument

    fake = None
    stack = contextlib.ExitStack()
    with stack:
        made: list[Any]
        if live:
            made = [openai.OpenAI(), openai.AsyncOpenAI(), anthropic.Anthropic()]
        else:
            from logmoji.testing import FakeLLMProvider

            fake = stack.enter_context(
                FakeLLMProvider(
                    latency=0.005, ttft=0.02, tokens_per_second=600, rate_limit_requests=34
                )
            )
            out.write(f"Fake OpenAI and Anthropic APIs on {fake.base_url} (no network, no keys)\n")
            made = [fake.openai_client(), fake.async_openai_client(), fake.anthropic_client()]
        for client in made:
            stack.enter_context(instrument(client))
        for client in (made[0], made[2]):
            stack.callback(client.close)
        yield DemoClients(made[0], made[1], made[2], fake)


def run_demo(
    *, json_log: str, live: bool = False, out: IO[str] | None = None, colors: bool | None = None
) -> None:
    """Run the demo workload, logging to ``out`` (console) and ``json_log`` (JSON lines).

    Args:
        json_log: The JSON-lines file to write (replaced if it exists).
        live: Use the real OpenAI and Anthropic APIs (keys from the environment)
            instead of the embedded fake provider; the fault steps are skipped.
        out: Where the console lines and step titles go (``sys.stdout`` by default).
        colors: Colour the console lines (``None``: on a terminal).
    """
    import sys

    stream = out if out is not None else sys.stdout
    with open(json_log, "w", encoding="utf-8"):
        pass  # start the file empty: logmoji appends to it
    setup_telemetry(
        TelemetryConfig(
            logging=LoggingConfig(
                stream=stream,
                json_file=json_log,
                colors=colors,
                module_levels={"llm.cache": "DEBUG"},
            ),
            llm=LLMConfig(cost_tracking=True, performance_monitoring=True),
        )
    )
    imports = _import_in_background()
    try:
        _local_model(stream)
        imports.join()
        with _clients(live, stream) as clients:
            bind_contextvars(user_id="alice")
            _calls(clients, stream)
            _agent(clients, stream)
            _cache(clients, stream)
            if not live:
                _faults(clients, stream)
            bind_contextvars(user_id="bob")
            _batch(clients, stream, live=live)
            clear_contextvars()
        _training(stream)
        _summaries(stream)
    finally:
        clear_contextvars()
        from logmoji.setup import reset

        reset()  # closes the JSON file
