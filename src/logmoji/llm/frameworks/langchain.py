"""Log LangChain runs as agent runs and tool executions, with a callback handler on every run.

:func:`instrument` registers a :class:`LogmojiCallbackHandler` through
``langchain_core``'s public configure hook (``register_configure_hook``), so
every runnable invoked from then on reports to it without a ``callbacks=``
argument. It maps:

* the root chain of an invocation (an agent executor, a LangGraph graph, a
  chain: the run without a parent) to an :func:`~logmoji.llm.agents.agent_run`
  named after it; the chains inside it are its steps and log nothing;
* each tool to a :func:`~logmoji.llm.agents.track_tool` execution (input and
  output only under content capture);
* chat models to nothing: the HTTP call a chat model makes is logged once by
  the SDK instrumentation, inside the run.

The handler runs inline (``run_inline``), in the context of the run it
reports, so the model calls carry the run's ``run_id``. A ``conversation_id``
(or ``thread_id``) in the run's ``metadata`` or ``configurable`` is the run's
conversation.

Needs ``pip install 'logmoji[langchain]'`` (``langchain-core``).
"""

from __future__ import annotations

import threading
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from logmoji.llm.agents import agent_run, track_tool
from logmoji.llm.frameworks import ReportedError
from logmoji.llm.frameworks._import import require

__all__ = ["LangChainInstrumentation", "LogmojiCallbackHandler", "instrument"]

require("langchain_core.callbacks", "langchain")  # a clear ImportError first, then the names

from langchain_core.callbacks import BaseCallbackHandler  # noqa: E402
from langchain_core.tracers.context import register_configure_hook  # noqa: E402

_FRAMEWORK = "langchain"


def _name(serialized: Any, kwargs: dict[str, Any], default: str) -> str:
    name = kwargs.get("name")
    if isinstance(name, str) and name:
        return name
    if isinstance(serialized, dict):
        found = serialized.get("name")
        if isinstance(found, str) and found:
            return found
        ids = serialized.get("id")
        if isinstance(ids, list) and ids and isinstance(ids[-1], str):
            return ids[-1]
    return default


def _conversation(metadata: Any) -> str | None:
    if not isinstance(metadata, dict):
        return None
    for key in ("conversation_id", "thread_id", "session_id"):
        value = metadata.get(key)
        if isinstance(value, str | int) and not isinstance(value, bool):
            return str(value)
    return None


class LogmojiCallbackHandler(BaseCallbackHandler):
    """Turn LangChain's root chains into agent runs and its tools into tool executions."""

    run_inline = True  # in the run's own context: its model calls must see the agent run
    raise_error = False

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[UUID, Any] = {}
        self.active = True

    def _start(self, run_id: UUID, tracker: Any) -> None:
        tracker.__enter__()
        with self._lock:
            self._open[run_id] = tracker

    def _end(self, run_id: UUID, error: BaseException | None, result: Any = None) -> None:
        with self._lock:
            tracker = self._open.pop(run_id, None)
        if tracker is None:
            return
        if error is None:
            if result is not None and hasattr(tracker, "set_result"):
                tracker.set_result(result)
            tracker.__exit__(None, None, None)
        else:
            exc = error if isinstance(error, BaseException) else ReportedError(str(error))
            tracker.__exit__(type(exc), exc, None)

    def on_chain_start(
        self,
        serialized: Any,
        inputs: Any,
        *,
        run_id: UUID,
        parent_run_id: UUID | None = None,
        metadata: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Open an agent run for a root chain."""
        if parent_run_id is not None or not self.active:
            return
        name = _name(serialized, kwargs, "chain")
        run = agent_run(name, conversation_id=_conversation(metadata), framework=_FRAMEWORK)
        self._start(run_id, run)

    def on_chain_end(self, outputs: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """End the run of a root chain."""
        self._end(run_id, None)

    def on_chain_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """End the run of a root chain as failed."""
        self._end(run_id, error)

    def on_tool_start(
        self,
        serialized: Any,
        input_str: str,
        *,
        run_id: UUID,
        inputs: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Start a tool execution."""
        if not self.active:
            return
        name = _name(serialized, kwargs, "tool")
        arguments = inputs if inputs is not None else input_str
        self._start(run_id, track_tool(name, arguments=arguments, framework=_FRAMEWORK))

    def on_tool_end(self, output: Any, *, run_id: UUID, **kwargs: Any) -> None:
        """End a tool execution."""
        self._end(run_id, None, getattr(output, "content", output))

    def on_tool_error(self, error: BaseException, *, run_id: UUID, **kwargs: Any) -> None:
        """End a tool execution as failed."""
        self._end(run_id, error)


class LangChainInstrumentation:
    """Undo :func:`instrument`: the handler stops logging."""

    def __init__(self, handler: LogmojiCallbackHandler) -> None:
        self.handler = handler

    @property
    def active(self) -> bool:
        """Return whether the handler still logs."""
        return bool(self.handler.active)

    def uninstrument(self) -> None:
        """Stop logging and take the handler off new runs; idempotent."""
        self.handler.active = False
        _HANDLER.set(None)


# The configure hook adds the value of this variable to every run's callbacks.
_HANDLER: ContextVar[Any] = ContextVar("logmoji_langchain_handler", default=None)
_LOCK = threading.Lock()
_REGISTERED: list[bool] = []


def instrument() -> LangChainInstrumentation:
    """Report every LangChain run's chains and tools from now on; idempotent."""
    with _LOCK:
        if not _REGISTERED:
            register_configure_hook(_HANDLER, True)
            _REGISTERED.append(True)
        handler = _HANDLER.get()
        if handler is None or not handler.active:
            handler = LogmojiCallbackHandler()
            _HANDLER.set(handler)
        return LangChainInstrumentation(handler)
