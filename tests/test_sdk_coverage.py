"""The installed SDKs' model-request methods all reach a path the instrumentation logs.

Instrumentation hooks ``client.request`` and picks the operation from the
request's path (``_openai.ROUTES``, ``_anthropic.ROUTES``). This test walks
every resource of the installed SDK clients (``beta`` included), finds each
public method that posts a prompt to a model (it takes ``model`` and
``messages`` or ``input``), reads the path it posts to, and fails when a path
is neither logged nor listed below as deliberately not logged. A new SDK
release that adds a model endpoint fails here, not in a user's report. The
``with_raw_response`` / ``with_streaming_response`` forms call these same
methods, so they are covered with them (tests/test_hook_paths.py runs them).
"""

from __future__ import annotations

import functools
import inspect
import re
from collections.abc import Iterator
from typing import Any

import anthropic
import openai
import pytest

from logmoji.llm.instrumentation.providers import anthropic as _anthropic
from logmoji.llm.instrumentation.providers import openai as _openai

#: Model endpoints not logged on purpose, with the reason.
NOT_LOGGED: dict[str, str] = {
    "/v1/messages/count_tokens": "counts tokens; no model runs and nothing is billed",
    "/responses/input_tokens": "counts tokens; no model runs and nothing is billed",
    "/moderations": "a classifier with no token usage in its response",
    "/audio/speech": "returns audio bytes; usage is not reported in tokens",
    "/completions": "the legacy completions API",
    "/realtime/client_secrets": "mints a session key; the model runs over a websocket",
    "/realtime/sessions": "mints a session key; the model runs over a websocket",
    "/realtime/transcription_sessions": "mints a session key; the model runs over a websocket",
    "/realtime/translations/client_secrets": "mints a session key; the model runs elsewhere",
    "/images/generations": "image generation: priced per image, not in tokens",
    "/images/edits": "image generation: priced per image, not in tokens",
    "/videos": "video generation: priced per second, not in tokens",
    "/videos/edits": "video generation: priced per second, not in tokens",
    "/audio/transcriptions": "speech to text: takes a file, priced per minute",
    "/audio/translations": "speech to text: takes a file, priced per minute",
}
_POST = re.compile(r"self\._post\(\s*(?:path_template\(\s*)?f?\"([^\"]+)\"")
_PROMPT_PARAMS = frozenset({"messages", "input"})


def _resources(obj: Any, seen: set[int]) -> Iterator[tuple[str, Any]]:
    """Yield ``(dotted name, resource)`` for every resource reachable from ``obj``."""
    for name in dir(type(obj)):
        if name.startswith("_") or name in ("with_raw_response", "with_streaming_response"):
            continue
        if not isinstance(getattr(type(obj), name, None), functools.cached_property):
            continue
        try:
            child = getattr(obj, name)
        except Exception:  # a resource that needs an optional dependency
            continue
        names = {cls.__name__ for cls in type(child).__mro__}
        if not names & {"SyncAPIResource", "AsyncAPIResource"} or id(child) in seen:
            continue
        seen.add(id(child))
        yield name, child
        for sub, grandchild in _resources(child, seen):
            yield f"{name}.{sub}", grandchild


def model_paths(client: Any) -> dict[str, list[str]]:
    """Return each path a model-request method posts to, with the methods that do."""
    found: dict[str, list[str]] = {}
    for where, resource in _resources(client, set()):
        for name, method in inspect.getmembers(type(resource), inspect.isfunction):
            if name.startswith("_"):
                continue
            params = set(inspect.signature(method).parameters)
            if "model" not in params or not params & _PROMPT_PARAMS:
                continue
            for path in _POST.findall(inspect.getsource(method)):
                found.setdefault(path.partition("?")[0], []).append(f"{where}.{name}")
    return found


CLIENTS = [
    pytest.param(lambda: openai.OpenAI(api_key="k"), _openai.ROUTES, id="openai"),
    pytest.param(lambda: openai.AsyncOpenAI(api_key="k"), _openai.ROUTES, id="async-openai"),
    pytest.param(lambda: anthropic.Anthropic(api_key="k"), _anthropic.ROUTES, id="anthropic"),
    pytest.param(
        lambda: anthropic.AsyncAnthropic(api_key="k"), _anthropic.ROUTES, id="async-anthropic"
    ),
]


@pytest.mark.parametrize(("make", "routes"), CLIENTS)
def test_every_model_path_is_logged(make: Any, routes: dict[str, Any]) -> None:
    """Each model-request path of the installed SDK is logged or deliberately left out."""
    paths = model_paths(make())
    uncovered = {
        path: methods
        for path, methods in paths.items()
        if path not in routes and path not in NOT_LOGGED
    }
    assert uncovered == {}, f"model requests that would go unlogged: {uncovered}"


@pytest.mark.parametrize(("make", "routes"), CLIENTS)
def test_the_walk_finds_the_known_methods(make: Any, routes: dict[str, Any]) -> None:
    """The walk sees the logged paths through their public and beta methods (so it can fail)."""
    paths = model_paths(make())
    for path in routes:
        assert path in paths, f"{path} not found: the walk is broken"
    methods = {method for found in paths.values() for method in found}
    if isinstance(make(), openai.OpenAI | openai.AsyncOpenAI):
        assert {"chat.completions.create", "responses.create", "embeddings.create"} <= methods
    else:
        assert {"messages.create", "beta.messages.create", "beta.messages.parse"} <= methods


#: Gemini model methods not logged on purpose, with the reason.
GOOGLE_NOT_LOGGED: dict[str, str] = {
    "countTokens": "counts tokens; no model runs and nothing is billed",
    "computeTokens": "counts tokens; no model runs and nothing is billed",
    "predict": "image generation and editing: priced per image, not in tokens",
    "predictLongRunning": "video generation: priced per second, not in tokens",
}


def test_every_gemini_model_method_is_logged() -> None:
    """Each ``{model}:method`` google-genai posts to is logged or left out on purpose."""
    from google.genai import models

    from logmoji.llm.instrumentation.providers import google as _google

    verbs = set(re.findall(r"'\{model\}:(\w+)", inspect.getsource(models)))
    assert {"generateContent", "streamGenerateContent", "embedContent"} <= verbs  # the walk works
    uncovered = verbs - set(_google.VERBS) - set(GOOGLE_NOT_LOGGED)
    assert uncovered == set(), f"Gemini model requests that would go unlogged: {uncovered}"
