"""Run a framework scenario without and with logmoji against the fake provider, and compare.

A scenario is a function of ``(fake, wiring)`` that builds the framework's
models and clients itself, runs them against ``fake`` and returns what the
application sees, as a value that compares with ``==``. :func:`compare` runs it
twice, each time on a fresh :class:`FakeLLMProvider` (so ids, which the fake
derives from its request counter, repeat):

* plainly, with logmoji off;
* with ``instrument_openai()`` and ``instrument_anthropic()`` active while the
  scenario runs, so every SDK client the framework creates is instrumented.
  A scenario that instruments a client itself (``wiring.instrument(client)``,
  a no-op in the plain run) asks for ``hooks="client"`` instead.

It then checks that both runs returned the same thing, that the plain run
logged no LLM event, and that the logged run has exactly one ending event per
model request the fake provider recorded, each with that request's usage. The
usage is the fake provider's own: each recorded request is sent again,
unstreamed, to the same fake provider, and its ``usage`` read.
"""

from __future__ import annotations

import json
import urllib.request
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Literal

from pydantic import BaseModel

import logmoji.llm
from _sdk_calls import llm_events
from logmoji.llm.instrumentation import Instrumentation
from logmoji.testing import capture_logs
from logmoji.testing._fake_handler import RecordedRequest
from logmoji.testing._fake_provider import FakeLLMProvider

MODEL_PATHS = ("/chat/completions", "/responses", "/messages")
ENDINGS = ("_completed", "_failed", "_cancelled")
GPT = "gpt-4o"
CLAUDE = "claude-haiku-4-5"
OPENAI_KEY = "sk-fake-frameworks-0123456789abcdefghijklmnop"
ANTHROPIC_KEY = "sk-ant-fake-frameworks-0123456789abcdefghijkl"


@dataclass
class Wiring:
    """Let a scenario instrument the clients it makes, in the logged run only."""

    logged: bool
    handles: list[Instrumentation] = field(default_factory=list)

    def instrument(self, client: Any) -> None:
        """Instrument ``client`` if this is the logged run."""
        if self.logged:
            self.handles.append(logmoji.llm.instrument(client))

    def uninstrument(self) -> None:
        """Undo every instrumentation this run made."""
        while self.handles:
            self.handles.pop().uninstrument()


@dataclass(frozen=True)
class Runs:
    """What the logged run returned and logged, and the fake provider's usage per request."""

    result: Any
    endings: list[dict[str, Any]]
    requests: list[RecordedRequest]
    usage: list[tuple[int, int]]

    @property
    def logged_usage(self) -> list[tuple[int, int]]:
        """Return each ending's ``(prompt_tokens, completion_tokens)``, in order."""
        return [(e["prompt_tokens"], e["completion_tokens"]) for e in self.endings]

    def totals(self) -> tuple[int, int]:
        """Return the logged prompt and completion tokens, summed over the endings."""
        return (
            sum(e["prompt_tokens"] for e in self.endings),
            sum(e["completion_tokens"] for e in self.endings),
        )


Scenario = Callable[[FakeLLMProvider, Wiring], Any]
Hooks = Literal["global", "client"]


def endings(logs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Return logmoji's ending events: one per finished, failed or cancelled model call."""
    return [e for e in llm_events(logs) if str(e["event"]).endswith(ENDINGS)]


def model_requests(fake: FakeLLMProvider) -> list[RecordedRequest]:
    """Return the recorded requests that went to a model (chat, responses, messages)."""
    return [r for r in fake.requests if r.path.split("?")[0].endswith(MODEL_PATHS)]


def server_usage(fake: FakeLLMProvider, request: RecordedRequest) -> tuple[int, int]:
    """Send ``request`` again, unstreamed, and return the fake's prompt and completion tokens.

    Anthropic's prompt tokens are its input plus cache-read and cache-write
    tokens, as logmoji counts them.
    """
    body = {k: v for k, v in request.body.items() if k not in ("stream", "stream_options")}
    headers = {k: v for k, v in request.headers.items() if k.startswith("x-fake-")}
    headers["content-type"] = "application/json"
    path = request.path.split("?")[0]
    sent = urllib.request.Request(
        fake.base_url + path, data=json.dumps(body).encode(), headers=headers, method="POST"
    )
    with urllib.request.urlopen(sent, timeout=10) as response:
        usage = json.loads(response.read())["usage"]
    if path.endswith("/chat/completions"):
        return usage["prompt_tokens"], usage["completion_tokens"]
    if path.endswith("/responses"):
        return usage["input_tokens"], usage["output_tokens"]
    prompt = (
        usage["input_tokens"]
        + (usage.get("cache_read_input_tokens") or 0)
        + (usage.get("cache_creation_input_tokens") or 0)
    )
    return prompt, usage["output_tokens"]


def _check(plain: Any, logged: Any, plain_logs: list[Any], logs: list[Any], fake: Any) -> Runs:
    requests = model_requests(fake)
    usage = [server_usage(fake, r) for r in requests]
    runs = Runs(logged, endings(logs), requests, usage)
    assert llm_events(plain_logs) == [], "the plain run must log nothing"
    changed = differences(plain, logged)
    assert logged == plain, f"logmoji changed what the framework returned: {changed}"
    assert requests, "the scenario sent no model request"
    assert len(runs.endings) == len(requests), (
        f"{len(requests)} model requests but {len(runs.endings)} endings: "
        f"{[e['event'] for e in runs.endings]}"
    )
    for ending in runs.endings:
        assert type(ending["prompt_tokens"]) is int, ending
        assert type(ending["completion_tokens"]) is int, ending
    assert sorted(runs.logged_usage) == sorted(usage)
    return runs


def _hooks(kind: Hooks) -> list[Instrumentation]:
    if kind == "client":
        return []
    return [logmoji.llm.instrument_openai(), logmoji.llm.instrument_anthropic()]


def compare(scenario: Scenario, *, hooks: Hooks = "global") -> Runs:
    """Run a sync scenario without and with logmoji; check it and return the logged run."""
    with FakeLLMProvider() as fake, capture_logs() as plain_logs:
        plain = scenario(fake, Wiring(logged=False))
    with FakeLLMProvider() as fake:
        wiring = Wiring(logged=True)
        handles = _hooks(hooks)
        try:
            with capture_logs() as logs:
                logged = scenario(fake, wiring)
        finally:
            wiring.uninstrument()
            for handle in handles:
                handle.uninstrument()
        return _check(plain, logged, plain_logs, logs, fake)


async def acompare(
    scenario: Callable[[FakeLLMProvider, Wiring], Awaitable[Any]], *, hooks: Hooks = "global"
) -> Runs:
    """Run an async scenario without and with logmoji; check it and return the logged run."""
    with FakeLLMProvider() as fake, capture_logs() as plain_logs:
        plain = await scenario(fake, Wiring(logged=False))
    with FakeLLMProvider() as fake:
        wiring = Wiring(logged=True)
        handles = _hooks(hooks)
        try:
            with capture_logs() as logs:
                logged = await scenario(fake, wiring)
        finally:
            wiring.uninstrument()
            for handle in handles:
                handle.uninstrument()
        return _check(plain, logged, plain_logs, logs, fake)


def without(value: Any, keys: frozenset[str]) -> Any:
    """Return ``value`` with every mapping key in ``keys`` dropped, at any depth."""
    if isinstance(value, dict):
        return {k: without(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list | tuple):
        return [without(v, keys) for v in value]
    return value


def differences(plain: Any, logged: Any, path: str = "") -> list[str]:
    """Return where two nested results differ, as ``path: plain != logged`` lines."""
    if isinstance(plain, dict) and isinstance(logged, dict):
        keys = list(plain) + [k for k in logged if k not in plain]
        return [
            line for k in keys for line in differences(plain.get(k), logged.get(k), f"{path}.{k}")
        ]
    if isinstance(plain, BaseModel) and type(plain) is type(logged):
        return differences(dict(plain), dict(logged), path)
    if (
        isinstance(plain, list | tuple)
        and type(plain) is type(logged)
        and len(plain) == len(logged)
    ):
        return [
            line
            for i, (a, b) in enumerate(zip(plain, logged, strict=True))
            for line in differences(a, b, f"{path}[{i}]")
        ]
    return [] if plain == logged else [f"{path or '.'}: {plain!r} != {logged!r}"]
