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
The field names and patterns themselves are in :mod:`logmoji.logger._secrets`.

Scanning every line costs more than the rest of a log call, and most lines
hold no secret. :class:`MaskedRenderer` (in the built-in renderers' place)
first screens the event's parts: when every string in it is known to hold none
of the patterns' trigger words, the line, made only of those parts, needs no
scan. Strings seen before are known at the cost of a set lookup.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping, MutableMapping
from typing import Any

from logmoji.logger._secrets import SECRET_PATTERNS, SENSITIVE_FIELDS
from logmoji.logger._secrets import TOKEN_KEY as _TOKEN_KEY
from logmoji.logger._secrets import is_sensitive_name as _is_sensitive

__all__ = [
    "MASK",
    "SECRET_PATTERNS",
    "SENSITIVE_FIELDS",
    "MaskedRenderer",
    "SecretFieldMasker",
    "SecretTextMasker",
]

MASK = "[REDACTED]"

# Values the built-in renderers write as digits and words (1.5e-05, True, None, nan).
_SCALARS = frozenset({int, float, bool, type(None)})
_MAX_KNOWN = 4096  # clean strings remembered; then forgotten all at once
_MAX_KNOWN_CHARS = 256  # longer strings are checked every time, not remembered

_CONTAINERS = frozenset({dict, list, tuple})
# Values with nothing inside to mask by name; any other value may be a mapping.
_LEAVES = frozenset({str, int, float, bool, type(None), bytes})
# Deeper values are cut (the JSON renderer cuts at the same depth).
_MAX_DEPTH = 32


class SecretFieldMasker:
    """Mask the values of sensitive field names, at any depth; a processor.

    Args:
        extra_fields: More field names to mask (compared lower-case).
    """

    def __init__(self, extra_fields: Iterable[str] = ()) -> None:
        self._extra = frozenset(f.lower().replace("-", "_") for f in extra_fields)
        self._verdicts: dict[str, bool] = {}
        self._safe_keys: set[str] = set()

    def is_sensitive(self, name: object) -> bool:
        """Return whether values of the field ``name`` are masked."""
        if type(name) is not str:
            if type(name) is not bytes:  # raw HTTP header names come as bytes
                return False
            name = name.decode("latin-1")
        verdict = self._verdicts.get(name)
        if verdict is None:
            verdict = _is_sensitive(name, self._extra)
            if len(self._verdicts) < 4096:
                self._verdicts[name] = verdict
                if not verdict:
                    self._safe_keys.add(name)
        return verdict

    def __call__(
        self,
        logger: Any,
        method_name: str,
        event_dict: MutableMapping[str, Any],
    ) -> MutableMapping[str, Any]:
        # Fast path, in C: every key already known to be harmless and every value a leaf.
        if event_dict.keys() <= self._safe_keys and _LEAVES.issuperset(
            map(type, event_dict.values())
        ):
            return event_dict
        for key, value in event_dict.items():
            if self.is_sensitive(key):
                if value is not None:
                    event_dict[key] = MASK
            elif type(value) not in _LEAVES:
                event_dict[key] = self._mask_nested(value, 0, {})
        return event_dict

    def _mask_nested(self, value: Any, depth: int, done: dict[int, Any]) -> Any:
        cls = type(value)
        if cls is not dict and cls is not list and cls is not tuple:
            if cls in _LEAVES or not isinstance(value, Mapping):
                return value
            # An OrderedDict, a defaultdict, an SDK's headers object: masked as a plain dict.
            try:
                value = dict(value.items())
            except Exception:  # unreadable: its repr is still text-masked
                return value
            cls = dict
        # A container met twice (shared, or a cycle) gets the same masked copy: the
        # original must never reach the renderer, where its secrets would show.
        if id(value) in done:
            return done[id(value)]
        if depth > _MAX_DEPTH:
            return f"<{cls.__name__} cut: too deep>"
        if cls is dict:
            masked: dict[Any, Any] = {}
            done[id(value)] = masked
            for k, v in list(value.items()):
                masked[k] = (
                    MASK
                    if v is not None and self.is_sensitive(k)
                    else self._mask_nested(v, depth + 1, done)
                )
            return masked
        # Header lists such as [("Authorization", "Bearer ...")] hold name-value pairs.
        if len(value) == 2 and value[1] is not None and self.is_sensitive(value[0]):
            return cls((value[0], MASK))
        if cls is list:
            items: list[Any] = []
            done[id(value)] = items
            items.extend(self._mask_nested(v, depth + 1, done) for v in list(value))
            return items
        done[id(value)] = f"<{cls.__name__} cut: cycle>"  # a tuple exists only once built
        masked_tuple = tuple(self._mask_nested(v, depth + 1, done) for v in value)
        done[id(value)] = masked_tuple
        return masked_tuple


class SecretTextMasker:
    """Mask secrets in a rendered line (``str`` or ``bytes``); a processor after the renderer.

    Args:
        extra_patterns: More compiled regular expressions; their matches become ``[REDACTED]``.
    """

    def __init__(self, extra_patterns: Iterable[re.Pattern[str]] = ()) -> None:
        self._patterns: list[tuple[str, re.Pattern[str], tuple[str, ...], bool]] = [
            (kind, re.compile(p), triggers, lower) for kind, p, triggers, lower in SECRET_PATTERNS
        ]
        self._custom = [("custom", p) for p in extra_patterns]
        self._triggers = tuple({t for _, _, ts, lower in self._patterns if not lower for t in ts})
        self._lower_triggers = tuple(
            {t for _, _, ts, lower in self._patterns if lower for t in ts if t != "token"}
        )
        self._clean: set[str] = set()

    def may_hold_secret(self, text: str) -> bool:
        """Return whether a pattern could match ``text``, or a line holding it as a part.

        ``False`` is certain: no pattern matches. The checks are substring
        searches, in C: a trigger found, or ``token`` where a secret can follow it.
        """
        if any(map(text.__contains__, self._triggers)):
            return True
        low = text.lower()
        return any(map(low.__contains__, self._lower_triggers)) or (
            "token" in low and _TOKEN_KEY.search(low) is not None
        )

    def mask(self, text: str) -> str:
        """Return ``text`` with every secret masked."""
        if self.may_hold_secret(text):
            for kind, pattern, triggers, lower in self._patterns:
                haystack = text.lower() if lower else text
                if any(map(haystack.__contains__, triggers)):
                    text = pattern.sub(_replacer(kind), text)
        for kind, pattern in self._custom:
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

    def screen(self, logger_name: object, event_dict: Mapping[str, Any]) -> bool:
        """Return whether a built-in renderer's line for ``event_dict`` is certain to need no mask.

        ``True`` only when there are no custom patterns, no traceback to render,
        every key is (or equals) and every value and the logger name is a
        printable ``str`` in which no pattern could start
        (:meth:`may_hold_secret`), or a value is an ``int``, ``float``, ``bool``
        or ``None``. See :class:`MaskedRenderer` for why the
        line then holds no secret either.
        """
        if self._custom or "exc_info" in event_dict:
            return False
        clean, learn = self._clean, self._learn
        if logger_name not in clean and logger_name is not None and not learn(logger_name):
            return False
        # The keys first, in C: usually every one is known. A key equal to a known-clean
        # string renders as its text: orjson writes a str subclass's text, and the console
        # formats it with str.__format__ unless the subclass overrides that to write
        # something else, which is beyond what screening guards against.
        if not event_dict.keys() <= clean:
            for key in event_dict:
                if type(key) is not str or (key not in clean and not learn(key)):
                    return False
        scalars = _SCALARS
        for value in event_dict.values():
            kind = type(value)
            if kind is str:
                if value not in clean and not learn(value):
                    return False
            elif kind not in scalars:
                return False
        return True

    def _learn(self, part: object) -> bool:
        """Return whether ``part`` is a printable string no pattern could start in; remember it."""
        if type(part) is not str or not part.isprintable() or self.may_hold_secret(part):
            return False
        if len(part) <= _MAX_KNOWN_CHARS:
            if len(self._clean) >= _MAX_KNOWN:
                self._clean.clear()
            self._clean.add(part)
        return True


class MaskedRenderer:
    """Render an event and mask the line, scanning it only if a part could hold a secret.

    Stands in the renderer's place (the renderer's line, masked, is what it
    returns). The line is scanned by :class:`SecretTextMasker` unless
    :meth:`SecretTextMasker.screen` clears the event first. That is sound for
    renderers that build a line from the logger name, event, keys and values
    alone, separated by characters no trigger contains (spaces, ``=``, quotes,
    colons, commas, brackets, ANSI colour codes), beside a timestamp and level
    in which no trigger occurs; that write a printable string as it is, quoted,
    backslash-escaped or cut with a marker; and scalars as digits and words.
    Then every trigger in the line lies within one part, so a line whose
    parts hold none needs no mask. logmoji's :class:`~logmoji.logger.render.ConsoleRenderer`
    and :class:`~logmoji.logger.render.JSONRenderer` are such renderers.

    Args:
        renderer: The renderer, one that builds its lines as above.
        masker: The masker for the rendered line.
    """

    __slots__ = ("_render", "_screen", "masker")

    def __init__(self, renderer: Callable[[Any, str, Any], Any], masker: SecretTextMasker) -> None:
        self._render = renderer
        self._screen = masker.screen
        self.masker = masker

    def __call__(self, logger: Any, method_name: str, event_dict: MutableMapping[str, Any]) -> Any:
        clean = self._screen(getattr(logger, "name", None), event_dict)
        line = self._render(logger, method_name, event_dict)
        return line if clean else self.masker(logger, method_name, line)


# A key closing a JSON object key, with the value unquoted after it, and such a value.
_JSON_KEY_END = re.compile(r"""(?<!\\)"\s*:\s*\Z""")
_JSON_NON_STRING = re.compile(
    r"(?:-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?|true|false|null)(?![\w.])|[\[{]"
)


def _replacer(kind: str) -> Any:
    label = MASK if kind == "custom" else f"[REDACTED:{kind}]"

    def replace(match: re.Match[str]) -> str:
        keep = match.groupdict().get("keep")
        if not keep:
            return label
        # '"secret_count": 3' in a JSON line: a number, literal, list or object, which
        # masking would turn into invalid JSON. A secret there is a string, or sits under
        # a secret field name and was masked before rendering.
        if _JSON_KEY_END.search(keep) and _JSON_NON_STRING.match(match.group(0), len(keep)):
            return match.group(0)
        return f"{keep}{label}"

    return replace
