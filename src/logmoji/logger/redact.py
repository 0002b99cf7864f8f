"""Secret masking, in two processors that run on every event.

:class:`SecretFieldMasker` runs before the renderer: it masks the values of
sensitive field names (``api_key``, ``password``, ``authorization``...) at any
depth of nested dicts and lists. :class:`SecretTextMasker` runs after the
renderer, on the finished line: it masks secrets that appear anywhere in text
(field values, exception messages, tracebacks, reprs of objects): OpenAI and
Anthropic keys, bearer and basic credentials, ``Authorization`` / ``x-api-key``
headers, AWS access keys, GitHub, Slack and Google tokens, JWTs, passwords in
URLs and ``password=...`` pairs. Masking the rendered line means no value can
hide a secret from it, whatever its type.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, MutableMapping
from typing import Any

__all__ = ["MASK", "SECRET_PATTERNS", "SENSITIVE_FIELDS", "SecretFieldMasker", "SecretTextMasker"]

MASK = "[REDACTED]"

#: Field names (compared lower-case, with ``-`` as ``_``) whose values are always masked.
SENSITIVE_FIELDS: frozenset[str] = frozenset({
    "api_key", "apikey", "x_api_key", "api_token", "access_token", "refresh_token", "id_token",
    "auth_token", "token", "secret", "client_secret", "secret_key", "password", "passwd", "pwd",
    "passphrase", "authorization", "proxy_authorization", "cookie", "set_cookie",
    "private_key", "aws_secret_access_key", "aws_session_token", "session_token",
    "x_goog_api_key", "openai_api_key", "anthropic_api_key", "bearer", "credentials",
})
_SENSITIVE_SUFFIXES = ("_api_key", "_apikey", "_password", "_passwd", "_secret", "_token",
                       "_secret_key", "_private_key", "_credentials")
# Names that end like a secret but hold counts or settings, not secrets.
_NOT_SENSITIVE_SUFFIXES = ("_tokens", "_max_token", "_token_count", "_token_limit")

_SEP = r"""["']?\s*[:=]\s*["']?"""
_VALUE_END = r"""[^\s"',;\\&}\])]"""

#: (kind, regex) pairs; a match is replaced by ``[REDACTED:<kind>]`` (or keeps its
#: leading name when the regex has a ``keep`` group).
SECRET_PATTERNS: tuple[tuple[str, str], ...] = (
    ("anthropic_key", r"sk-ant-[A-Za-z0-9_\-]{8,}"),
    ("openai_key", r"\bsk-(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{16,}"),
    ("aws_access_key", r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA|ANPA|ANVA|AIPA)[A-Z0-9]{16}\b"),
    ("github_token", r"\b(?:gh[pousr]_[A-Za-z0-9]{30,}|github_pat_[A-Za-z0-9_]{22,})"),
    ("google_api_key", r"\bAIza[0-9A-Za-z_\-]{30,}"),
    ("slack_token", r"\bxox[abprs]-[A-Za-z0-9\-]{10,}"),
    ("jwt", r"\beyJ[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{8,}\.[A-Za-z0-9_\-]{4,}"),
    ("credential",
     r"(?i)(?P<keep>\b(?:proxy[_-]?)?authorization" + _SEP + r"|\bx[_-]api[_-]key" + _SEP +
     r"|\b(?:bearer|basic)\s+)(?!\[REDACTED)(?:(?:bearer|basic|token)\s+)?" + _VALUE_END + r"+"),
    ("secret",
     r"(?i)(?P<keep>\b[\w-]*?(?:password|passwd|secret|api[_-]?key|apikey|access[_-]?token|"
     r"refresh[_-]?token|auth[_-]?token|session[_-]?token|private[_-]?key)" + _SEP + r")"
     r"(?!\[REDACTED)" + _VALUE_END + r"+"),
    ("url_password", r"(?P<keep>\b[a-z][a-z0-9+.\-]*://[^\s:/@\"']+:)[^\s@/\"'\\]+(?=@)"),
)


def _is_sensitive(name: str, extra: frozenset[str]) -> bool:
    key = name.lower().replace("-", "_")
    if key in SENSITIVE_FIELDS or key in extra:
        return True
    if key.endswith(_NOT_SENSITIVE_SUFFIXES):
        return False
    return key.endswith(_SENSITIVE_SUFFIXES)


class SecretFieldMasker:
    """Mask the values of sensitive field names, at any depth; a processor.

    Args:
        extra_fields: More field names to mask (compared lower-case).
    """

    def __init__(self, extra_fields: Iterable[str] = ()) -> None:
        self._extra = frozenset(f.lower().replace("-", "_") for f in extra_fields)
        self._verdicts: dict[str, bool] = {}

    def is_sensitive(self, name: object) -> bool:
        """Return whether values of the field ``name`` are masked."""
        if type(name) is not str:
            return False
        verdict = self._verdicts.get(name)
        if verdict is None:
            verdict = _is_sensitive(name, self._extra)
            if len(self._verdicts) < 4096:
                self._verdicts[name] = verdict
        return verdict

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any],
                 ) -> MutableMapping[str, Any]:
        verdicts = self._verdicts
        for key, value in event_dict.items():
            sensitive = verdicts.get(key)
            if sensitive is None:
                sensitive = self.is_sensitive(key)
            if sensitive:
                if value is not None:
                    event_dict[key] = MASK
            elif type(value) in (dict, list, tuple):
                event_dict[key] = self._mask_nested(value, 0, set())
        return event_dict

    def _mask_nested(self, value: Any, depth: int, seen: set[int]) -> Any:
        if depth > 32 or id(value) in seen:
            return value
        seen.add(id(value))
        cls = type(value)
        if cls is dict:
            return {
                k: (MASK if v is not None and self.is_sensitive(k)
                    else self._mask_nested(v, depth + 1, seen))
                for k, v in list(value.items())
            }
        if cls is list or cls is tuple:
            return cls(self._mask_nested(v, depth + 1, seen) for v in value)
        return value


class SecretTextMasker:
    """Mask secrets in a rendered line (``str`` or ``bytes``); a processor after the renderer.

    Args:
        extra_patterns: More compiled regular expressions; their matches become ``[REDACTED]``.
    """

    def __init__(self, extra_patterns: Iterable[re.Pattern[str]] = ()) -> None:
        self._patterns = [(kind, re.compile(p)) for kind, p in SECRET_PATTERNS]
        self._patterns += [("custom", p) for p in extra_patterns]
        # One alternation finds whether anything is to be masked; most lines have
        # nothing, and then the line is searched once. It may match more than the
        # patterns themselves (it ignores case throughout), never less.
        alternatives = "|".join(
            "(?:" + p.pattern.replace("(?i)", "").replace("(?P<keep>", "(?:") + ")"
            for _, p in self._patterns
        )
        try:
            self._any: re.Pattern[str] | None = re.compile(alternatives, re.IGNORECASE)
        except re.error:  # a custom pattern that does not combine: search each one
            self._any = None

    def mask(self, text: str) -> str:
        """Return ``text`` with every secret masked."""
        if self._any is not None and not self._any.search(text):
            return text
        for kind, pattern in self._patterns:
            text = pattern.sub(_replacer(kind), text)
        return text

    def __call__(self, logger: Any, method_name: str, line: Any) -> Any:
        if type(line) is bytes:
            text = line.decode("utf-8", "surrogateescape")
            masked = self.mask(text)
            return line if masked is text else masked.encode("utf-8", "surrogateescape")
        if type(line) is str:
            return self.mask(line)
        return line


def _replacer(kind: str) -> Any:
    label = MASK if kind == "custom" else f"[REDACTED:{kind}]"

    def replace(match: re.Match[str]) -> str:
        keep = match.groupdict().get("keep")
        return f"{keep}{label}" if keep else label

    return replace
