"""Where finished lines go: an output that writes whole lines, never raising.

:class:`Output` writes one line at a time under a lock (no torn lines) to a
text or binary stream, escaping what the stream's encoding refuses, and
reports a broken stream once instead of raising. A write made while the same
thread is already writing (a signal handler that logs, landing mid-line) is
kept and written right after the line in progress, never interleaved and
never waiting on its own thread; after ``os.fork()`` every output's lock is
made anew in the child, where the thread that held it no longer exists. :class:`Sink` is the object
structlog wraps for each logger name. :class:`JSONLinesExporter` writes a
JSON copy of each event to a second output (``LoggingConfig.json_file``).
"""

from __future__ import annotations

import io
import os
import sys
import threading
import weakref
from typing import IO, Any

from logmoji.exceptions import ConfigurationError
from logmoji.logger.redact import MaskedRenderer, SecretTextMasker
from logmoji.logger.render import JSONRenderer, safe_repr

__all__ = ["JSONLinesExporter", "Output", "Sink", "last_resort", "open_json_output"]


#: Lines a thread may log while it is writing (from signal handlers) before more are dropped.
MAX_NESTED_LINES = 1024

_get_ident = threading.get_ident


class Output:
    """Write whole lines to a stream, one writer at a time, never raising.

    Attributes:
        failures: Writes the stream refused.
        dropped: Lines logged from inside a write (a signal handler) beyond
            :data:`MAX_NESTED_LINES` waiting, and so not written.
    """

    def __init__(self, stream: IO[Any] | None) -> None:
        self.stream = stream
        self.lock = threading.RLock()
        self._kind: tuple[object, bool] = (None, False)  # (the last stream, whether binary)
        self._writer: int | None = None  # the thread writing now
        self._nested: list[object] = []
        self.failures = 0
        self.dropped = 0
        _OUTPUTS.add(self)

    def _hold_for_fork(self) -> bool:
        # No line is half-written into the stream's buffer at the fork, which the
        # child would write again. Bounded: a stream stuck writing must not stop fork().
        return self.lock.acquire(timeout=_FORK_WAIT_S)

    def _reinit_after_fork(self) -> None:
        self.lock = threading.RLock()
        self._writer = None
        self._nested.clear()  # the parent writes these

    def _is_binary(self, stream: Any) -> bool:
        binary = isinstance(stream, io.RawIOBase | io.BufferedIOBase) or (
            "b" in getattr(stream, "mode", "") and not isinstance(stream, io.TextIOBase)
        )
        self._kind = (stream, binary)
        return binary

    def write(self, line: object) -> None:
        """Write ``line`` (``str`` or ``bytes``; anything else is not a line) and a newline.

        Called again by the thread that is writing (only a signal handler can),
        the line waits for the write in progress to end instead of tearing it,
        or, with :data:`MAX_NESTED_LINES` already waiting, is counted in
        :attr:`dropped`.
        """
        kind = type(line)
        if kind is not str and kind is not bytes:
            return
        me = _get_ident()
        if self._writer == me:
            if len(self._nested) < MAX_NESTED_LINES:
                self._nested.append(line)
            else:
                self.dropped += 1
            return
        given: Any = line  # str or bytes, as just checked
        stream: Any = self.stream if self.stream is not None else sys.stderr
        with self.lock:
            self._writer = me
            try:
                last, binary = self._kind
                if stream is not last:
                    binary = self._is_binary(stream)
                if binary:
                    stream.write(
                        (given if kind is bytes else given.encode("utf-8", "backslashreplace"))
                        + b"\n"
                    )
                else:
                    text = given.decode("utf-8", "replace") if kind is bytes else given
                    try:
                        stream.write(text + "\n")
                    except UnicodeEncodeError:  # surrogates, or an ASCII file: escape them
                        encoding = str(getattr(stream, "encoding", None) or "ascii")
                        try:
                            safe = text.encode(encoding, "backslashreplace").decode(encoding)
                        except (LookupError, UnicodeError):
                            safe = text.encode("ascii", "backslashreplace").decode("ascii")
                        stream.write(safe + "\n")
                stream.flush()
            # The application must go on when its log stream is closed or broken.
            except Exception as exc:
                self._failed(stream, exc)
            finally:
                self._writer = None
        if self._nested:  # lines a signal handler logged meanwhile, now in their turn
            self._drain()

    def _drain(self) -> None:
        # Taken all at once, so writing them does not drain again, line by line, recursively.
        lines, self._nested = self._nested, []
        for line in lines:
            self.write(line)

    def _failed(self, stream: object, exc: Exception) -> None:
        self.failures += 1
        if self.failures == 1:
            last_resort(
                f"logmoji: cannot write to {safe_repr(stream)}: {safe_repr(exc)}; "
                "further lines to it are dropped",
                stream,
            )


_OUTPUTS: weakref.WeakSet[Output] = weakref.WeakSet()
_HELD: list[Output] = []  # the outputs whose locks the forking thread holds
_FORK_WAIT_S = 1.0


def _before_fork() -> None:
    _HELD[:] = [output for output in list(_OUTPUTS) if output._hold_for_fork()]


def _after_fork_in_parent() -> None:
    for output in _HELD:
        output.lock.release()
    _HELD.clear()


def _after_fork_in_child() -> None:
    # The threads that held these locks do not exist in the child: make them anew.
    _HELD.clear()
    for output in list(_OUTPUTS):
        output._reinit_after_fork()


if hasattr(os, "register_at_fork"):  # not on Windows, which has no fork
    os.register_at_fork(
        before=_before_fork,
        after_in_parent=_after_fork_in_parent,
        after_in_child=_after_fork_in_child,
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
