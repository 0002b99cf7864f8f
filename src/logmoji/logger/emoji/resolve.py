"""The emoji processor: turn (logger name, event, error fields) into an emoji, cached.

Resolution order for one event:

1. an ``emoji`` field given by the caller is kept as it is;
2. the set: the ``domain`` field, else the event name's first word when it
   names a set (``llm_inference_completed``), else the logger name's first part
   (``llm.openai`` → ``llm``, through each set's aliases; a logger without a
   name, such as structlog's print logger, is named by the ``logger`` field);
   no set → DAS core;
3. an ``error`` / ``error_type`` / ``error_code`` field naming a timeout, a rate
   limit or a context-length overflow selects the set's error emoji (⏰ 🛑 📏);
4. otherwise the set's :meth:`~EmojiSetConfig.get_emoji` (or
   ``get_emoji_in_context`` for sets reading fields such as ``status_code``);
5. nothing found → the level's emoji.

Every result is cached per (logger name, event, level, error category,
domain field[, context]) so a log call pays a dict lookup. A custom set whose
``get_emoji`` raises is replaced by the fallback for that event, and the first
failure is reported on the event in an ``emoji_error`` field.
"""

from __future__ import annotations

from collections.abc import Hashable, Iterable, Mapping, MutableMapping
from typing import Any

from logmoji.logger._text import _LEVEL_OF_METHOD as _METHOD_LEVEL
from logmoji.logger.emoji._builtin import builtin_set, das_set
from logmoji.logger.emoji.das import LEVEL_EMOJIS
from logmoji.logger.emoji.parse import parse_event
from logmoji.logger.emoji.types import EmojiSetConfig

__all__ = ["EmojiResolver", "error_category"]

_ERROR_KEYS = ("error", "error_type", "error_code")
_MAX_CACHE = 8192


def error_category(fields: Mapping[str, Any]) -> str | None:
    """Return "timeout", "rate_limit" or "context_length" if an error field names one."""
    for key in _ERROR_KEYS:
        value = fields.get(key)
        if value is None:
            continue
        if isinstance(value, str):
            text = value.lower()
        elif isinstance(value, BaseException):
            text = type(value).__name__.lower()
        elif isinstance(value, type):
            text = value.__name__.lower()
        else:
            continue
        if (
            "context_length" in text
            or "context length" in text
            or "too long" in text
            or "maximum context" in text
            or "context window" in text
            or "context_window" in text
        ):
            return "context_length"
        if "timeout" in text or "timed out" in text or "timed_out" in text:
            return "timeout"
        if (
            "rate_limit" in text
            or "ratelimit" in text
            or "rate limit" in text
            or "too many requests" in text
            or "rate_limited" in text
        ):
            return "rate_limit"
    return None


class _Contextual:
    """A cache entry for a set whose emoji depends on the event's fields."""

    __slots__ = ("action", "by_context", "emoji_set", "status")

    def __init__(self, emoji_set: EmojiSetConfig, action: str, status: str) -> None:
        self.emoji_set = emoji_set
        self.action = action
        self.status = status
        self.by_context: dict[Hashable, str] = {}


class EmojiResolver:
    """Add an ``emoji`` key to each event; a structlog processor.

    Args:
        sets: The enabled sets, built-in and custom; a later set with the same
            domain replaces an earlier one.
    """

    def __init__(self, sets: Iterable[EmojiSetConfig]) -> None:
        self._sets: dict[str, EmojiSetConfig] = {}
        for emoji_set in sets:
            self._sets[emoji_set.domain] = emoji_set
        self._aliases: dict[str, str] = {}
        for domain, emoji_set in self._sets.items():
            self._aliases[domain] = domain
            for alias in getattr(emoji_set, "aliases", ()):
                self._aliases.setdefault(alias, domain)
        # Only a set's own name (and "db") marks an event name's first word as a domain:
        # aliases such as "api" are too common as ordinary first words.
        self._domains = frozenset(d for d in self._aliases if d in self._sets or d == "db")
        self._cache: dict[tuple[Any, ...], str | _Contextual] = {}
        self._reported: set[int] = set()

    @property
    def domains(self) -> tuple[str, ...]:
        """The domains with an enabled set, sorted."""
        return tuple(sorted(self._sets))

    def __call__(
        self,
        logger: Any,
        method_name: str,
        event_dict: MutableMapping[str, Any],
    ) -> MutableMapping[str, Any]:
        if "emoji" in event_dict:
            return event_dict
        event = event_dict.get("event")
        err = (
            error_category(event_dict)
            if ("error" in event_dict or "error_type" in event_dict or "error_code" in event_dict)
            else None
        )
        domain_field = event_dict.get("domain")
        name = getattr(logger, "name", None)
        if name is None:  # structlog's print logger and others without a name
            name = event_dict.get("logger")
        try:
            key = (name, event, method_name, err, domain_field)
            entry = self._cache.get(key)
        except Exception:  # an unhashable (or hostile __hash__) event or domain: skip the cache
            key = None
            entry = None
        if entry is None:
            entry = self._resolve(
                name=name,
                event=event,
                method_name=method_name,
                err=err,
                domain_field=domain_field,
                event_dict=event_dict,
            )
            if key is not None:
                if len(self._cache) >= _MAX_CACHE:
                    self._cache.clear()
                self._cache[key] = entry
        if type(entry) is str:
            event_dict["emoji"] = entry
        else:
            event_dict["emoji"] = self._in_context(entry, method_name, event_dict)  # type: ignore[arg-type]
        return event_dict

    def emoji_for(
        self, logger_name: str | None, event: str, level: str = "info", **fields: Any
    ) -> str:
        """Return the emoji an event would get; for docs, tests and tools."""

        class _Named:
            name = logger_name

        out = self(_Named(), level, {"event": event, **fields})
        return str(out["emoji"])

    def _set_for(self, name: Any, domain_field: Any, first_word: str | None) -> EmojiSetConfig:
        if isinstance(domain_field, str):
            domain = self._aliases.get(domain_field.lower())
            if domain is not None:
                return self._sets[domain]
        if first_word is not None:
            return self._sets[self._aliases[first_word]]
        if isinstance(name, str) and name:
            domain = self._aliases.get(name.split(".", 1)[0].lower())
            if domain is not None:
                return self._sets[domain]
        return das_set()

    def _resolve(
        self,
        *,
        name: Any,
        event: Any,
        method_name: str,
        err: str | None,
        domain_field: Any,
        event_dict: MutableMapping[str, Any],
    ) -> str | _Contextual:
        text = event if isinstance(event, str) else _safe_str(event)
        parsed = parse_event(text, self._domains)
        emoji_set = self._set_for(name, domain_field, parsed.domain)
        if err is not None:
            emoji = emoji_set.error_emojis.get(err) if hasattr(emoji_set, "error_emojis") else None
            if emoji:
                return emoji
        if type(emoji_set).context_key is not EmojiSetConfig.context_key:
            return _Contextual(emoji_set, parsed.action, parsed.status)
        emoji = self._call_set(emoji_set, parsed.action, parsed.status, None, event_dict)
        return emoji or LEVEL_EMOJIS.get(_METHOD_LEVEL.get(method_name, "info"), "")

    def _in_context(
        self, entry: _Contextual, method_name: str, event_dict: MutableMapping[str, Any]
    ) -> str:
        try:
            context = entry.emoji_set.context_key(event_dict)
            cached = entry.by_context.get(context)
        except Exception:  # a custom set's context_key failed: resolve without context
            context, cached = None, None
        if cached is None:
            cached = self._call_set(
                entry.emoji_set, entry.action, entry.status, context, event_dict
            ) or LEVEL_EMOJIS.get(_METHOD_LEVEL.get(method_name, "info"), "")
            if len(entry.by_context) < 256:
                entry.by_context[context] = cached
        return cached

    def _call_set(
        self,
        emoji_set: EmojiSetConfig,
        action: str,
        status: str,
        context: Hashable,
        event_dict: MutableMapping[str, Any],
    ) -> str:
        try:
            if context is None:
                emoji = emoji_set.get_emoji(action, status)
            else:
                emoji = emoji_set.get_emoji_in_context(action, status, context)
            if not isinstance(emoji, str):
                raise TypeError(f"get_emoji returned {type(emoji).__name__}, not str")
            return emoji
        # A user's emoji set must never break a log call: fall back and say so once.
        except Exception as exc:
            if id(emoji_set) not in self._reported:
                self._reported.add(id(emoji_set))
                event_dict["emoji_error"] = (
                    f"{type(emoji_set).__name__}.get_emoji raised {type(exc).__name__}: "
                    f"{_safe_str(exc)}"
                )
            fallback = builtin_set(emoji_set.domain)
            if fallback is None or fallback is emoji_set:
                fallback = das_set()
            try:
                return fallback.get_emoji(action, status)
            except Exception:  # the fallback is ours; be defensive all the same
                return ""


def _safe_str(value: object) -> str:
    try:
        return str(value)
    except Exception:  # a hostile __str__ must not break logging
        return f"<unprintable {type(value).__name__}>"
