"""Decide when the fake LLM provider answers with tool calls, and build them.

A request that offers function tools (Chat Completions ``tools=[{"type":
"function", "function": {...}}]``, Responses ``tools=[{"type": "function",
"name": ..., "parameters": ...}]``, Anthropic Messages ``tools=[{"name": ...,
"input_schema": ...}]``) is answered with tool calls instead of words:

* to the first offered tool, or to the tool ``tool_choice`` names (Chat
  ``{"type": "function", "function": {"name": ...}}``, Responses ``{"type":
  "function", "name": ...}``, Anthropic ``{"type": "tool", "name": ...}``); a
  name that is not offered is a 400;
* not at all with ``tool_choice="none"`` (Anthropic ``{"type": "none"}``), nor
  once the conversation ends with a tool result (Chat role ``"tool"``, a
  Responses ``function_call_output`` item, an Anthropic ``tool_result``
  block), so an agent loop gets its text answer and stops. A forced choice
  (``"required"``, Anthropic ``{"type": "any"}``, or a named tool) still calls
  after a tool result: the named tool, or the first offered tool the
  conversation has not called yet (the first offered one if all were called);
* ``count`` calls at once (the ``x-fake-tool-calls`` header or the provider's
  ``tool_calls`` option; ``0`` answers with words), to the offered tools in
  turn, or one call when the request disables parallel calls
  (``parallel_tool_calls=False``, Anthropic ``disable_parallel_tool_use``).

The arguments are the smallest JSON object the tool's parameter schema accepts
(:func:`logmoji.testing._fake_schema.sample`), streamed in four-character
fragments. Ids are derived from the request's token: ``call_<hex>`` (Chat, and
the Responses ``call_id``), ``fc_<hex>`` (the Responses item id) and
``toolu_01<hex>`` (Anthropic).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Literal

import orjson

from ._fake_schema import sample
from ._fake_text import JSON

__all__ = ["ToolCall", "plan_tool_calls"]

_CHUNK_CHARS = 4

Mode = Literal["auto", "none", "required"]


@dataclass(frozen=True, slots=True)
class ToolCall:
    """Hold one tool call of a fake reply: its id key, tool name and JSON arguments."""

    key: str
    name: str
    arguments: str

    @property
    def input(self) -> JSON:
        """Return the arguments as an object, as Anthropic's ``tool_use.input`` carries them."""
        value: JSON = orjson.loads(self.arguments)
        return value

    @property
    def chunks(self) -> tuple[str, ...]:
        """Return the arguments in fragments of four characters, as they are streamed."""
        text = self.arguments
        return tuple(text[i : i + _CHUNK_CHARS] for i in range(0, len(text), _CHUNK_CHARS))

    @property
    def tokens(self) -> int:
        """Return the output tokens the call costs: one for the name, one per fragment."""
        return 1 + len(self.chunks)


@dataclass(frozen=True, slots=True)
class _Choice:
    mode: Mode
    name: str | None
    parallel: bool


def offered_tools(endpoint: str, body: JSON) -> list[tuple[str, object]]:
    """Return the ``(name, parameter schema)`` of each function tool a request offers."""
    tools = body.get("tools")
    if not isinstance(tools, list):
        return []
    offered: list[tuple[str, object]] = []
    for tool in tools:
        if not isinstance(tool, dict):
            continue
        if endpoint == "chat":
            spec = tool.get("function")
            if tool.get("type") == "function" and isinstance(spec, dict):
                offered.append((str(spec.get("name", "")), spec.get("parameters")))
        elif endpoint == "responses":
            if tool.get("type") == "function":
                offered.append((str(tool.get("name", "")), tool.get("parameters")))
        elif "input_schema" in tool and tool.get("type") in (None, "custom"):
            offered.append((str(tool.get("name", "")), tool["input_schema"]))
    return offered


def _choice(endpoint: str, body: JSON) -> _Choice:
    """Read ``tool_choice`` and the parallel-calls switch into one shape."""
    choice: Any = body.get("tool_choice")
    parallel = body.get("parallel_tool_calls") is not False
    if endpoint == "messages":
        if not isinstance(choice, dict):
            return _Choice("auto", None, parallel=True)
        parallel = choice.get("disable_parallel_tool_use") is not True
        kind = choice.get("type")
        if kind == "tool":
            return _Choice("required", str(choice.get("name")), parallel)
        modes: dict[object, Mode] = {"none": "none", "any": "required"}
        return _Choice(modes.get(kind, "auto"), None, parallel)
    if choice in ("none", "required"):
        return _Choice(choice, None, parallel)
    if isinstance(choice, dict) and choice.get("type") == "function":
        holder = choice.get("function") if endpoint == "chat" else choice
        name = holder.get("name") if isinstance(holder, dict) else None
        return _Choice("required", str(name), parallel)
    return _Choice("auto", None, parallel)


def _history(endpoint: str, body: JSON) -> tuple[bool, set[str]]:
    """Return whether the conversation ends with a tool result, and the tools it called."""
    items = body.get("input" if endpoint == "responses" else "messages")
    if not isinstance(items, list) or not items:
        return False, set()
    called: set[str] = set()
    for item in items:
        if not isinstance(item, dict):
            continue
        if endpoint == "chat":
            for call in item.get("tool_calls") or ():
                function = call.get("function") if isinstance(call, dict) else None
                if isinstance(function, dict):
                    called.add(str(function.get("name")))
        elif endpoint == "responses":
            if item.get("type") == "function_call":
                called.add(str(item.get("name")))
        elif item.get("role") == "assistant" and isinstance(item.get("content"), list):
            called.update(
                str(block.get("name"))
                for block in item["content"]
                if isinstance(block, dict) and block.get("type") == "tool_use"
            )
    last = items[-1] if isinstance(items[-1], dict) else {}
    if endpoint == "chat":
        answered = last.get("role") == "tool"
    elif endpoint == "responses":
        answered = last.get("type") == "function_call_output"
    else:
        content = last.get("content")
        answered = last.get("role") == "user" and any(
            isinstance(block, dict) and block.get("type") == "tool_result"
            for block in (content if isinstance(content, list) else ())
        )
    return answered, called


def _key(token: str, index: int) -> str:
    return hashlib.blake2b(f"{token}:tool:{index}".encode(), digest_size=12).hexdigest()


def plan_tool_calls(endpoint: str, body: JSON, *, token: str, count: int) -> tuple[ToolCall, ...]:
    """Return the tool calls that answer a request, or ``()`` to answer with words.

    Raises:
        ValueError: If ``tool_choice`` names a tool the request does not offer.
    """
    offered = offered_tools(endpoint, body)
    if not offered or count < 1:
        return ()
    choice = _choice(endpoint, body)
    if choice.mode == "none":
        return ()
    if choice.name is not None:
        offered = [tool for tool in offered if tool[0] == choice.name]
        if not offered:
            raise ValueError(f"tool_choice names the tool {choice.name!r}, which is not in tools")
    answered, called = _history(endpoint, body)
    if answered:
        if choice.mode == "auto":
            return ()
        offered = [tool for tool in offered if tool[0] not in called] or offered
    calls: list[ToolCall] = []
    for index in range(count if choice.parallel else 1):
        name, schema = offered[index % len(offered)]
        arguments = sample(schema)
        if not isinstance(arguments, dict):
            arguments = {}
        text = orjson.dumps(arguments).decode()
        calls.append(ToolCall(key=_key(token, index), name=name, arguments=text))
    return tuple(calls)
