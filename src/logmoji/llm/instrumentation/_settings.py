"""Turn the keyword options of ``instrument()`` into the :class:`._runtime.Settings` of one set-up.

Options left out come from ``TelemetryConfig.llm`` / the ``LOGMOJI_*``
variables (:mod:`logmoji.llm._defaults`); bad ones fail here, at set-up.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from logmoji.llm._defaults import default_observers, llm_settings
from logmoji.llm._record import CallObserver
from logmoji.llm.instrumentation._runtime import Settings

__all__ = ["instrument_settings"]


def instrument_settings(
    *,
    logger: Any,
    capture_content: bool | None,
    max_content_chars: int | None,
    observers: Sequence[CallObserver] | None,
    progress_every: int,
    rate_limit_warning_ratio: float,
    clock: Callable[[], float],
) -> Settings:
    """Return the settings of one ``instrument()`` call: its options, defaults filled in.

    Raises:
        ValueError: For an option out of range or an observer without ``observe``.
    """
    defaults = llm_settings()
    if capture_content is None:
        capture_content = defaults.capture_content
    if max_content_chars is None:
        max_content_chars = defaults.max_content_chars
    if observers is None:
        observers = default_observers()
    if max_content_chars < 1:
        raise ValueError(f"max_content_chars must be at least 1, not {max_content_chars}")
    if progress_every < 1:
        raise ValueError(f"progress_every must be at least 1 token, not {progress_every}")
    if not 0.0 <= rate_limit_warning_ratio <= 1.0:
        raise ValueError(
            "rate_limit_warning_ratio is a fraction between 0 and 1, "
            f"not {rate_limit_warning_ratio}"
        )
    for observer in observers:
        if not callable(getattr(observer, "observe", None)):
            raise ValueError(
                f"observer {observer!r} needs an observe(record) method (see CallObserver)"
            )
    return Settings(
        logger=logger,
        capture_content=capture_content,
        max_content_chars=max_content_chars,
        progress_every=progress_every,
        rate_limit_warning_ratio=rate_limit_warning_ratio,
        observers=tuple(observers),
        clock=clock,
    )
