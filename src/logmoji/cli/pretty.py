"""``logmoji pretty``: show JSON-lines logs as emoji console lines (see :mod:`logmoji.pretty`)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Iterator
from contextlib import nullcontext
from typing import IO, Any

__all__ = ["add_parser", "run"]

_DESCRIPTION = """\
Show JSON-lines logs (logmoji's, or any structlog JSON output) as aligned
console lines with emojis, from a file or standard input. A line without an
'emoji' field gets the one logmoji would have chosen from its logger and
event name. Each line shows its own time. Lines that are not JSON objects are
printed unchanged.
"""

_EPILOG = """\
examples:
  logmoji pretty app.jsonl
  python app.py 2>&1 | logmoji pretty
  logmoji pretty -f app.jsonl --level info --module-levels httpx=warning
"""


def add_parser(subparsers: Any) -> None:
    """Add the ``pretty`` sub-command."""
    parser = subparsers.add_parser(
        "pretty",
        help="show JSON-lines logs as emoji console lines (like tail -f with --follow)",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument(
        "file", nargs="?", default="-", metavar="FILE", help="log file (.gz too); - or none: stdin"
    )
    parser.add_argument(
        "-f",
        "--follow",
        action="store_true",
        help="keep reading lines appended to FILE, like tail -f (Ctrl-C stops)",
    )
    parser.add_argument(
        "-n",
        "--lines",
        type=int,
        metavar="N",
        help="with --follow, start with the last N lines (default 10)",
    )
    parser.add_argument(
        "--level",
        default="debug",
        metavar="LEVEL",
        help="lowest level shown: debug (default), info, warning, error or critical",
    )
    parser.add_argument(
        "--module-levels",
        metavar="SPEC",
        help="levels per logger-name prefix, as LOGMOJI_MODULE_LEVELS: 'httpx=warning,llm=debug'",
    )
    parser.add_argument(
        "--color",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="colour the output (default: on a terminal, unless NO_COLOR is set)",
    )
    parser.set_defaults(handler=run)


def _levels(level: str, spec: str | None) -> dict[str, str]:
    """Check ``--level`` and return the ``--module-levels`` mapping."""
    from logmoji.cli import CommandError
    from logmoji.logger.config import parse_level

    levels: dict[str, str] = {}
    try:
        parse_level(level, "--level")
        for part in filter(None, (p.strip() for p in (spec or "").split(","))):
            name, sep, value = part.partition("=")
            if not sep or not name.strip():
                raise CommandError(
                    f"--module-levels must look like 'httpx=warning,llm=debug', not {spec!r}"
                )
            levels[name.strip()] = value.strip()
            parse_level(value, f"--module-levels entry {name.strip()!r}")
    except ValueError as exc:  # ConfigurationError: the message says what to write
        raise CommandError(str(exc)) from None
    return levels


def _colors(choice: bool | None, stream: IO[str]) -> bool:
    if choice is not None:
        return choice
    if os.environ.get("NO_COLOR"):
        return False
    if os.environ.get("FORCE_COLOR"):
        return True
    try:
        return bool(stream.isatty())
    except (AttributeError, ValueError):  # replaced or closed streams are no terminals
        return False


def _read(path: str) -> Iterator[bytes]:
    """Yield the lines of a file, a pipe or stdin (``-``), decompressing gzip."""
    import gzip

    with open(path, "rb") if path != "-" else nullcontext(sys.stdin.buffer) as raw:
        # Peek rather than read: a pipe cannot be rewound.
        peek = getattr(raw, "peek", None)
        if peek is not None and peek(2)[:2] == b"\x1f\x8b":
            with gzip.GzipFile(fileobj=raw) as unpacked:
                yield from unpacked
        else:
            yield from raw


def run(args: argparse.Namespace) -> int:
    """Print the lines of the file (or stdin) as console lines."""
    from logmoji.cli import CommandError
    from logmoji.pretty import follow_lines, render_lines

    module_levels = _levels(args.level, args.module_levels)
    if args.lines is not None and args.lines < 0:
        raise CommandError(f"--lines must be 0 or more, not {args.lines}")
    if args.file != "-" and (os.path.isdir(args.file) or not os.path.exists(args.file)):
        reason = "is a directory" if os.path.isdir(args.file) else "No such file or directory"
        raise CommandError(f"cannot read {args.file}: {reason}")
    out = sys.stdout
    regular = os.path.isfile(args.file)
    live = args.follow or not regular
    source: Iterator[bytes] | Iterator[str]
    if args.follow and regular:  # a pipe or stdin is followed by reading it to its end
        last = 10 if args.lines is None else args.lines
        source = follow_lines(args.file, last=last, notice=_warn)
    else:
        source = _read(args.file)
    try:
        lines = render_lines(
            source,
            min_level=args.level,
            module_levels=module_levels,
            colors=_colors(args.color, out),
        )
        for line in lines:
            _write(out, line + "\n")
            if live:
                out.flush()
    except BrokenPipeError:
        raise  # the cli's main ends quietly, as Unix tools do
    except (OSError, EOFError) as exc:  # EOFError: a gzip file cut short
        raise CommandError(
            f"cannot read {args.file}: {getattr(exc, 'strerror', None) or exc}"
        ) from None
    except KeyboardInterrupt:
        if not args.follow:
            raise
        return 0  # Ctrl-C is how a follow ends: not an error
    out.flush()
    return 0


def _write(stream: IO[str], text: str) -> None:
    try:
        stream.write(text)
    except UnicodeEncodeError:  # a terminal that cannot show emoji
        stream.write(text.encode("ascii", "backslashreplace").decode("ascii"))


def _warn(message: str) -> None:
    print(f"logmoji pretty: {message}", file=sys.stderr, flush=True)
