"""Add up LLM calls from log lines: the report's hot loop.

Speed comes from not parsing what cannot be a call. The event name is read
from the line's bytes (the string after the first ``"event":``); only a line
whose event is a call ending (see :mod:`logmoji.report._calls`) and which has
a ``"model"`` key is parsed with ``orjson``. Other lines are not parsed: one
with an ``"event":`` key counts as another event, one without as skipped
(malformed or foreign), and so does a call line that does not parse. Parsed
calls go into plain counters and ``array('d')`` lists per group; quantiles
are computed once, at the end, by sorting. An :class:`Accumulator` can be
filled in several processes and merged.
"""

from __future__ import annotations

from array import array
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import orjson

from logmoji.report._calls import (
    CALL_SUFFIXES,
    call_outcome,
    error_category,
    infer_provider,
)
from logmoji.report._runs import RUN_PREFIX, RunsAccumulator
from logmoji.report._sorted import compact
from logmoji.report._when import canonical_timestamp

__all__ = ["DEFAULT_GROUP_BY", "Accumulator", "Group", "canonical_timestamp"]

#: Calls are grouped by provider and model unless told otherwise.
DEFAULT_GROUP_BY: tuple[str, ...] = ("provider", "model")
_CANONICAL_LENGTH = len("2026-11-27T10:22:51.995299Z")
_MINUTE = len("2026-11-27T10:22")
_SECOND = len("2026-11-27T10:22:33")
#: Calls are also counted per second until this many seconds have calls: enough
#: for a short log's timeline, bounded for a long one (which is shown per minute).
MAX_SECONDS = 3600
_SUFFIXES = tuple(suffix.encode() for suffix in CALL_SUFFIXES)
#: What an agent run's ending is to the loop (see ``_kind``): not a call, the runs view's.
_RUN = "run"


#: A group's value series, in the order of ``Group.sorted``.
_SERIES = ("latency", "ttft", "tps")


class Group:
    """The running totals of one group of calls."""

    __slots__ = (
        "cached",
        "cancelled",
        "cost",
        "errors",
        "failed",
        "input",
        "latency",
        "output",
        "priced",
        "reasoning",
        "requests",
        "retries",
        "sorted",
        "tps",
        "ttft",
        "unknown",
    )

    def __init__(self) -> None:
        self.requests = self.failed = self.cancelled = 0
        self.input = self.output = self.cached = self.reasoning = 0
        self.cost = 0.0
        self.priced = self.retries = self.unknown = 0
        # The latencies, TTFTs and speeds: the values in the order they came, after
        # (once sort() has sealed some) the sorted parts of ``sorted``.
        self.latency = array("d")
        self.ttft = array("d")
        self.tps = array("d")
        #: The sorted parts of each series, in the order they came (see
        #: ``logmoji.report._sorted``); ``None`` until one is sealed.
        self.sorted: tuple[list[array[float]], list[array[float]], list[array[float]]] | None = None
        self.errors: dict[str, int] = {}

    def merge(self, other: Group) -> None:
        """Add ``other``'s totals to this group's; ``other`` is not used afterwards."""
        self.requests += other.requests
        self.failed += other.failed
        self.cancelled += other.cancelled
        self.input += other.input
        self.output += other.output
        self.cached += other.cached
        self.reasoning += other.reasoning
        self.cost += other.cost
        self.priced += other.priced
        self.retries += other.retries
        self.unknown += other.unknown
        theirs = other.sorted
        if theirs is None:  # values only (most groups of a report by user): after ours
            self.latency.extend(other.latency)
            self.ttft.extend(other.ttft)
            self.tps.extend(other.tps)
        else:
            for i, name in enumerate(_SERIES):
                more = getattr(other, name)
                if not theirs[i]:
                    getattr(self, name).extend(more)
                    continue
                # Ours first, then their parts, then their values: the order they came
                # in, so ties and signed zeros read as the stable sort of them all.
                self._seal(i)
                self._parts()[i].extend(theirs[i])  # shared: never changed once sealed
                if more:
                    setattr(self, name, array("d", more))
        for category, count in other.errors.items():
            self.errors[category] = self.errors.get(category, 0) + count

    def sort(self, at_least: int = 1) -> None:
        """Seal each series holding ``at_least`` values or more as a sorted part.

        A worker seals its big series, sorting them in parallel; the parent
        reads the parts as they come, without merging them. A small series is
        cheaper merged than read in parts, and cheaper sent as it is.
        """
        at_least = max(at_least, 1)
        if len(self.latency) >= at_least:
            self._seal(0)
        if len(self.ttft) >= at_least:
            self._seal(1)
        if len(self.tps) >= at_least:
            self._seal(2)

    def read(self) -> tuple[list[Sequence[float]], list[Sequence[float]], list[Sequence[float]]]:
        """Return each series as sorted parts to read (see ``logmoji.report._sorted``).

        Values not sealed in a part are sorted in place, as one more part: a
        group of a few values (a report by user) is read as one sorted array,
        and a total made of such groups gets runs that sort fast.
        """
        return self._read(0), self._read(1), self._read(2)

    def _read(self, i: int) -> list[Sequence[float]]:
        name = _SERIES[i]
        values = getattr(self, name)
        if values:
            values = array("d", sorted(values))
            setattr(self, name, values)
        parts = None if self.sorted is None else self.sorted[i]
        if not parts:
            return [values] if values else []
        return compact([*parts, values] if values else parts)

    def _parts(self) -> tuple[list[array[float]], list[array[float]], list[array[float]]]:
        if self.sorted is None:
            self.sorted = ([], [], [])
        return self.sorted

    def _seal(self, i: int) -> None:
        """Move the values of series ``i``, sorted, into a new part of it."""
        name = _SERIES[i]
        values = getattr(self, name)
        if values:
            self._parts()[i].append(array("d", sorted(values)))
            setattr(self, name, array("d"))


def _kind(name: bytes) -> str | None:
    """Return how the event ``name`` ends: an outcome, ``_RUN``, or ``None`` (no call ending)."""
    if not name.endswith(_SUFFIXES):
        return None
    if name.startswith(RUN_PREFIX):
        return _RUN
    return call_outcome(name.decode("utf-8", "replace"))


def _hashable(value: object) -> object:
    if isinstance(value, dict | list):
        return orjson.dumps(value, option=orjson.OPT_SORT_KEYS).decode()
    return value


def _key_function(by: tuple[str, ...]) -> Callable[[Mapping[str, Any]], tuple[object, ...]]:
    """Return the function computing a call's group key for any ``by`` fields."""

    def value(d: Mapping[str, Any], name: str) -> object:
        found = d.get(name)
        if found is None and name == "user":
            found = d.get("user_id")
        elif found is None and name == "provider":
            found = infer_provider(d["model"]) or None
        return _hashable(found)

    def key_of(d: Mapping[str, Any]) -> tuple[object, ...]:
        return tuple(value(d, name) for name in by)

    return key_of


class Accumulator:
    """Collect the calls of some lines; merge accumulators of several processes.

    Args:
        by: Fields to group calls by. ``provider`` falls back to a guess from
            the model name; ``user`` falls back to ``user_id``.
        since: Count only calls at or after this canonical timestamp.
        until: Count only calls before this canonical timestamp.
    """

    def __init__(
        self,
        by: tuple[str, ...] = DEFAULT_GROUP_BY,
        since: str | None = None,
        until: str | None = None,
    ) -> None:
        self.by = by
        self.since = since
        self.until = until
        self.groups: dict[tuple[object, ...], Group] = {}
        self.lines = self.calls = self.other = self.skipped = self.outside = 0
        self.first: str | None = None
        self.last: str | None = None
        self.per_minute: dict[str, int] = {}
        self.failed_per_minute: dict[str, int] = {}
        # None once more than MAX_SECONDS seconds had calls.
        self.per_second: dict[str, int] | None = {}
        self.failed_per_second: dict[str, int] | None = {}
        self._names: dict[bytes, tuple[str | None, bool]] = {}
        self.runs = RunsAccumulator(("agent",) if by == DEFAULT_GROUP_BY else by)

    # One flat loop on purpose: a helper call per line would cost a tenth of the time.
    def feed(self, lines: list[bytes]) -> None:  # noqa: PLR0915
        """Count ``lines`` (without line ends) into the totals; blank lines are not counted."""
        loads = orjson.loads
        groups = self.groups
        failed_per_minute = self.failed_per_minute
        since, until = self.since, self.until
        windowed = since is not None or until is not None
        default_by = self.by == DEFAULT_GROUP_BY
        key_of = _key_function(self.by)
        names = self._names
        categories: dict[tuple[object, object], str] = {}
        providers: dict[str, str | None] = {}
        first, last = self.first, self.last
        second, in_second = "~", 0  # the current second's calls: logs come mostly in order
        calls = other = skipped = outside = blank = 0
        for line in lines:
            # Read the event name from the bytes (finding '"event":' stops early, unlike
            # searching the whole line for suffixes) and parse only call endings.
            at = line.find(b'"event":')
            if at < 0:
                if line.strip():
                    skipped += 1
                else:
                    blank += 1
                continue
            # The name's opening quote follows the colon, or one byte later ('"event": "').
            at += 8
            if line[at : at + 1] != b'"':
                at += 1
                if line[at : at + 1] != b'"':  # the event is not a string: not a call
                    other += 1
                    continue
            closing = line.find(b'"', at + 1)
            if closing < 0:  # the line ends inside the event name: cut short
                skipped += 1
                continue
            name = line[at + 1 : closing]
            try:
                outcome, proven = names[name]
            except KeyError:
                outcome, proven = _kind(name), False
                if len(names) < 4096:
                    names[name] = outcome, proven
            if outcome is _RUN:  # an agent run's ending: the runs view's
                self.runs.feed(line)
                other += 1
                continue
            # Until an event name is seen with a model, look for one before parsing.
            if outcome is None or (not proven and b'"model"' not in line):
                other += 1
                continue
            try:
                d = loads(line)
            except orjson.JSONDecodeError:
                skipped += 1
                continue
            if type(d) is not dict:
                skipped += 1
                continue
            model = d.get("model")
            if type(model) is not str or not model:
                other += 1
                continue
            if not proven and name in names:
                names[name] = outcome, True
            ts = d.get("timestamp")
            if (
                type(ts) is not str
                or len(ts) != _CANONICAL_LENGTH
                or ts[-1] != "Z"
                # Shaped like logmoji's own: parsed once per second, as the second changes.
                or (ts[:_SECOND] != second and canonical_timestamp(ts) != ts)
            ):
                ts = canonical_timestamp(ts)
            if windowed and (
                (since is not None and (ts is None or ts < since))
                or (until is not None and (ts is None or ts >= until))
            ):
                outside += 1
                continue
            if default_by:
                provider = d.get("provider")
                if type(provider) is not str:
                    if provider is None:
                        try:
                            provider = providers[model]
                        except KeyError:
                            provider = providers[model] = infer_provider(model) or None
                    else:
                        provider = _hashable(provider)
                key: tuple[object, ...] = (provider, model)
            else:
                key = key_of(d)
            group = groups.get(key)
            if group is None:
                group = groups[key] = Group()
            group.requests += 1
            succeeded = outcome == "succeeded"
            if not succeeded:
                if outcome == "failed":
                    group.failed += 1
                    error, error_type = d.get("error"), d.get("error_type")
                    try:
                        category = categories[error, error_type]
                    except KeyError:
                        category = error_category(error, error_type)
                        if len(categories) < 4096:
                            categories[error, error_type] = category
                    except TypeError:  # a list or object as the error: not cacheable
                        category = error_category(error, error_type)
                    errors = group.errors
                    errors[category] = errors.get(category, 0) + 1
                    if ts is not None:
                        at_minute = ts[:_MINUTE]
                        failed_per_minute[at_minute] = failed_per_minute.get(at_minute, 0) + 1
                        failed_per_second = self.failed_per_second
                        if failed_per_second is not None:
                            at_second = ts[:_SECOND]
                            failed_per_second[at_second] = failed_per_second.get(at_second, 0) + 1
                else:
                    group.cancelled += 1
            value = d.get("prompt_tokens")
            if value is None:
                value = d.get("input_tokens")
            known = False
            if type(value) is int:
                group.input += value
                known = True
            value = d.get("completion_tokens")
            if value is None:
                value = d.get("output_tokens")
            if type(value) is int:
                output = value
                known = True
            else:
                output = 0
            group.output += output
            # A finished call that says nothing of its usage (a raw response never
            # read, a hand-written event without counts) is not a call of 0 tokens.
            if succeeded and (not known or d.get("usage_known") is False):
                group.unknown += 1
            value = d.get("cached_tokens")
            if value and type(value) is int:  # mostly 0: nothing to add
                group.cached += value
            value = d.get("reasoning_tokens")
            if value and type(value) is int:  # mostly 0: nothing to add
                group.reasoning += value
            value = d.get("cost_usd")
            if type(value) is float or type(value) is int:
                group.cost += value
                group.priced += 1
            value = d.get("retries")
            if value and type(value) is int:  # mostly 0: nothing to add
                group.retries += value
            duration = d.get("duration_ms")
            if type(duration) is float or type(duration) is int:
                group.latency.append(duration)
            else:
                duration = None
            value = d.get("ttft_ms")
            if value is not None and (type(value) is float or type(value) is int):
                group.ttft.append(value)
            value = d.get("tokens_per_second")
            if value is not None and (type(value) is float or type(value) is int):
                group.tps.append(value)
            elif succeeded and output > 0 and duration is not None and duration > 0:
                group.tps.append(round(output * 1000.0 / duration, 2))
            if ts is not None:
                if ts[:_SECOND] != second:  # ts is canonical: a slice beats startswith
                    self._count_second(second, in_second)
                    second, in_second = ts[:_SECOND], 0
                in_second += 1
                if last is None or ts > last:
                    last = ts
                if first is None or ts < first:
                    first = ts
            calls += 1
        self._count_second(second, in_second)
        self.first, self.last = first, last
        self.lines += len(lines) - blank
        self.calls += calls
        self.other += other
        self.skipped += skipped
        self.outside += outside

    def _count_second(self, second: str, count: int) -> None:
        if count:
            minute = second[:_MINUTE]
            self.per_minute[minute] = self.per_minute.get(minute, 0) + count
            per_second = self.per_second
            if per_second is not None:
                per_second[second] = per_second.get(second, 0) + count
                if len(per_second) > MAX_SECONDS:
                    self.per_second = self.failed_per_second = None

    def sort(self, at_least: int = 1) -> None:
        """Seal every group's series of ``at_least`` values or more (see ``Group.sort``)."""
        for group in self.groups.values():
            group.sort(at_least)

    def merge(self, other: Accumulator) -> None:
        """Add ``other``'s counts to these."""
        self.runs.merge(other.runs)
        for key, group in other.groups.items():
            mine = self.groups.get(key)
            if mine is None:
                self.groups[key] = group
            else:
                mine.merge(group)
        self.lines += other.lines
        self.calls += other.calls
        self.other += other.other
        self.skipped += other.skipped
        self.outside += other.outside
        for minute, count in other.per_minute.items():
            self.per_minute[minute] = self.per_minute.get(minute, 0) + count
        for minute, count in other.failed_per_minute.items():
            self.failed_per_minute[minute] = self.failed_per_minute.get(minute, 0) + count
        seconds, failed_seconds = self.per_second, self.failed_per_second
        if seconds is None or failed_seconds is None or other.per_second is None:
            self.per_second = self.failed_per_second = None
        else:
            for second, count in other.per_second.items():
                seconds[second] = seconds.get(second, 0) + count
            for second, count in (other.failed_per_second or {}).items():
                failed_seconds[second] = failed_seconds.get(second, 0) + count
            if len(seconds) > MAX_SECONDS:
                self.per_second = self.failed_per_second = None
        if other.first is not None and (self.first is None or other.first < self.first):
            self.first = other.first
        if other.last is not None and (self.last is None or other.last > self.last):
            self.last = other.last
