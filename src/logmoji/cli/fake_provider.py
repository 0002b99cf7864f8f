"""``logmoji fake-provider``: run the fake OpenAI/Anthropic server in the foreground."""

from __future__ import annotations

import argparse
from typing import Any

__all__ = ["add_parser", "run"]


def add_parser(subparsers: Any) -> None:
    """Add the ``fake-provider`` sub-command."""
    parser = subparsers.add_parser(
        "fake-provider",
        help="run a fake OpenAI/Anthropic server on 127.0.0.1",
        description=(
            "Serve the OpenAI (chat completions, responses, embeddings) and Anthropic "
            "(messages) wire formats on 127.0.0.1, with deterministic replies, tool "
            "calls when tools are offered, usage, rate-limit headers and fault "
            "injection (send the header 'x-fake-fault: rate_limit', for example). "
            "Point any client at the printed URLs."
        ),
    )
    parser.add_argument("--port", type=int, default=8787, help="port to listen on (default 8787)")
    parser.add_argument(
        "--latency", type=float, default=0.0, help="seconds before each response (default 0)"
    )
    parser.add_argument(
        "--ttft",
        type=float,
        default=0.0,
        help="seconds before the first streamed token (default 0)",
    )
    parser.add_argument(
        "--tokens-per-second",
        type=float,
        default=None,
        help="pace streamed tokens (default: as fast as possible)",
    )
    parser.add_argument(
        "--reply-tokens", type=int, default=24, help="words in each reply (default 24)"
    )
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> int:
    """Serve until interrupted."""
    from logmoji.cli import CommandError
    from logmoji.testing._fake_provider import serve

    if not 0 <= args.port <= 65535:
        raise CommandError(f"--port must be between 0 and 65535, not {args.port}")
    try:
        serve(
            port=args.port,
            latency=args.latency,
            ttft=args.ttft,
            tokens_per_second=args.tokens_per_second,
            reply_tokens=args.reply_tokens,
        )
    except OSError as exc:
        raise CommandError(f"cannot listen on 127.0.0.1:{args.port}: {exc.strerror}") from None
    return 0
