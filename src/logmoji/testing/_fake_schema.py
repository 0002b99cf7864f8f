"""Answer structured-output requests with JSON that fits the requested schema.

A Chat Completions request with ``response_format={"type": "json_schema", ...}``,
a Responses request with ``text={"format": {"type": "json_schema", ...}}``, an
Anthropic Messages request with ``output_config={"format": {"type":
"json_schema", ...}}`` (what the SDKs' ``parse()`` helpers send for a pydantic
model), or a Gemini request with ``generationConfig={"responseMimeType":
"application/json", "responseJsonSchema"|"responseSchema": ...}`` gets, instead of
words, the smallest deterministic JSON document the schema accepts: every
property present, the first ``enum``/``const`` value, the first non-null
alternative of ``anyOf``/``oneOf``, one item per array, ``"text"``, ``1``,
``1.0`` and ``true`` for plain strings, integers, numbers and booleans, with
``$ref`` resolved against ``$defs``. The reply is cut into four-character
chunks, one token each, so usage and streaming work as for any reply.
"""

from __future__ import annotations

from typing import Any

import orjson

from ._fake_text import JSON

__all__ = ["requested_schema", "sample", "schema_chunks"]

_CHUNK_CHARS = 4
_MAX_DEPTH = 32
_SCALARS: dict[str, object] = {
    "string": "text",
    "integer": 1,
    "number": 1.0,
    "boolean": True,
    "null": None,
}


def requested_schema(endpoint: str, body: JSON) -> JSON | None:
    """Return the JSON schema a request asks its reply to follow, or ``None``."""
    if endpoint == "chat":
        fmt = body.get("response_format")
        spec = fmt.get("json_schema") if isinstance(fmt, dict) else None
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema" and isinstance(spec, dict):
            schema = spec.get("schema")
            return schema if isinstance(schema, dict) else {}
        return None
    if endpoint == "gemini":
        config = body.get("generationConfig")
        if not isinstance(config, dict) or config.get("responseMimeType") != "application/json":
            return None
        schema = config.get("responseJsonSchema", config.get("responseSchema"))
        return schema if isinstance(schema, dict) else {}
    if endpoint in ("responses", "messages"):
        holder = body.get("text" if endpoint == "responses" else "output_config")
        fmt = holder.get("format") if isinstance(holder, dict) else None
        if isinstance(fmt, dict) and fmt.get("type") == "json_schema":
            schema = fmt.get("schema")
            return schema if isinstance(schema, dict) else {}
    return None


def sample(schema: object, defs: JSON | None = None, depth: int = 0) -> Any:
    """Return the smallest JSON value ``schema`` accepts (see the module docstring)."""
    if not isinstance(schema, dict) or depth > _MAX_DEPTH:
        return None
    if defs is None:
        defs = {**schema.get("definitions", {}), **schema.get("$defs", {})}
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return sample(defs.get(ref.rsplit("/", 1)[-1]), defs, depth + 1)
    if "const" in schema:
        return schema["const"]
    if isinstance(schema.get("enum"), list) and schema["enum"]:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        options = schema.get(key)
        if isinstance(options, list) and options:
            usable = [o for o in options if not (isinstance(o, dict) and o.get("type") == "null")]
            return sample((usable or options)[0], defs, depth + 1)
    kind = schema.get("type")
    if isinstance(kind, str):
        kind = kind.lower()  # Gemini's ``Schema`` spells types in capitals: "OBJECT"
    if isinstance(kind, list):
        kind = next((k for k in kind if k != "null"), "null")
    if kind == "object" or "properties" in schema:
        properties = schema.get("properties")
        if not isinstance(properties, dict):
            return {}
        return {name: sample(sub, defs, depth + 1) for name, sub in properties.items()}
    if kind == "array":
        return [sample(schema.get("items"), defs, depth + 1)]
    return _SCALARS.get(kind) if isinstance(kind, str) else None


def schema_chunks(schema: JSON) -> tuple[str, ...]:
    """Return the reply for ``schema`` as JSON text in chunks of four characters."""
    text = orjson.dumps(sample(schema)).decode()
    return tuple(text[i : i + _CHUNK_CHARS] for i in range(0, len(text), _CHUNK_CHARS))
