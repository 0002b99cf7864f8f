"""Where finished lines go: an output that writes whole lines, never raising.

:class:`Output` writes one line at a time under a lock (no torn lines) to a
text or binary stream, escaping what the stream's encoding refuses, and
reports a broken stream once instead of raising. :class:`Sink` is the object
structlog wraps for each logger name. :class:`JSONLinesExporter` writes a
JSON copy of each event to a second output (``LoggingConfig.json_file``).
"""

from __future__ import annotations

import io
import sys
import threading
from typing import IO, Any

from logmoji.exceptions import ConfigurationError
from logmoji.logger.redact import MaskedRenderer, SecretTextMasker
from logmoji.logger.render import JSONRenderer, safe_repr

__all__ = ["JSONLinesExporter", "Output", "Sink", "last_resort", "open_json_output"]


class Output:
    """Write whole lines to a stream, one writer at a time, never raising."""

    def __init__(self, stream: IO[Any] | None) -> None:
        self.stream = stream
        self.lock = threading.Lock()
        self._kind: tuple[object, bool] = (None, False)  # (the last stream, whether binary)
        self.failures = 0

    def _is_binary(self, stream: Any) -> bool:
        binary = isinstance(stream, io.RawIOBase | io.BufferedIOBase) or (
            "b" in getattr(stream, "mode", "") and not isinstance(stream, io.TextIOBase)
        )
        self._kind = (stream, binary)
        return binary

    def write(self, line: object) -> None:
        """Write ``line`` (``str`` or ``bytes``; anything else is not a line) and a newline."""
        kind = type(line)
        if kind is not str and kind is not bytes:
            return
        given: Any = line  # str or bytes, as just checked
        stream: Any = self.stream if self.stream is not None else sys.stderr
        try:
            last, binary = self._kind
            if stream is not last:
                binary = self._is_binary(stream)
            if binary:
                data = given if kind is bytes else given.encode("utf-8", "backslashreplace")
                with self.lock:
                    stream.write(data + b"\n")
                    stream.flush()
                return
            text = given.decode("utf-8", "replace") if kind is bytes else given
            with self.lock:
                try:
                    stream.write(text + "\n")
                except UnicodeEncodeError:  # surrogates, or an ASCII file: escape what it refuses
                    encoding = str(getattr(stream, "encoding", None) or "ascii")
                    try:
                        safe = text.encode(encoding, "backslashreplace").decode(encoding)
                    except (LookupError, UnicodeError):
                        safe = text.encode("ascii", "backslashreplace").decode("ascii")
                    stream.write(safe + "\n")
                stream.flush()
        # The application must go on when its log stream is closed or broken.
        except Exception as exc:
            self.failures += 1
            if self.failures == 1:
                last_resort(
                    f"logmoji: cannot write to {safe_repr(stream)}: {safe_repr(exc)}; "
                    "further lines to it are dropped",
                    stream,
                )


def last_resort(message: str, failed: object) -> None:
    """Write ``message`` to stderr (the original one if ``failed`` is stderr), never raising."""
    try:
        err = sys.stderr if sys.stderr is not failed else sys.__stderr__
        if err is not None:
            err.write(message + "\n")
            err.flush()
    except Exception:  # nowhere left to report to
        pass


class Sink:
    """The logger object structlog wraps: it knows its name and writes finished lines."""

    __slots__ = ("msg", "name", "output")

    def __init__(self, name: str, output: Output) -> None:
        self.name = name
        self.output = output
        self.msg = output.write  # structlog calls logger.msg(line): straight to the output


class JSONLinesExporter:
    """Write a JSON-lines copy of each event to a second output; a processor before the renderer.

    The copy is rendered and masked like a JSON line on the main output; the
    event goes on to the main renderer unchanged.
    """

    def __init__(
        self, output: Output, *, max_value_chars: int, masker: SecretTextMasker | None
    ) -> None:
        self._output = output
        renderer = JSONRenderer(max_value_chars=max_value_chars)
        self._render: Any = renderer if masker is None else MaskedRenderer(renderer, masker)

    def __call__(self, logger: Any, method_name: str, event_dict: Any) -> Any:
        self._output.write(self._render(logger, method_name, dict(event_dict)))
        return event_dict


def open_json_output(path: str) -> Output:
    """Open ``path`` for appending JSON lines, or raise a ConfigurationError saying why."""
    try:
        stream = open(path, "ab")  # noqa: SIM115 (kept open until reconfiguration)
    except (OSError, ValueError) as exc:  # ValueError: a NUL byte in the path
        reason = getattr(exc, "strerror", None) or exc
        raise ConfigurationError(
            f"json_file: cannot open {path!r} for appending: {reason}"
        ) from None
    return Output(stream)
