"""Open a capture for decoding: map it into memory, unpacking compressed files first."""

from __future__ import annotations

import bz2
import contextlib
import gzip
import io
import lzma
import mmap
import os
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import IO, BinaryIO

from vmdiff.errors import InputError

QEVM_MAGIC = b"QEVM"
_CHUNK = 1 << 20
_DECOMPRESSORS: list[tuple[bytes, str, Callable[[BinaryIO], io.BufferedIOBase]]] = [
    (b"\x1f\x8b", "gzip", lambda f: gzip.GzipFile(fileobj=f)),
    (b"BZh", "bzip2", lambda f: bz2.BZ2File(f)),
    (b"\xfd7zXZ\x00", "xz", lambda f: lzma.LZMAFile(f)),  # noqa: SIM115
]


@dataclass(slots=True)
class Source:
    """A capture mapped into memory. Offsets in ``buf`` are the offsets vmdiff reports."""

    path: str
    buf: mmap.mmap | bytes
    size: int
    notes: list[str] = field(default_factory=list)
    stream_offset: int = 0
    _keep: list[object] = field(default_factory=list, repr=False)

    def close(self) -> None:
        """Release the mapping (and any temporary file behind it)."""
        if isinstance(self.buf, mmap.mmap):
            # A caller may still hold a view; the mapping then goes when the view does.
            with contextlib.suppress(BufferError):
                self.buf.close()
        for item in self._keep:
            close = getattr(item, "close", None)
            if close is not None:
                close()


def source_from_bytes(data: bytes, path: str = "<bytes>") -> Source:
    """A Source over bytes already in memory (tests, small fragments)."""
    return Source(path=path, buf=data, size=len(data))


def open_source(path: str) -> Source:
    """Open ``path`` (or ``-`` for standard input); compressed captures are unpacked first."""
    if path == "-":
        return _spool(sys.stdin.buffer, path, "standard input")
    try:
        handle = open(path, "rb")  # noqa: SIM115 - kept open behind the mapping
    except OSError as err:
        raise InputError(f"{path}: cannot open: {err.strerror}") from None
    head = handle.read(8)
    for magic, name, opener in _DECOMPRESSORS:
        if head.startswith(magic):
            handle.seek(0)
            with handle:
                return _spool(opener(handle), path, f"{name}-compressed file", raw=handle)
    handle.seek(0)
    return _map(handle, path)


def _map(handle: BinaryIO, path: str, notes: list[str] | None = None) -> Source:
    size = os.fstat(handle.fileno()).st_size
    if size == 0:
        handle.close()
        return Source(path=path, buf=b"", size=0, notes=notes or [])
    try:
        buf = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as err:
        handle.close()
        raise InputError(f"{path}: cannot map into memory: {err}") from None
    return Source(path=path, buf=buf, size=size, notes=notes or [], _keep=[handle])


def _spool(
    stream: IO[bytes] | io.BufferedIOBase, path: str, what: str, raw: BinaryIO | None = None
) -> Source:
    """Copy a stream that cannot be mapped into a sparse temporary file, then map that.

    A damaged or truncated compressed file keeps what unpacked cleanly, with a note saying where
    it broke; the decoder then reports the fault at that point of the unpacked stream.
    """
    spool = tempfile.TemporaryFile(prefix="vmdiff-")  # noqa: SIM115 - lives with the Source
    zero = bytes(_CHUNK)
    notes: list[str] = []
    written = 0
    try:
        while chunk := stream.read(_CHUNK):
            if chunk == zero[: len(chunk)]:
                spool.seek(
                    len(chunk), os.SEEK_CUR
                )  # leave a hole: mapped-ram files are mostly zero
            else:
                spool.write(chunk)
            written += len(chunk)
    except (OSError, EOFError, lzma.LZMAError, ValueError) as err:
        where = f" (compressed offset {raw.tell():#x})" if raw is not None else ""
        notes.append(f"{what} breaks after {written} unpacked bytes{where}: {err}")
    except BaseException:
        spool.close()
        raise
    spool.truncate()
    spool.flush()
    spool.seek(0)
    directory = tempfile.gettempdir()
    if what == "standard input":
        notes.insert(
            0, f"read {written} bytes from standard input into a temporary file in {directory}"
        )
    else:
        notes.insert(
            0,
            f"unpacked a {what} into a temporary file of {written} bytes in {directory}; "
            "offsets are in the unpacked stream",
        )
    return _map(spool, path, notes)
