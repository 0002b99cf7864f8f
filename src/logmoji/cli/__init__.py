"""The ``logmoji`` command: a thin layer over library functions.

Each sub-command lives in its own module exposing ``add_parser(subparsers)``
and ``run(args) -> int``. Errors the user can fix (a missing file, a bad
option) print one line and exit non-zero; they never show a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Sequence

from logmoji import __version__

__all__ = ["CommandError", "main"]

_COMMANDS = ("demo", "report", "pretty", "run", "fake_provider")


class CommandError(Exception):
    """A problem to report in one line, with exit status ``status``."""

    def __init__(self, message: str, status: int = 2) -> None:
        super().__init__(message)
        self.status = status


def build_parser() -> argparse.ArgumentParser:
    """Return the parser of the ``logmoji`` command and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog="logmoji",
        description="Structured, emoji-annotated logs for LLM applications.",
        epilog="Run 'logmoji COMMAND --help' for a command's options.",
    )
    parser.add_argument("--version", action="version", version=f"logmoji {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name in _COMMANDS:
        try:
            module = importlib.import_module(f"logmoji.cli.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"logmoji.cli.{name}":
                raise
            continue
        module.add_parser(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``logmoji`` command with ``argv`` (``sys.argv[1:]`` by default)."""
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return 0
    try:
        status: int = args.handler(args)
    except CommandError as exc:
        print(f"logmoji {args.command}: {exc}", file=sys.stderr)
        return exc.status
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        # The reader (say, `| head`) went away: stop quietly, as Unix tools do.
        sys.stderr.close()
        return 0
    return status


if __name__ == "__main__":
    sys.exit(main())
