"""``logmoji demo``: run a realistic LLM workload and show what logmoji logs."""

from __future__ import annotations

import argparse
import sys
import time
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Add the ``demo`` sub-command."""
    parser = subparsers.add_parser(
        "demo",
        help="run an LLM workload through the real SDKs and show the logs",
        description=(
            "Start a fake OpenAI/Anthropic server on 127.0.0.1 and run a scripted workload "
            "through the real openai and anthropic SDKs, instrumented by logmoji: chat, "
            "streams, the responses API, embeddings, Anthropic messages, a cache miss and "
            "hit, retries and failures of every kind, a batch of 20 requests, a model load "
            "and a training loop. Prints the emoji console log, writes the same events as "
            "JSON lines, and ends with the usage report."
        ),
    )
    parser.add_argument(
        "--json-log",
        default="logmoji-demo.jsonl",
        metavar="FILE",
        help="JSON-lines file to write (default: logmoji-demo.jsonl)",
    )
    parser.add_argument(
        "--live",
        action="store_true",
        help="use the real OpenAI and Anthropic APIs (needs OPENAI_API_KEY "
        "and ANTHROPIC_API_KEY; fault steps are skipped)",
    )
    parser.add_argument(
        "--no-report", dest="report", action="store_false", help="skip the usage report at the end"
    )
    color = parser.add_mutually_exclusive_group()
    color.add_argument(
        "--color",
        dest="colors",
        action="store_const",
        const=True,
        default=None,
        help="colour the log lines (default: on a terminal)",
    )
    color.add_argument("--no-color", dest="colors", action="store_const", const=False)
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Run the demo; print the usage report of its JSON log."""
    import importlib.util

    from logmoji.cli import CommandError
    from logmoji.demo import live_keys_missing, run_demo

    start = time.perf_counter()
    # Only look for the SDKs here: importing them takes seconds, which the demo
    # spends in the background while its first section runs.
    for module, extra in (("openai", "openai"), ("anthropic", "anthropic")):
        if importlib.util.find_spec(module) is None:
            raise CommandError(f"needs the {module} SDK: pip install 'logmoji[{extra}]'")
    if args.live:
        missing = live_keys_missing()
        if missing:
            raise CommandError(
                f"--live calls the real APIs and needs {' and '.join(missing)} set; "
                "without --live the demo runs on the embedded fake provider"
            )
    try:
        open(args.json_log, "a").close()
    except OSError as exc:
        raise CommandError(f"cannot write {args.json_log}: {exc.strerror}") from None
    run_demo(json_log=args.json_log, live=args.live, colors=args.colors)
    elapsed = time.perf_counter() - start
    out = sys.stdout
    out.write(f"\nThe same events, as JSON lines: {args.json_log}\n")
    if args.report:
        from logmoji.report import render_text, summarize

        out.write(f"\n── usage report (logmoji report {args.json_log})\n\n")
        out.write(render_text(summarize([args.json_log])))
        out.write("\n")
    out.write(f"Demo finished in {elapsed:.1f} s.\n")
    return 0
