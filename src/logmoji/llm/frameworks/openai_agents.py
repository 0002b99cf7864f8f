"""Log the runs of the OpenAI Agents SDK (``openai-agents``) as agent runs and tool executions.

:func:`instrument` adds a :class:`LogmojiTracingProcessor` with the SDK's
public ``agents.add_trace_processor()``. The SDK calls it as spans start and
end, in the context the agent runs in, so:

* an agent span is an :func:`~logmoji.llm.agents.agent_run` named after the
  agent (a trace's ``group_id`` is its ``conversation_id``): the model calls
  the agent makes carry its ``run_id`` and add up in its totals;
* a function span is a :func:`~logmoji.llm.agents.track_tool` execution
  (its input and output logged only under content capture);
* a handoff span logs ``agent_handoff`` 🧭 with ``from_agent`` and ``to_agent``;
* generation and response spans log nothing: the HTTP call they describe is
  logged once already by the SDK instrumentation.

Needs ``pip install 'logmoji[openai-agents]'`` (``openai-agents``).
"""

from __future__ import annotations

import threading
from typing import Any

from logmoji.llm.agents import agent_run, track_tool
from logmoji.llm.frameworks import ReportedError
from logmoji.llm.frameworks._import import require
from logmoji.logger.core import get_logger

__all__ = ["LogmojiTracingProcessor", "OpenAIAgentsInstrumentation", "instrument"]

require("agents.tracing", "openai-agents")  # a clear ImportError first, then the names

from agents.tracing import TracingProcessor  # noqa: E402
from agents.tracing.span_data import (  # noqa: E402
    AgentSpanData,
    FunctionSpanData,
    HandoffSpanData,
)

_FRAMEWORK = "openai-agents"


class LogmojiTracingProcessor(TracingProcessor):
    """Turn the SDK's agent, function and handoff spans into logmoji events."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._open: dict[str, Any] = {}
        self._groups: dict[str, str | None] = {}
        self._log = get_logger("llm.agents")
        self.active = True

    def on_trace_start(self, trace: Any) -> None:
        """Remember the trace's ``group_id``: the conversation its agents run in."""
        group = trace.export() if self.active else None
        if isinstance(group, dict):
            with self._lock:
                self._groups[trace.trace_id] = group.get("group_id")

    def on_trace_end(self, trace: Any) -> None:
        """Forget the trace's conversation."""
        with self._lock:
            self._groups.pop(trace.trace_id, None)

    def on_span_start(self, span: Any) -> None:
        """Open the run or the tool execution an agent or function span stands for."""
        if not self.active:
            return
        data = span.span_data
        if isinstance(data, AgentSpanData):
            with self._lock:
                conversation = self._groups.get(span.trace_id)
            tracker: Any = agent_run(data.name, conversation_id=conversation, framework=_FRAMEWORK)
        elif isinstance(data, FunctionSpanData):
            tracker = track_tool(data.name, arguments=data.input, framework=_FRAMEWORK)
        else:
            return
        tracker.__enter__()
        with self._lock:
            self._open[span.span_id] = tracker

    def on_span_end(self, span: Any) -> None:
        """End the run or tool execution of ``span``; log a handoff."""
        data = span.span_data
        if isinstance(data, HandoffSpanData) and self.active:
            self._log.info(
                "agent_handoff",
                from_agent=data.from_agent,
                to_agent=data.to_agent,
                framework=_FRAMEWORK,
            )
            return
        with self._lock:
            tracker = self._open.pop(span.span_id, None)
        if tracker is None:
            return
        if isinstance(data, FunctionSpanData) and data.output is not None:
            tracker.set_result(data.output)
        error = span.error
        if error:
            message = error.get("message") if isinstance(error, dict) else str(error)
            exc = ReportedError(message or "error")
            tracker.__exit__(ReportedError, exc, None)
        else:
            tracker.__exit__(None, None, None)

    def shutdown(self) -> None:
        """Nothing is buffered: every event was logged as its span ended."""

    def force_flush(self) -> None:
        """Nothing is buffered."""


class OpenAIAgentsInstrumentation:
    """Undo :func:`instrument`: the processor stops logging (the SDK has no remove)."""

    def __init__(self, processor: LogmojiTracingProcessor) -> None:
        self.processor = processor

    @property
    def active(self) -> bool:
        """Return whether the processor still logs."""
        return bool(self.processor.active)

    def uninstrument(self) -> None:
        """Stop logging; idempotent."""
        self.processor.active = False
        _State.processor = None


class _State:
    lock = threading.Lock()
    processor: LogmojiTracingProcessor | None = None


def instrument() -> OpenAIAgentsInstrumentation:
    """Log every agent run, tool and handoff of the OpenAI Agents SDK from now on; idempotent."""
    import agents

    with _State.lock:
        if _State.processor is None:
            _State.processor = LogmojiTracingProcessor()
            agents.add_trace_processor(_State.processor)
        return OpenAIAgentsInstrumentation(_State.processor)
