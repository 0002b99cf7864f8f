"""Group model calls into agent runs 🧭 and log the tools an agent executes 🔧.

:func:`agent_run` opens a run: every line logged inside it, and every
instrumented LLM call, carries ``run_id``, ``agent`` and ``conversation_id``
(structlog context variables, so asyncio tasks and threads started with a
copied context carry them too). It logs ``agent_run_started`` and one ending,
``agent_run_completed``, ``agent_run_failed`` (the error classified) or
``agent_run_cancelled``, with the run's totals: model calls, failed calls,
input/output/cached tokens, cost, tool executions, failed tool executions and
``duration_ms``. The totals come from the calls' own records (see
:mod:`logmoji.llm._runs`), so they equal the sum of the calls' logged usage.
Runs nest: a sub-agent's calls count in its parent's totals too.

:func:`track_tool` logs one tool execution: ``tool_started`` and
``tool_completed`` or ``tool_failed``, with ``duration_ms``; its arguments and
result only under content capture, masked and cut like prompts.

With OpenTelemetry export on, a run is an ``invoke_agent {name}`` span (the
calls inside are its children) and a tool an ``execute_tool {name}`` span.
Both work as ``with``/``async with`` blocks and as decorators of sync and async
functions; a decorated function starts a fresh run (or execution) per call.
Logging never changes what the body returns or raises.
"""

from __future__ import annotations

import functools
import inspect
import uuid
from collections.abc import Callable, Mapping
from contextvars import Token
from types import TracebackType
from typing import Any, ParamSpec, Self, TypeVar, cast

from logmoji.llm._defaults import llm_settings
from logmoji.llm._runs import RunState, RunTotals, current_run
from logmoji.llm.agents._tracking import Tracked, error_fields, safely
from logmoji.logger.context import bind_contextvars, reset_contextvars
from logmoji.logger.core import Logger, get_logger

__all__ = ["AgentRun", "ToolExecution", "agent_run", "track_tool"]

P = ParamSpec("P")
R = TypeVar("R")


def _new_run_id() -> str:
    return uuid.uuid4().hex[:16]


class _Decorates(Tracked):
    """Turn a tracker into a decorator whose every call is tracked afresh."""

    def _fresh(self) -> Self:
        raise NotImplementedError

    def __call__(self, fn: Callable[P, R]) -> Callable[P, R]:
        """Decorate ``fn`` (sync or async) so that every call is tracked on its own."""
        if inspect.iscoroutinefunction(fn):
            async_fn = cast(Callable[..., Any], fn)

            @functools.wraps(fn)
            async def tracked_async(*args: Any, **kwargs: Any) -> Any:
                with self._fresh()._called(args, kwargs) as tracker:
                    result = await async_fn(*args, **kwargs)
                    tracker._returned(result)
                    return result

            return cast(Callable[P, R], tracked_async)

        @functools.wraps(fn)
        def tracked(*args: P.args, **kwargs: P.kwargs) -> R:
            with self._fresh()._called(args, kwargs) as tracker:
                result = fn(*args, **kwargs)
                tracker._returned(result)
                return result

        return tracked

    def _called(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Self:
        return self

    def _returned(self, result: object) -> None:
        """Take note of what the decorated function returned."""


class AgentRun(_Decorates):
    """One agent run; made by :func:`agent_run`.

    Attributes:
        run_id: The run's id (set when it starts).
        totals: What the run's calls and tools added up to so far.
    """

    def __init__(
        self, name: str, conversation_id: str | None, fields: dict[str, object], log: Logger
    ) -> None:
        super().__init__(log)
        self.name = name
        self.conversation_id = conversation_id
        self.fields = fields
        self.run_id: str | None = None
        self._state: RunState | None = None
        self._run_token: Token[RunState | None] | None = None
        self._bound: Mapping[str, Token[Any]] = {}

    def _fresh(self) -> AgentRun:
        return AgentRun(self.name, self.conversation_id, self.fields, self._log)

    @property
    def totals(self) -> RunTotals:
        """What the run's calls and tools added up to so far (all zero before it starts)."""
        return RunTotals() if self._state is None else self._state.totals

    def __enter__(self) -> Self:
        parent = current_run.get()
        conversation = self.conversation_id
        if conversation is None and parent is not None:
            conversation = parent.conversation_id
        self.run_id = _new_run_id()
        state = RunState(self.name, self.run_id, conversation, parent)
        self._state = state
        self._run_token = current_run.set(state)
        context: dict[str, object] = {"run_id": self.run_id, "agent": self.name}
        if conversation is not None:
            context["conversation_id"] = conversation
        self._bound = bind_contextvars(**context)
        start: dict[str, object] = dict(self.fields)
        if parent is not None:
            start["parent_run_id"] = parent.run_id
        self._open_spans("invoke_agent", self.name, {**context, **start})
        self._log_safely("info", "agent_run_started", start)
        self._start_clock()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        fields: dict[str, object] = dict(self.fields)
        fields.update(self.totals.fields())
        fields["duration_ms"] = self._duration_ms()
        state = self._state
        if exc is None:
            level, event = "info", "agent_run_completed"
        elif isinstance(exc, Exception):
            level, event = "error", "agent_run_failed"
            fields.update(error_fields(exc, self._log))
            tool = None if state is None else state.failed_tool(exc)
            if tool is not None:
                fields["error"], fields["failed_tool"] = "tool_error", tool
        else:
            level, event = "warning", "agent_run_cancelled"
            fields["reason"] = type(exc).__name__
        self._log_safely(level, event, fields)
        self._close_spans(fields, failed=event == "agent_run_failed")
        self._leave()

    def _leave(self) -> None:
        """Put the context back as it was before the run, even if it moved (never raising)."""
        with safely(self._log, "agent_run_context"):
            reset_contextvars(**self._bound)
        if self._run_token is not None:
            with safely(self._log, "agent_run_context"):
                current_run.reset(self._run_token)
        self._run_token, self._bound = None, {}


class ToolExecution(_Decorates):
    """One tool execution; made by :func:`track_tool`."""

    def __init__(
        self,
        name: str,
        fields: dict[str, object],
        log: Logger,
        capture: bool | None,
        arguments: object = None,
    ) -> None:
        super().__init__(log)
        self.name = name
        self.fields = fields
        self._capture = capture
        self._arguments = arguments
        self._result: object = None
        self._has_result = False

    def _fresh(self) -> ToolExecution:
        return ToolExecution(self.name, self.fields, self._log, self._capture)

    def _called(self, args: tuple[Any, ...], kwargs: Mapping[str, Any]) -> Self:
        self._arguments = {**{f"arg{i}": a for i, a in enumerate(args)}, **kwargs}
        return self

    def _returned(self, result: object) -> None:
        self.set_result(result)

    def set_result(self, result: object) -> None:
        """Keep ``result`` for the completed event (logged only under content capture)."""
        self._result, self._has_result = result, True

    def _captures(self) -> bool:
        if self._capture is None:
            self._capture = llm_settings().capture_content
        return self._capture

    def __enter__(self) -> Self:
        start: dict[str, object] = {"tool": self.name, **self.fields}
        if self._arguments is not None and self._captures():
            start["arguments"] = self._content(self._arguments)
        self._open_spans("execute_tool", self.name, start)
        self._log_safely("info", "tool_started", start)
        self._start_clock()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        fields: dict[str, object] = {"tool": self.name, **self.fields}
        fields["duration_ms"] = self._duration_ms()
        run = current_run.get()
        if exc is None:
            level, event = "info", "tool_completed"
            if self._has_result and self._captures():
                fields["result"] = self._content(self._result)
        elif isinstance(exc, Exception):
            level, event = "error", "tool_failed"
            fields.update(error_fields(exc, self._log))
            if fields.get("error") == "client_error":
                fields["error"] = "tool_error"  # raised by the tool's own code
            if run is not None:
                run.note_failed_tool(exc, self.name)
        else:
            level, event = "warning", "tool_cancelled"
            fields["reason"] = type(exc).__name__
        if run is not None:
            with safely(self._log, "tool_totals"):
                run.add_tool(failed=exc is not None)
        self._log_safely(level, event, fields)
        self._close_spans(fields, failed=event == "tool_failed")


def agent_run(
    name: str,
    *,
    conversation_id: str | None = None,
    logger: Logger | None = None,
    **fields: object,
) -> AgentRun:
    """Group what happens inside into one agent run: 🧭 ``agent_run_started`` … ``_completed``.

    Args:
        name: The agent's name, logged as ``agent`` (``gen_ai.agent.name``).
        conversation_id: The conversation the run belongs to; a nested run
            without one inherits its parent's.
        logger: Where the run's own events go; ``get_logger("llm.agents")`` by default.
        fields: Added to the run's started and ending events.

    Returns:
        The run, a context manager (sync and async) and a decorator.

    Example::

        with agent_run("support", conversation_id=ticket.id) as run:
            answer = loop(client, question)
        print(run.totals.cost_usd)
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"an agent run needs a name such as 'support', not {name!r}")
    log = logger if logger is not None else get_logger("llm.agents")
    return AgentRun(name, conversation_id, dict(fields), log)


def track_tool(
    name: str,
    *,
    arguments: object = None,
    capture_content: bool | None = None,
    logger: Logger | None = None,
    **fields: object,
) -> ToolExecution:
    """Log one tool execution: 🔧 ``tool_started`` and ``tool_completed`` / ``tool_failed``.

    Args:
        name: The tool's name, logged as ``tool`` (``gen_ai.tool.name``).
        arguments: The tool's arguments, logged (masked, cut) only under
            content capture; a decorated function's own arguments are used.
        capture_content: Log arguments and result; default: the LLM setting
            (``LOGMOJI_CAPTURE_CONTENT``).
        logger: Where the events go; ``get_logger("llm.agents")`` by default.
        fields: Added to every event, such as ``tool_call_id="call_1"``.

    Returns:
        The execution, a context manager (sync and async) and a decorator;
        in a ``with`` block, ``set_result(value)`` records the result.
    """
    if not isinstance(name, str) or not name:
        raise ValueError(f"a tool needs a name such as 'get_weather', not {name!r}")
    log = logger if logger is not None else get_logger("llm.agents")
    return ToolExecution(name, dict(fields), log, capture_content, arguments)
