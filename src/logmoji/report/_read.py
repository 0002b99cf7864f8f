"""Read log input in big binary chunks: files, ``-`` for stdin, gzip, byte ranges.

Chunks are cut anywhere; :func:`line_batches` turns them into lists of whole
lines. A plain file can be cut into byte ranges (:func:`byte_ranges`) that
separate processes read on their own: a range owns every line that *starts*
inside it, so the ranges together read each line exactly once.
"""

from __future__ import annotations

import errno
import gzip
import os
import stat
import sys
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

__all__ = [
    "CHUNK_SIZE",
    "STDIN",
    "Unit",
    "byte_ranges",
    "is_gzip",
    "line_batches",
    "read_unit",
    "source_size",
]

#: Bytes read at a time: big enough that the per-chunk work does not show.
CHUNK_SIZE = 8 << 20
#: The name that means standard input.
STDIN = "-"
_GZIP_MAGIC = b"\x1f\x8b"


@dataclass(frozen=True, slots=True)
class Unit:
    """A piece of input one process reads: a whole source, or a byte range of a plain file.

    Attributes:
        path: The file, or ``"-"`` for standard input.
        start: First byte of the range (plain files only).
        end: Byte after the range; ``None`` means to the end of the input.
        size: Bytes of the file on disk (compressed size for gzip); 0 for stdin.
    """

    path: str
    start: int = 0
    end: int | None = None
    size: int = 0


def is_gzip(path: str) -> bool:
    """Return whether the file at ``path`` is gzip data (by its first bytes, not its name)."""
    with open(path, "rb") as f:
        return f.read(2) == _GZIP_MAGIC


def byte_ranges(path: str, size: int, parts: int) -> list[Unit]:
    """Cut the plain file ``path`` of ``size`` bytes into ``parts`` ranges of about equal size."""
    parts = max(1, min(parts, size // CHUNK_SIZE + 1))
    bounds = [size * i // parts for i in range(parts + 1)]
    return [Unit(path, bounds[i], bounds[i + 1], bounds[i + 1] - bounds[i]) for i in range(parts)]


def read_unit(unit: Unit, on_read: Callable[[int], None] | None = None) -> Iterator[bytes]:
    """Yield the bytes of ``unit`` in chunks; ``on_read(n)`` is told of each ``n`` bytes read.

    Raises:
        OSError: The file cannot be read, or its gzip data is corrupt or cut short.
    """
    if unit.path == STDIN:
        yield from _read_stream(sys.stdin.buffer, unit.path, on_read)
        return
    with open(unit.path, "rb") as raw:
        if unit.end is not None:
            yield from _read_range(raw, unit.start, unit.end, on_read)
        else:
            yield from _read_stream(raw, unit.path, on_read)


def _read_stream(
    stream: BinaryIO, name: str, on_read: Callable[[int], None] | None
) -> Iterator[bytes]:
    """Read a whole file or pipe, decompressing gzip (found by peeking, so pipes work too)."""
    peek = getattr(stream, "peek", None)
    if peek is not None and peek(2)[:2] == _GZIP_MAGIC:
        yield from _read_gzip(stream, name, on_read)
        return
    while chunk := stream.read(CHUNK_SIZE):
        if on_read is not None:
            on_read(len(chunk))
        yield chunk


def _read_gzip(raw: BinaryIO, name: str, on_read: Callable[[int], None] | None) -> Iterator[bytes]:
    """Decompress ``raw``; progress counts compressed bytes, the size on disk."""
    position = 0
    tell = raw.tell if raw.seekable() else None
    try:
        with gzip.GzipFile(fileobj=raw, mode="rb") as f:
            while chunk := f.read(CHUNK_SIZE):
                if on_read is not None and tell is not None:
                    now = tell()
                    on_read(now - position)
                    position = now
                yield chunk
    except (EOFError, zlib.error, gzip.BadGzipFile) as exc:
        raise OSError(f"{name}: corrupt or truncated gzip data ({exc})") from None


def _read_range(
    raw: BinaryIO, start: int, end: int, on_read: Callable[[int], None] | None
) -> Iterator[bytes]:
    if start > 0:
        raw.seek(start - 1)
        if raw.read(1) != b"\n":
            raw.readline()  # this line started in the previous range, which reads it
    position = raw.tell()
    if on_read is not None:
        on_read(min(position, end) - start)
    while position < end:
        chunk = raw.read(min(CHUNK_SIZE, end - position))
        if not chunk:
            return
        position += len(chunk)
        if on_read is not None:
            on_read(len(chunk))
        if position >= end and not chunk.endswith(b"\n"):
            chunk += raw.readline()  # finish the last line that starts in this range
        yield chunk


def line_batches(chunks: Iterable[bytes]) -> Iterator[list[bytes]]:
    """Yield the lines of ``chunks`` (without line ends) in lists, one list per chunk."""
    rest = b""
    for chunk in chunks:
        lines = (rest + chunk if rest else chunk).split(b"\n")
        rest = lines.pop()
        if lines:
            yield lines
    if rest:
        yield [rest]


def source_size(path: str) -> int:
    """Return the size on disk of ``path`` (0 for stdin).

    Raises:
        OSError: ``path`` is missing, a directory or unreadable.
    """
    if path == STDIN:
        return 0
    status = os.stat(path)
    if stat.S_ISDIR(status.st_mode):
        raise IsADirectoryError(errno.EISDIR, "Is a directory", path)
    if not stat.S_ISREG(status.st_mode):
        return 0  # a pipe or device: opening it here would take what the writer sends
    with open(path, "rb"):  # fail now, in one place, rather than in a worker process
        pass
    return status.st_size
