"""Write a request's captured content in the OpenTelemetry GenAI conventions' JSON shape.

Only under content capture. Each function reads one wire format's JSON body
and returns the span attributes ``gen_ai.input.messages`` (``[{"role",
"parts": [...]}]`` with ``text``, ``tool_call`` and ``tool_call_response``
parts), ``gen_ai.system_instructions`` (``[{"type": "text", "content"}]``) and
``gen_ai.tool.definitions`` (``[{"type": "function", "name", "description",
"parameters"}]``) as JSON text, secrets masked.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import orjson

from logmoji.llm.tokens import iter_text
from logmoji.logger._pipeline import text_masker

__all__ = ["chat_content", "messages_content", "responses_content"]

Part = dict[str, object]
Message = dict[str, object]


def _text(content: object) -> str:
    return content if isinstance(content, str) else "".join(iter_text(content))


def _text_parts(content: object) -> list[Part]:
    text = _text(content)
    return [{"type": "text", "content": text}] if text else []


def _dump(value: object) -> str:
    text = orjson.dumps(value, default=str).decode()
    masker = text_masker()
    return masker.mask(text) if masker is not None else text


def _attributes(messages: list[Message], system: list[Part], tools: list[Part]) -> dict[str, str]:
    out = {"gen_ai.input.messages": _dump(messages)}
    if system:
        out["gen_ai.system_instructions"] = _dump(system)
    if tools:
        out["gen_ai.tool.definitions"] = _dump(tools)
    return out


def _tool(name: object, description: object, parameters: object) -> Part:
    tool: Part = {"type": "function", "name": name}
    if description is not None:
        tool["description"] = description
    if parameters is not None:
        tool["parameters"] = parameters
    return tool


def _list(value: object) -> list[Any]:
    return list(value) if isinstance(value, list | tuple) else []


def chat_content(body: Mapping[str, Any]) -> dict[str, str]:
    """Return the content attributes of a Chat Completions request."""
    messages: list[Message] = []
    system: list[Part] = []
    for item in _list(body.get("messages")):
        if not isinstance(item, Mapping):
            continue
        role = item.get("role")
        content = item.get("content")
        if role in ("system", "developer"):
            system.extend(_text_parts(content))
            continue
        if role == "tool":
            part: Part = {"type": "tool_call_response", "response": _text(content)}
            if item.get("tool_call_id") is not None:
                part["id"] = item.get("tool_call_id")
            messages.append({"role": "tool", "parts": [part]})
            continue
        parts = _text_parts(content)
        for call in _list(item.get("tool_calls")):
            function = call.get("function") if isinstance(call, Mapping) else None
            if isinstance(function, Mapping):
                parts.append(
                    {
                        "type": "tool_call",
                        "id": call.get("id"),
                        "name": function.get("name"),
                        "arguments": function.get("arguments"),
                    }
                )
        messages.append({"role": role, "parts": parts})
    tools = [
        _tool(f.get("name"), f.get("description"), f.get("parameters"))
        for t in _list(body.get("tools"))
        if isinstance(t, Mapping) and isinstance(f := t.get("function"), Mapping)
    ]
    return _attributes(messages, system, tools)


def responses_content(body: Mapping[str, Any]) -> dict[str, str]:
    """Return the content attributes of a Responses request."""
    messages: list[Message] = []
    system = _text_parts(body.get("instructions"))
    given = body.get("input")
    items = [{"role": "user", "content": given}] if isinstance(given, str) else _list(given)
    for item in items:
        if not isinstance(item, Mapping):
            continue
        kind = item.get("type")
        if kind == "function_call":
            part: Part = {
                "type": "tool_call",
                "id": item.get("call_id"),
                "name": item.get("name"),
                "arguments": item.get("arguments"),
            }
            messages.append({"role": "assistant", "parts": [part]})
        elif kind == "function_call_output":
            part = {
                "type": "tool_call_response",
                "id": item.get("call_id"),
                "response": _text(item.get("output")),
            }
            messages.append({"role": "tool", "parts": [part]})
        elif item.get("role") in ("system", "developer"):
            system.extend(_text_parts(item.get("content")))
        elif "role" in item:
            messages.append({"role": item.get("role"), "parts": _text_parts(item.get("content"))})
    tools = [
        _tool(t.get("name"), t.get("description"), t.get("parameters"))
        for t in _list(body.get("tools"))
        if isinstance(t, Mapping) and t.get("type") == "function"
    ]
    return _attributes(messages, system, tools)


def _block_parts(content: object) -> list[Part]:
    if isinstance(content, str):
        return _text_parts(content)
    parts: list[Part] = []
    for block in _list(content):
        if not isinstance(block, Mapping):
            continue
        kind = block.get("type")
        if kind == "tool_use":
            parts.append(
                {
                    "type": "tool_call",
                    "id": block.get("id"),
                    "name": block.get("name"),
                    "arguments": block.get("input"),
                }
            )
        elif kind == "tool_result":
            parts.append(
                {
                    "type": "tool_call_response",
                    "id": block.get("tool_use_id"),
                    "response": _text(block.get("content")),
                }
            )
        else:
            parts.extend(_text_parts(block))
    return parts


def messages_content(body: Mapping[str, Any]) -> dict[str, str]:
    """Return the content attributes of an Anthropic Messages request."""
    messages: list[Message] = []
    for item in _list(body.get("messages")):
        if isinstance(item, Mapping):
            messages.append({"role": item.get("role"), "parts": _block_parts(item.get("content"))})
    system = _block_parts(body.get("system"))
    tools = [
        _tool(t.get("name"), t.get("description"), t.get("input_schema"))
        for t in _list(body.get("tools"))
        if isinstance(t, Mapping) and "name" in t
    ]
    return _attributes(messages, system, tools)
