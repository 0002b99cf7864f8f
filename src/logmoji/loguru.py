"""logmoji's emoji in loguru: a patcher that adds ``extra["emoji"]`` to each record.

::

    import sys
    from loguru import logger
    from logmoji.loguru import add_emoji

    logger.remove()
    logger.add(sys.stderr, format="{time:HH:mm:ss.SSS} {level: <8} {extra[emoji]} {message}")
    log = logger.patch(add_emoji).bind(logger="llm")
    log.info("model_loaded")  # 10:31:25.514 INFO     🤖 model_loaded

The domain is the ``logger`` value bound with ``bind(logger=...)``, else the
module's name; the event is the message, and bound or keyword fields count as
the logger would count them (``error="rate_limit"`` → 🛑). logmoji does not
import loguru; :func:`setup_telemetry` is not needed.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from logmoji.logger.stdlib import method_of
from logmoji.structlog import add_emoji as _add_emoji

__all__ = ["add_emoji"]


class _Named:
    __slots__ = ("name",)

    def __init__(self, name: object) -> None:
        self.name = name


def add_emoji(record: Mapping[str, Any]) -> None:
    """Set ``record["extra"]["emoji"]``, unless the record has one; a loguru patcher."""
    extra = record["extra"]
    if "emoji" in extra:
        return
    fields = {**extra, "event": record["message"]}
    name = extra.get("logger") or record["name"]
    method = method_of(record["level"].no)
    extra["emoji"] = _add_emoji(_Named(name), method, fields)["emoji"]
