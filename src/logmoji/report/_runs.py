"""The report's runs view: agent runs per agent (or per ``--by`` field), most expensive, slowest.

A run is an ``agent_run_completed`` / ``agent_run_failed`` /
``agent_run_cancelled`` line (what :func:`~logmoji.llm.agents.agent_run`
logs): its totals (``model_calls``, ``tool_executions``, tokens,
``cost_usd``, ``duration_ms``) are the run's own, so runs are added up
without looking at their calls again. Runs are grouped by ``agent`` unless
the report is grouped by other fields than provider and model
(``--by conversation_id``), then by those.
"""

from __future__ import annotations

import heapq
from array import array
from collections.abc import Mapping
from dataclasses import dataclass
from html import escape
from typing import Any

import orjson

from logmoji.report import _format as fmt
from logmoji.report._model import Distribution

__all__ = ["RunEntry", "RunSummary", "RunsAccumulator", "RunsView", "runs_html", "runs_text"]

RUN_PREFIX = b"agent_run_"
_ENDINGS = {"agent_run_completed", "agent_run_failed", "agent_run_cancelled"}
_TOP = 5


def _int(d: Mapping[str, Any], key: str) -> int:
    value = d.get(key)
    return value if type(value) is int else 0


def _float(d: Mapping[str, Any], key: str) -> float | None:
    value = d.get(key)
    return float(value) if type(value) is int or type(value) is float else None


@dataclass(frozen=True, slots=True)
class RunEntry:
    """One run, for the most-expensive and slowest lists."""

    run_id: str
    agent: str
    conversation_id: str | None
    cost_usd: float
    duration_ms: float
    model_calls: int
    failed: bool

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        return {
            "run_id": self.run_id,
            "agent": self.agent,
            "conversation_id": self.conversation_id,
            "cost_usd": self.cost_usd,
            "duration_ms": self.duration_ms,
            "model_calls": self.model_calls,
            "failed": self.failed,
        }


@dataclass(frozen=True, slots=True)
class RunSummary:
    """The runs of one group: counts, sums and the duration distribution."""

    key: tuple[object, ...]
    runs: int
    failed: int
    model_calls: int
    tool_executions: int
    input_tokens: int
    output_tokens: int
    cost_usd: float
    duration_ms: Distribution

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form (without the group key)."""
        return {
            "runs": self.runs,
            "failed": self.failed,
            "model_calls": self.model_calls,
            "tool_executions": self.tool_executions,
            "input_tokens": self.input_tokens,
            "output_tokens": self.output_tokens,
            "cost_usd": self.cost_usd,
            "duration_ms": self.duration_ms.to_dict(),
        }


@dataclass(frozen=True, slots=True)
class RunsView:
    """Runs per group, and the most expensive and the slowest runs."""

    group_by: tuple[str, ...]
    groups: tuple[RunSummary, ...]
    most_expensive: tuple[RunEntry, ...]
    slowest: tuple[RunEntry, ...]

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON form."""
        groups = []
        for group in self.groups:
            entry: dict[str, Any] = {"group": dict(zip(self.group_by, group.key, strict=True))}
            entry.update(group.to_dict())
            groups.append(entry)
        return {
            "group_by": list(self.group_by),
            "groups": groups,
            "most_expensive": [r.to_dict() for r in self.most_expensive],
            "slowest": [r.to_dict() for r in self.slowest],
        }


class _Group:
    __slots__ = ("calls", "cost", "durations", "failed", "input", "output", "runs", "tools")

    def __init__(self) -> None:
        self.runs = self.failed = self.calls = self.tools = self.input = self.output = 0
        self.cost = 0.0
        self.durations = array("d")

    def merge(self, other: _Group) -> None:
        self.runs += other.runs
        self.failed += other.failed
        self.calls += other.calls
        self.tools += other.tools
        self.input += other.input
        self.output += other.output
        self.cost += other.cost
        self.durations.extend(other.durations)


class RunsAccumulator:
    """Add up the run endings of some lines; merge accumulators of several processes."""

    def __init__(self, by: tuple[str, ...]) -> None:
        self.by = by
        self.groups: dict[tuple[object, ...], _Group] = {}
        # (value, run id, arrival, entry): the arrival number settles ties before the entry.
        self.expensive: list[tuple[float, str, int, RunEntry]] = []
        self.slow: list[tuple[float, str, int, RunEntry]] = []
        self._arrivals = 0

    def feed(self, line: bytes) -> None:
        """Count one line whose event starts with ``agent_run_`` (other such lines are skipped)."""
        try:
            d = orjson.loads(line)
        except orjson.JSONDecodeError:
            return
        if type(d) is not dict or d.get("event") not in _ENDINGS:
            return
        key = tuple(_hashable(d.get(name)) for name in self.by)
        group = self.groups.get(key)
        if group is None:
            group = self.groups[key] = _Group()
        group.runs += 1
        failed = d["event"] != "agent_run_completed"
        group.failed += failed
        group.calls += _int(d, "model_calls")
        group.tools += _int(d, "tool_executions")
        group.input += _int(d, "input_tokens")
        group.output += _int(d, "output_tokens")
        cost = _float(d, "cost_usd")
        duration = _float(d, "duration_ms")
        if cost is not None:
            group.cost += cost
        if duration is not None:
            group.durations.append(duration)
        conversation = d.get("conversation_id")
        entry = RunEntry(
            run_id=str(d.get("run_id", "?")),
            agent=str(d.get("agent", "?")),
            conversation_id=str(conversation) if conversation is not None else None,
            cost_usd=cost or 0.0,
            duration_ms=duration or 0.0,
            model_calls=_int(d, "model_calls"),
            failed=failed,
        )
        self._arrivals += 1
        if cost is not None:
            _keep(self.expensive, (cost, entry.run_id, self._arrivals, entry))
        if duration is not None:
            _keep(self.slow, (duration, entry.run_id, self._arrivals, entry))

    def merge(self, other: RunsAccumulator) -> None:
        """Add ``other``'s runs to these."""
        for key, group in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = group
            else:
                mine.merge(group)
        # Numbered again as they arrive here: the other's numbers may repeat these.
        for value, run_id, _, entry in sorted(other.expensive):
            self._arrivals += 1
            _keep(self.expensive, (value, run_id, self._arrivals, entry))
        for value, run_id, _, entry in sorted(other.slow):
            self._arrivals += 1
            _keep(self.slow, (value, run_id, self._arrivals, entry))

    def view(self) -> RunsView | None:
        """Return the runs view, or ``None`` when no run was logged."""
        if not self.groups:
            return None
        summaries = []
        for key, group in self.groups.items():
            summaries.append(
                RunSummary(
                    key=key,
                    runs=group.runs,
                    failed=group.failed,
                    model_calls=group.calls,
                    tool_executions=group.tools,
                    input_tokens=group.input,
                    output_tokens=group.output,
                    cost_usd=round(group.cost, 9),
                    duration_ms=Distribution.of(sorted(group.durations)),
                )
            )
        summaries.sort(key=lambda s: (-s.runs, [str(v) for v in s.key]))
        return RunsView(
            group_by=self.by,
            groups=tuple(summaries),
            most_expensive=tuple(item[-1] for item in sorted(self.expensive, reverse=True)),
            slowest=tuple(item[-1] for item in sorted(self.slow, reverse=True)),
        )


def _hashable(value: object) -> object:
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return value


def _keep(
    heap: list[tuple[float, str, int, RunEntry]], item: tuple[float, str, int, RunEntry]
) -> None:
    """Keep the ``_TOP`` largest items in ``heap`` (a min-heap)."""
    if len(heap) < _TOP:
        heapq.heappush(heap, item)
    elif item[:3] > heap[0][:3]:
        heapq.heapreplace(heap, item)


def _row(summary: RunSummary) -> list[str]:
    return [
        *(fmt.group_label(v) for v in summary.key),
        fmt.count(summary.runs),
        fmt.count(summary.failed),
        fmt.count(summary.model_calls),
        fmt.count(summary.tool_executions),
        fmt.compact(summary.input_tokens),
        fmt.compact(summary.output_tokens),
        fmt.usd(summary.cost_usd),
        fmt.duration_ms(summary.duration_ms.p50),
        fmt.duration_ms(summary.duration_ms.p95),
    ]


_HEADERS = ("runs", "failed", "calls", "tools", "in tokens", "out tokens", "cost", "p50", "p95")


def _entry(entry: RunEntry) -> str:
    where = f" conversation {entry.conversation_id}" if entry.conversation_id else ""
    failed = " (failed)" if entry.failed else ""
    return (
        f"{entry.agent} {entry.run_id}{where}: {fmt.usd(entry.cost_usd)}, "
        f"{fmt.duration_ms(entry.duration_ms)}, {fmt.count(entry.model_calls)} calls{failed}"
    )


def runs_text(view: RunsView) -> list[str]:
    """Return the runs view as terminal lines: a table, then the top runs."""
    rows = [[*view.group_by, *_HEADERS], *(_row(g) for g in view.groups)]
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines = ["Agent runs"]
    for row in rows:
        cells = [
            cell.ljust(width) if i < len(view.group_by) else cell.rjust(width)
            for i, (cell, width) in enumerate(zip(row, widths, strict=True))
        ]
        lines.append("  " + "  ".join(cells).rstrip())
    lines += ["Most expensive runs", *("  " + _entry(e) for e in view.most_expensive)]
    lines += ["Slowest runs", *("  " + _entry(e) for e in view.slowest)]
    return lines


def runs_html(view: RunsView) -> str:
    """Return the runs view as an HTML section (every value escaped)."""
    head = "".join(f"<th>{escape(name)}</th>" for name in view.group_by)
    head += "".join(f'<th class="n">{escape(name)}</th>' for name in _HEADERS)
    rows = []
    for group in view.groups:
        cells = _row(group)
        keys, numbers = cells[: len(view.group_by)], cells[len(view.group_by) :]
        rows.append(
            "<tr>"
            + "".join(f"<td>{escape(k)}</td>" for k in keys)
            + "".join(f'<td class="n">{escape(n)}</td>' for n in numbers)
            + "</tr>"
        )
    top = "".join(f"<li>{escape(_entry(e))}</li>" for e in view.most_expensive)
    slow = "".join(f"<li>{escape(_entry(e))}</li>" for e in view.slowest)
    return (
        "<h2>Agent runs</h2>"
        f'<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>'
        f"<h2>Most expensive runs</h2><ol>{top}</ol>"
        f"<h2>Slowest runs</h2><ol>{slow}</ol>"
    )
