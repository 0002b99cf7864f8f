"""Split an event name into domain, action and status.

An event name is a ``snake_case`` string. Its last word is the *status* when it
is one of the known status words; the words before it are the *action*. The
first word is the *domain* when it names a known emoji set (``llm_``,
``http_``, ``db_``...). Statuses are normalized so that emoji sets compare
against a small vocabulary:

=============================================  ============
event's last word                              status
=============================================  ============
completed, complete, done, succeeded, success,  ``success``
ok, finished, ready
failed, fail, failure, error, errored, crashed  ``failure``
started, start, begin, began, beginning,        ``started``
starting, initiated
progress, progressing, running                  ``progress``
cancelled, canceled, aborted                    ``cancelled``
retry, retried, retrying                        ``retry``
=============================================  ============

Any other last word is part of the action and the status is ``""``. Examples:
``inference_completed`` → (``inference``, ``success``);
``llm_model_load_started`` → domain ``llm``, (``model_load``, ``started``);
``model_loaded`` → (``model_loaded``, ``""``).
"""

from __future__ import annotations

from dataclasses import dataclass

__all__ = ["STATUS_WORDS", "ParsedEvent", "parse_event"]

STATUS_WORDS: dict[str, str] = {
    **dict.fromkeys(
        ("completed", "complete", "done", "succeeded", "success", "ok", "finished", "ready"),
        "success",
    ),
    **dict.fromkeys(("failed", "fail", "failure", "error", "errored", "crashed"), "failure"),
    **dict.fromkeys(
        ("started", "start", "begin", "began", "beginning", "starting", "initiated"), "started"
    ),
    **dict.fromkeys(("progress", "progressing", "running"), "progress"),
    **dict.fromkeys(("cancelled", "canceled", "aborted"), "cancelled"),
    **dict.fromkeys(("retry", "retried", "retrying"), "retry"),
}


@dataclass(frozen=True, slots=True)
class ParsedEvent:
    """The parts of an event name."""

    domain: str | None
    action: str
    status: str
    words: tuple[str, ...]


def parse_event(event: str, domains: frozenset[str] = frozenset()) -> ParsedEvent:
    """Parse ``event`` into its domain (if its first word is in ``domains``), action and status."""
    words = tuple(w for w in event.lower().replace("-", "_").replace(".", "_").split("_") if w)
    if not words:
        return ParsedEvent(None, "", "", ())
    domain = None
    rest = words
    if len(words) > 1 and words[0] in domains:
        domain, rest = words[0], words[1:]
    status = STATUS_WORDS.get(rest[-1], "") if len(rest) > 1 else ""
    action_words = rest[:-1] if status else rest
    return ParsedEvent(domain, "_".join(action_words), status, rest)
