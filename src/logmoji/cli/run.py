"""``logmoji run -- COMMAND``: run a Python program with its LLM calls logged, unchanged."""

from __future__ import annotations

import argparse
import contextlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

__all__ = ["add_parser", "child_environment", "run"]


def add_parser(subparsers: Any) -> None:
    """Add the ``run`` sub-command."""
    parser = subparsers.add_parser(
        "run",
        help="run a Python program with the OpenAI, Anthropic and Google Gen AI SDKs instrumented",
        description=(
            "Run COMMAND (a Python program: 'python app.py', 'python -m pkg', or a "
            "Python console script) with logmoji set up and every OpenAI, Anthropic and "
            "Google Gen AI (google.genai) client instrumented, without changing its "
            "code. The program's exit status is passed through. logmoji's settings come "
            "from the LOGMOJI_* environment variables. At the end the usage report is "
            "printed on stderr."
        ),
        epilog="Example: logmoji run --json-log calls.jsonl -- python app.py --flag",
    )
    parser.add_argument(
        "--json-log",
        metavar="FILE",
        default=None,
        help="also write every event as JSON lines to FILE (kept afterwards)",
    )
    parser.add_argument(
        "--report",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="print the usage report when the program ends (default: yes)",
    )
    parser.add_argument(
        "program",  # not "command": that names the sub-command in the top-level parser
        nargs=argparse.REMAINDER,
        metavar="-- COMMAND ...",
        help="the program and its arguments",
    )
    parser.set_defaults(handler=run)


def child_environment(environ: dict[str, str], json_log: str) -> dict[str, str]:
    """Return the environment that makes a Python child set up logmoji at start-up."""
    here = str(Path(__file__).resolve().parent.parent / "_sitecustomize")
    paths = [here, *filter(None, environ.get("PYTHONPATH", "").split(os.pathsep))]
    # `python` and `python3` in the command mean the interpreter logmoji is
    # installed in (as with `uv run`), even from a venv that is not activated.
    bin_dir = os.path.dirname(sys.executable)
    path = [bin_dir, *(p for p in environ.get("PATH", "").split(os.pathsep) if p != bin_dir)]
    return {
        **environ,
        "PATH": os.pathsep.join(filter(None, path)),
        "PYTHONPATH": os.pathsep.join(paths),
        "LOGMOJI_RUN": "1",
        "LOGMOJI_RUN_PYTHON": sys.executable,
        "LOGMOJI_JSON_FILE": json_log,
    }


def run(args: argparse.Namespace) -> int:
    """Run the command; print the report; return its exit status."""
    from logmoji.cli import CommandError

    command = list(args.program)
    if command and command[0] == "--":
        command = command[1:]
    if not command:
        raise CommandError("no command given; usage: logmoji run [options] -- python app.py")
    with contextlib.ExitStack() as stack:
        if args.json_log is None:
            folder = stack.enter_context(tempfile.TemporaryDirectory(prefix="logmoji-run-"))
            json_log = os.path.join(folder, "events.jsonl")
        else:
            json_log = args.json_log
        try:
            Path(json_log).touch()
        except OSError as exc:
            raise CommandError(f"cannot write {json_log}: {exc.strerror}") from None
        env = child_environment(dict(os.environ), json_log)
        try:
            process = subprocess.Popen(command, env=env)
        except FileNotFoundError:
            raise CommandError(f"command not found: {command[0]}", status=127) from None
        except PermissionError:
            raise CommandError(f"cannot execute {command[0]}", status=126) from None
        while True:
            try:
                status = process.wait()
                break
            except KeyboardInterrupt:
                continue  # the child got the same Ctrl-C; wait for it to finish
        if args.report:
            _report(json_log, kept=args.json_log is not None)
    return status if status >= 0 else 128 - status


def _report(json_log: str, *, kept: bool) -> None:
    import dataclasses

    from logmoji.report import render_text, summarize

    try:
        report = summarize([json_log])
    except OSError as exc:
        sys.stderr.write(f"logmoji run: no report: {exc}\n")
        return
    if not kept:  # name no temporary file: it is deleted with its folder
        report = dataclasses.replace(
            report, sources=("this run (--json-log FILE keeps its events)",)
        )
    sys.stderr.write("\n" + render_text(report) + "\n")
