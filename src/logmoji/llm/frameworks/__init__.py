"""Agent frameworks that report their runs and tools to logmoji through their public hooks.

One module per framework, each importing it lazily, each with
``instrument()`` returning a handle whose ``uninstrument()`` undoes it:

* :mod:`~logmoji.llm.frameworks.openai_agents`: a tracing processor
  (``agents.add_trace_processor``) mapping agent, function-tool and handoff
  spans to :func:`~logmoji.llm.agents.agent_run` / :func:`~logmoji.llm.agents.track_tool`
  events;
* :mod:`~logmoji.llm.frameworks.langchain`: a callback handler, added to
  every run through ``langchain_core``'s configure hook, mapping the root
  chain to a run and tools to tool executions.

The model calls a framework makes are logged once, by the SDK
instrumentation (``instrument_openai()``, ``logmoji run``), inside the run:
the frameworks' own generation or chat-model events are not logged again.

pydantic-ai has no callback API for agent and tool events; its public hook is
OpenTelemetry (``Agent.instrument_all()``), whose spans go to any tracer
provider, logmoji's included (``logmoji.otel.tracer_provider()``). So logmoji
adds nothing for it: its model calls are logged by the SDK instrumentation,
and ``agent_run()`` / ``track_tool()`` around ``agent.run()`` and the tool
functions give the run's totals.
"""

from __future__ import annotations

__all__ = ["ReportedError"]


class ReportedError(Exception):
    """An error a framework reported as a message, without the exception itself."""
