"""Agent runs and tool executions: :func:`agent_run` and :func:`track_tool`.

* ``_api``: the run and tool context managers and decorators;
* ``_tracking``: the shared start/end logging of a tracked block.

The run's totals come from the calls' records (:mod:`logmoji.llm._runs`);
framework hooks are in :mod:`logmoji.llm.frameworks`.
"""

from logmoji.llm.agents._api import AgentRun, ToolExecution, agent_run, track_tool

__all__ = ["AgentRun", "ToolExecution", "agent_run", "track_tool"]
