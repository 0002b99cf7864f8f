"""``logmoji report``: summarize LLM usage from JSON-lines logs (see :mod:`logmoji.report`)."""

from __future__ import annotations

import argparse
import os
import sys
import time
from typing import IO, Any

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Summarize the LLM calls in logmoji's JSON-lines logs, per provider and model
(or any field): calls, failures by error category, input/output/cached tokens,
cost, latency p50/p95/p99, time to first token and tokens per second.

A line counts as one LLM call when its event ends in _completed, _failed or
_cancelled, it has a 'model' field, and the event does not start with
model_load, model_unload, model_download, training, fine_tuning, batch_ or
cache_ (lifecycle and batch events). So logmoji's instrumentation events
(chat_request_completed, messages_request_failed, stream_completed...) count,
and so do hand-written ones such as inference_completed. The suffix tells how
the call ended: completed, failed or cancelled. A failure's category is its
'error' field (free text is sorted into timeout, rate_limit_exceeded,
context_length_exceeded, overloaded or connection_error). Tokens come from
prompt_tokens (or input_tokens) and completion_tokens (or output_tokens);
cost from cost_usd; latency from duration_ms; time to first token from
ttft_ms; tokens per second from tokens_per_second, else output tokens over
duration. Percentiles are exact, nearest-rank: the value at rank
ceil(p/100 x n) of the sorted values.

Lines that are not JSON log events (malformed or foreign) are skipped and
counted. Files may be gzip-compressed; '-' reads standard input.
"""

_EPILOG = """\
examples:
  logmoji report app.jsonl
  logmoji report logs/*.jsonl.gz --since 7d --by user_id
  logmoji report app.jsonl --since 2026-11-01 --until 2026-12-01 --json
  kubectl logs my-pod | logmoji report - --csv > usage.csv
  logmoji report app.jsonl --html usage.html
"""

_PROGRESS_MIN_BYTES = 50 << 20


def add_parser(subparsers: Any) -> None:
    """Add the ``report`` sub-command."""
    parser = subparsers.add_parser(
        "report",
        help="summarize LLM usage (calls, errors, tokens, cost, latency) from JSON logs",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "files", nargs="+", metavar="FILE", help="JSON-lines log file (.gz too), or - for stdin"
    )
    parser.add_argument(
        "--by",
        action="append",
        metavar="FIELD[,FIELD]",
        help="group calls by these fields (default: provider,model); e.g. user_id; "
        "'user' also reads user_id",
    )
    parser.add_argument(
        "--since",
        metavar="WHEN",
        help="only calls at or after WHEN: an ISO date/time (UTC unless it has an offset) "
        "or a duration ago such as 30m, 1h, 7d; calls without a timestamp are left out",
    )
    parser.add_argument("--until", metavar="WHEN", help="only calls before WHEN (same forms)")
    output = parser.add_mutually_exclusive_group()
    output.add_argument(
        "--json",
        action="store_true",
        help="print JSON (schema logmoji.report/1) instead of a table",
    )
    output.add_argument("--csv", action="store_true", help="print CSV, one row per group")
    parser.add_argument(
        "--html",
        metavar="FILE",
        help="also write a self-contained HTML page with charts to FILE",
    )
    parser.add_argument(
        "--workers",
        type=int,
        metavar="N",
        help="processes for large files (default: one per CPU; 1 reads in this process)",
    )
    parser.set_defaults(handler=run)


class _Progress:
    """Show how much was read, on one rewritten stderr line, a few times a second."""

    def __init__(self, stream: IO[str], clock: Any = time.monotonic) -> None:
        self._stream = stream
        self._clock = clock
        self._next = 0.0
        self._shown = False

    def __call__(self, done: int, total: int) -> None:
        now = self._clock()
        if now < self._next or total < _PROGRESS_MIN_BYTES:
            return
        self._next = now + 0.2
        self._shown = True
        share = min(done / total, 1.0)
        self._stream.write(f"\rreading {done >> 20:,} / {total >> 20:,} MB ({share:.0%})")
        self._stream.flush()

    def clear(self) -> None:
        if self._shown:
            self._stream.write("\r\x1b[K")
            self._stream.flush()


def _fields(values: list[str] | None) -> tuple[str, ...]:
    from logmoji.cli import CommandError

    if not values:
        return ("provider", "model")
    fields = tuple(f.strip() for value in values for f in value.split(",") if f.strip())
    if not fields:
        raise CommandError("--by needs one or more field names, such as --by user_id")
    return fields


def _write(text: str, stream: IO[str]) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:  # a terminal that cannot show emoji or block characters
        stream.write(text.encode("ascii", "replace").decode("ascii"))
    stream.flush()


def run(args: argparse.Namespace) -> int:
    """Summarize the files and print the report."""
    from logmoji.cli import CommandError
    from logmoji.report import parse_when, render_csv, render_html, render_text, summarize

    try:
        since = parse_when(args.since) if args.since else None
        until = parse_when(args.until) if args.until else None
    except ValueError as exc:
        raise CommandError(f"--since/--until: {exc}") from None
    if args.workers is not None and args.workers < 1:
        raise CommandError(f"--workers must be 1 or more, not {args.workers}")
    if args.files.count("-") > 1:
        raise CommandError("standard input ('-') can be read only once")
    progress = _Progress(sys.stderr) if _isatty(sys.stderr) else None
    try:
        report = summarize(
            args.files,
            by=_fields(args.by),
            since=since,
            until=until,
            workers=args.workers,
            progress=progress,
        )
    except OSError as exc:
        raise CommandError(_describe(exc)) from None
    except ValueError as exc:
        raise CommandError(str(exc)) from None
    finally:
        if progress is not None:
            progress.clear()
    if args.html:
        try:
            with open(args.html, "w", encoding="utf-8") as page:
                page.write(render_html(report))
        except OSError as exc:
            raise CommandError(f"cannot write {args.html}: {exc.strerror or exc}") from None
    if args.json:
        import orjson

        data = orjson.dumps(report.to_dict(), option=orjson.OPT_INDENT_2).decode()
        _write(data + "\n", sys.stdout)
    elif args.csv:
        _write(render_csv(report), sys.stdout)
    else:
        _write(render_text(report), sys.stdout)
    if args.html:
        _write(f"📄 wrote {os.path.abspath(args.html)}\n", sys.stderr)
    return 0


def _describe(exc: OSError) -> str:
    if exc.filename is not None and exc.strerror:
        return f"cannot read {exc.filename}: {exc.strerror}"
    return str(exc)


def _isatty(stream: Any) -> bool:
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams are no terminals
        return False
