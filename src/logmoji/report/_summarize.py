"""Summarize log files into a :class:`~logmoji.report.Report`, in parallel when they are big.

Large plain files are cut into byte ranges (see :mod:`logmoji.report._read`)
read by worker processes, one per CPU; each worker returns an
:class:`~logmoji.report._aggregate.Accumulator` with its value lists already
sorted, and the parent merges them. Standard input and gzip files are read
whole, by one process each. Small inputs are read in this process, where
starting workers would cost more than it saves.
"""

from __future__ import annotations

import concurrent.futures
import math
import multiprocessing
import os
import threading
from array import array
from collections.abc import Callable, Sequence
from concurrent.futures.process import BrokenProcessPool
from datetime import UTC, datetime
from typing import Any

from logmoji.report._aggregate import (
    DEFAULT_GROUP_BY,
    Accumulator,
    Group,
    canonical_timestamp,
)
from logmoji.report._model import (
    LATENCY_EDGES_MS,
    Distribution,
    Report,
    TimeBucket,
    UsageSummary,
    histogram_of_parts,
)
from logmoji.report._read import (
    Unit,
    byte_ranges,
    is_gzip,
    line_batches,
    read_unit,
    source_size,
)
from logmoji.report._sorted import MIN_MEAN_PART

__all__ = ["PARALLEL_MIN_BYTES", "summarize"]

#: Inputs smaller than this are read in the calling process.
PARALLEL_MIN_BYTES = 32 << 20
_MAX_WORKERS = 8
_SECOND_CHOICES = (1, 2, 5, 10, 15, 30)
_BUCKET_CHOICES = (60, 300, 600, 900, 1800, 3600, 7200, 10800, 21600, 43200, 86400, 604800)
_MAX_BUCKETS = 60
_PROGRESS_SECONDS = 0.2

# In a worker process: the shared progress counters, one per unit (set by _init_worker).
_worker_state: dict[str, Any] = {}


def summarize(
    sources: Sequence[str | os.PathLike[str]],
    *,
    by: Sequence[str] = DEFAULT_GROUP_BY,
    since: datetime | None = None,
    until: datetime | None = None,
    workers: int | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Report:
    """Read JSON-lines logs and summarize their LLM calls per group.

    Args:
        sources: Log files (plain or gzip, detected by content) or ``"-"`` for
            standard input.
        by: Fields to group calls by (``provider`` and ``model`` by default).
        since: Count only calls logged at or after this time (naive means UTC).
        until: Count only calls logged before this time.
        workers: Processes for large plain files; ``None`` means one per CPU
            (at most 8), ``1`` reads everything in this process.
        progress: Called now and then with ``(bytes_read, bytes_total)``;
            ``bytes_total`` is 0 when the size is unknown (standard input).

    Raises:
        ValueError: No sources, an empty field name, or ``since`` not before ``until``.
        OSError: A file is missing or unreadable, or its gzip data is corrupt.
    """
    names = [os.fspath(source) for source in sources]
    fields = tuple(dict.fromkeys(by))  # each field once, in the order given
    if not names:
        raise ValueError("give at least one log file, or '-' for standard input")
    if not fields or not all(isinstance(f, str) and f.strip() for f in fields):
        raise ValueError(f"group by one or more field names such as 'model', not {list(by)!r}")
    start, end = _moment(since), _moment(until)
    if start is not None and end is not None and start >= end:
        raise ValueError(f"since ({start}) must be before until ({end})")
    sizes = [source_size(name) for name in names]
    count = workers if workers is not None else _cpus()
    units = _plan(names, sizes, count)
    # Workers read regular files by name. Standard input and pipes (``<(zcat x.gz)``,
    # /dev/stdin) are read here: a worker gets no standard input, and a pipe is read once.
    files = [unit for unit in units if os.path.isfile(unit.path)]
    streams = [unit for unit in units if not os.path.isfile(unit.path)]
    total = sum(sizes)
    acc: Accumulator | None = None
    if count > 1 and len(files) > 1 and total >= PARALLEL_MIN_BYTES:
        acc = _run_parallel(
            files, workers=count, by=fields, since=start, until=end, total=total, progress=progress
        )
    if acc is None:
        acc = _run_here(files, by=fields, since=start, until=end, total=total, progress=progress)
    if streams:
        piped = _run_here(streams, by=fields, since=start, until=end, total=0, progress=None)
        acc.merge(piped)
    return build_report(acc, tuple(names))


def _moment(when: datetime | None) -> str | None:
    if when is None:
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return canonical_timestamp(when.isoformat())


def _cpus() -> int:
    try:
        count = len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        count = os.cpu_count() or 1
    return max(1, min(count, _MAX_WORKERS))


def _plan(names: list[str], sizes: list[int], workers: int) -> list[Unit]:
    """Return the units to read: big plain files cut so each worker gets a similar share."""
    if workers < 1:
        raise ValueError(f"workers must be 1 or more, not {workers}")
    plain = [os.path.isfile(name) and not is_gzip(name) for name in names]
    plain_bytes = sum(size for size, is_plain in zip(sizes, plain, strict=True) if is_plain)
    share = max(PARALLEL_MIN_BYTES // 2, math.ceil(plain_bytes / workers))
    units: list[Unit] = []
    for name, size, is_plain in zip(names, sizes, plain, strict=True):
        if workers > 1 and is_plain and size > share:
            units.extend(byte_ranges(name, size, math.ceil(size / share)))
        else:
            units.append(Unit(name, size=size))
    if workers == 1:
        return units
    return sorted(units, key=lambda unit: -unit.size)


def _run_here(
    units: list[Unit],
    *,
    by: tuple[str, ...],
    since: str | None,
    until: str | None,
    total: int,
    progress: Callable[[int, int], None] | None,
) -> Accumulator:
    acc = Accumulator(by, since, until)
    done = 0

    def on_read(count: int) -> None:
        nonlocal done
        done += count
        if progress is not None:
            progress(done, total)

    for unit in units:
        for batch in line_batches(read_unit(unit, on_read)):
            acc.feed(batch)
    return acc


def _init_worker(shared: Any) -> None:
    _worker_state["progress"] = shared


def _work(
    unit: Unit, index: int, by: tuple[str, ...], since: str | None, until: str | None
) -> Accumulator:
    """Read one unit in a worker process; return its sorted totals."""
    acc = Accumulator(by, since, until)
    shared = _worker_state.get("progress")
    done = 0

    def on_read(count: int) -> None:
        nonlocal done
        done += count
        if shared is not None:
            shared[index] = done

    for batch in line_batches(read_unit(unit, on_read)):
        acc.feed(batch)
    acc.sort(MIN_MEAN_PART)
    return acc


def _run_parallel(
    units: list[Unit],
    *,
    workers: int,
    by: tuple[str, ...],
    since: str | None,
    until: str | None,
    total: int,
    progress: Callable[[int, int], None] | None,
) -> Accumulator | None:
    """Read ``units`` in worker processes; ``None`` if processes cannot be used here."""
    methods = multiprocessing.get_all_start_methods()
    # fork starts a worker in milliseconds, but is only safe while no other thread runs.
    if "fork" in methods and threading.active_count() == 1:
        method = "fork"
    else:
        method = "forkserver" if "forkserver" in methods else "spawn"
    context = multiprocessing.get_context(method)
    try:
        shared = context.Array("q", len(units), lock=False)
        pool = concurrent.futures.ProcessPoolExecutor(
            min(workers, len(units)),
            mp_context=context,
            initializer=_init_worker,
            initargs=(shared,),
        )
    # No process support (a sandbox without semaphores, say): read here instead.
    except (OSError, ImportError, NotImplementedError):
        return None
    with pool:
        try:
            futures = [
                pool.submit(_work, unit, index, by, since, until)
                for index, unit in enumerate(units)
            ]
            pending = set(futures)
            while pending:
                _, pending = concurrent.futures.wait(pending, timeout=_PROGRESS_SECONDS)
                if progress is not None:
                    progress(min(sum(shared), total), total)
            results = [future.result() for future in futures]
        except BrokenProcessPool:  # a worker died (killed, out of memory): read here instead
            return None
    merged = results[0]
    for part in results[1:]:
        merged.merge(part)
    return merged


def _summary(key: tuple[object, ...], group: Group) -> UsageSummary:
    latency, ttft, tps = group.read()
    return UsageSummary(
        key=key,
        requests=group.requests,
        succeeded=group.requests - group.failed - group.cancelled,
        failed=group.failed,
        cancelled=group.cancelled,
        errors=tuple(sorted(group.errors.items(), key=lambda item: (-item[1], item[0]))),
        input_tokens=group.input,
        output_tokens=group.output,
        cached_tokens=group.cached,
        reasoning_tokens=group.reasoning,
        cost_usd=round(group.cost, 9),
        priced_requests=group.priced,
        usage_unknown=group.unknown,
        retries=group.retries,
        latency_ms=Distribution.of_parts(latency),
        ttft_ms=Distribution.of_parts(ttft),
        tokens_per_second=Distribution.of_parts(tps),
        latency_histogram=histogram_of_parts(latency, LATENCY_EDGES_MS),
    )


def build_report(acc: Accumulator, sources: tuple[str, ...]) -> Report:
    """Turn the totals of ``acc`` into a :class:`Report`."""
    everything = Group()
    summaries = []
    for key, group in acc.groups.items():
        summaries.append(_summary(key, group))
        everything.merge(group)
    summaries.sort(key=lambda s: (-s.requests, [str(v) for v in s.key]))
    if acc.per_second and acc.failed_per_second is not None:
        bucket, timeline = _timeline(acc.per_second, acc.failed_per_second)
    else:
        bucket, timeline = _timeline(acc.per_minute, acc.failed_per_minute)
    return Report(
        group_by=acc.by,
        groups=tuple(summaries),
        total=_summary((), everything),
        lines=acc.lines,
        calls=acc.calls,
        other_events=acc.other,
        skipped=acc.skipped,
        outside_window=acc.outside,
        since=acc.since,
        until=acc.until,
        first=acc.first,
        last=acc.last,
        bucket_seconds=bucket,
        timeline=timeline,
        sources=sources,
        runs=acc.runs.view(),
    )


def _timeline(
    per_minute: dict[str, int], failed_per_minute: dict[str, int]
) -> tuple[int, tuple[TimeBucket, ...]]:
    """Re-bucket per-minute (or per-second) counts into at most 60 buckets, gaps included.

    Keys are ``2026-11-27T10:22`` (minutes) or ``2026-11-27T10:22:33`` (seconds);
    seconds give buckets of a second to 30 seconds when the calls span less than
    an hour, so a short log does not show as one full-width bar.
    """
    if not per_minute:
        return 60, ()
    days: dict[str, int] = {}

    def epoch(minute: str) -> int:
        day = minute[:10]
        base = days.get(day)
        if base is None:
            base = days[day] = int(datetime.fromisoformat(day).replace(tzinfo=UTC).timestamp())
        seconds = int(minute[17:19]) if len(minute) >= 19 else 0
        return base + int(minute[11:13]) * 3600 + int(minute[14:16]) * 60 + seconds

    counts = {epoch(m): n for m, n in per_minute.items()}
    failed = {epoch(m): n for m, n in failed_per_minute.items()}
    lo, hi = min(counts), max(counts)
    choices: tuple[int, ...] = _BUCKET_CHOICES
    if len(next(iter(per_minute))) >= 19:
        if hi - lo >= 3600:  # seconds are not needed: re-count per minute
            return _timeline(_per_minute(per_minute), _per_minute(failed_per_minute))
        choices = _SECOND_CHOICES + _BUCKET_CHOICES
    size = next((s for s in choices if (hi // s - lo // s) < _MAX_BUCKETS), choices[-1])
    n = hi // size - lo // size + 1
    requests = array("q", bytes(8 * n))
    failures = array("q", bytes(8 * n))
    first = lo // size
    for moment, count in counts.items():
        requests[moment // size - first] += count
    for moment, count in failed.items():
        failures[moment // size - first] += count
    buckets = tuple(
        TimeBucket(
            datetime.fromtimestamp((first + i) * size, UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            requests[i],
            failures[i],
        )
        for i in range(n)
    )
    return size, buckets


def _per_minute(per_second: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for second, count in per_second.items():
        out[second[:16]] = out.get(second[:16], 0) + count
    return out
