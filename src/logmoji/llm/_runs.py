"""The agent run in force in this context, and the totals its calls and tools add up to.

A :class:`RunState` is made per :func:`~logmoji.llm.agents.agent_run` and made
current through the :data:`current_run` context variable, so asyncio tasks and
threads started with a copied context see it too. An instrumented call reads
the variable once when it starts (a few dozen nanoseconds when no run is in
force) and, when it ends, hands its :class:`~logmoji.llm._record.CallRecord` and
its cost to that run and to every run around it: a sub-agent's calls count in
its parent's totals. Tool executions are added the same way.

A call's record is queued, not counted at once: one ``deque.append`` (atomic,
so no lock) per run. The queue is counted into the totals in one loop when
it reaches :data:`BATCH` records and whenever the totals are read. Counting
one record where the call ends costs about a microsecond, most of it cache
misses on a path the rest of the call has pushed out of the CPU's caches;
counted in a batch, the same work takes a fraction of that.

This module imports nothing heavy: ``_call.py`` imports it on every SDK import.
"""

from __future__ import annotations

import threading
from collections import deque
from contextvars import ContextVar
from dataclasses import dataclass

from logmoji.llm._record import CallRecord

__all__ = ["BATCH", "RunState", "RunTotals", "current_run"]

#: Queued call records of a run are counted into its totals this many at a time.
BATCH = 32

# One lock for every run's totals: counting is a few integer additions, and two
# threads counting into one run (queued calls, a tool) must not lose either's.
_LOCK = threading.Lock()


@dataclass(slots=True)
class RunTotals:
    """What a run's model calls and tool executions added up to so far.

    Token counts are the servers' own; a call that reported none adds to
    ``calls_without_usage`` instead of adding zeros.
    """

    model_calls: int = 0
    failed_calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cached_tokens: int = 0
    cost_usd: float = 0.0
    priced_calls: int = 0
    calls_without_usage: int = 0
    tool_executions: int = 0
    failed_tool_executions: int = 0

    def fields(self) -> dict[str, object]:
        """Return the totals as log fields (the cost only when some call had one)."""
        out: dict[str, object] = {
            "model_calls": self.model_calls,
            "failed_calls": self.failed_calls,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cached_tokens": self.cached_tokens,
            "tool_executions": self.tool_executions,
            "failed_tool_executions": self.failed_tool_executions,
        }
        if self.priced_calls:
            out["cost_usd"] = round(self.cost_usd, 9)
        if self.calls_without_usage:
            out["calls_without_usage"] = self.calls_without_usage
        return out


class RunState:
    """One agent run in progress: who it is, its parent run, and its totals."""

    __slots__ = (
        "_failed_tool",
        "_queued",
        "_totals",
        "agent",
        "chain",
        "conversation_id",
        "parent",
        "run_id",
    )

    def __init__(
        self, agent: str, run_id: str, conversation_id: str | None, parent: RunState | None
    ) -> None:
        self.agent = agent
        self.run_id = run_id
        self.conversation_id = conversation_id
        self.parent = parent
        #: This run and every run around it, innermost first: where a call is counted.
        self.chain: tuple[RunState, ...] = (self,) if parent is None else (self, *parent.chain)
        self._totals = RunTotals()
        self._queued: deque[tuple[CallRecord, object]] = deque()
        self._failed_tool: tuple[BaseException, str] | None = None

    @property
    def totals(self) -> RunTotals:
        """What the run's calls and tools added up to so far (queued calls counted first)."""
        if self._queued:
            self._count_queued()
        return self._totals

    def add_call(self, record: CallRecord, cost: object) -> None:
        """Count a finished call in this run and in every run around it (queued; see above)."""
        item = (record, cost)
        for run in self.chain:
            queued = run._queued
            queued.append(item)
            if len(queued) >= BATCH:
                run._count_queued()

    def _count_queued(self) -> None:
        """Count every queued call into the totals, in the order the calls ended."""
        queued, totals = self._queued, self._totals
        take = queued.popleft
        # Only a holder of the lock takes from a queue; calls queued meanwhile (appending
        # is atomic) are counted now or the next time.
        with _LOCK:
            while queued:
                record, cost = take()
                totals.model_calls += 1
                success = record.success
                inputs, outputs = record.input_tokens, record.output_tokens
                if inputs is not None or outputs is not None:
                    try:
                        summed = (
                            totals.input_tokens + (inputs or 0),
                            totals.output_tokens + (outputs or 0),
                            totals.cached_tokens + (record.cached_tokens or 0),
                        )
                    except TypeError:  # a count that is no number (odd usage data): unknown
                        totals.calls_without_usage += 1
                    else:
                        totals.input_tokens, totals.output_tokens, totals.cached_tokens = summed
                elif success:
                    totals.calls_without_usage += 1
                if not success:
                    totals.failed_calls += 1
                if type(cost) is float or type(cost) is int:
                    totals.cost_usd += cost
                    totals.priced_calls += 1

    def add_tool(self, *, failed: bool) -> None:
        """Count a finished tool execution in this run and in every run around it."""
        with _LOCK:
            for run in self.chain:
                run._totals.tool_executions += 1
                if failed:
                    run._totals.failed_tool_executions += 1

    def note_failed_tool(self, exc: BaseException, tool: str) -> None:
        """Remember that ``tool`` raised ``exc``, for the ending of this run and those around it."""
        run: RunState | None = self
        while run is not None:
            run._failed_tool = (exc, tool)
            run = run.parent

    def failed_tool(self, exc: BaseException) -> str | None:
        """Return the tool that raised ``exc`` inside this run, if one did."""
        noted = self._failed_tool
        return noted[1] if noted is not None and noted[0] is exc else None


current_run: ContextVar[RunState | None] = ContextVar("logmoji_agent_run", default=None)
"""The innermost agent run in force in this context, if any."""
