"""Unpack gzip, bzip2, xz, zstd and lzop data chunk by chunk, in bounded memory.

gzip, bzip2 and xz use the standard library, zstd the ``zstandard`` package, and lzop the
``lzop`` program (no Python package reads the lzop file format, only raw LZO blocks). Each
unpacker counts the compressed bytes it has taken in, so a damaged input can be reported at its
compressed offset as well as at the unpacked one.
"""

from __future__ import annotations

import bz2
import contextlib
import lzma
import shutil
import subprocess
import threading
import zlib
from collections.abc import Callable, Iterator
from typing import BinaryIO, Protocol

import zstandard

OUTPUT_CHUNK = 1 << 20
INPUT_CHUNK = 16 << 10
# A zstd frame of zeros shrinks about 32000:1, so small inputs keep each output chunk bounded.
ZSTD_INPUT_CHUNK = 1 << 10
LZOP_PROGRAM = "lzop"


class ByteReader(Protocol):
    """Anything with a file's read(size)."""

    def read(self, size: int = -1, /) -> bytes:
        """Up to ``size`` bytes; b"" at the end."""
        ...


class UnpackError(Exception):
    """The compressed data is damaged or cut short after ``consumed`` compressed bytes.

    ``trailing`` means the data itself was whole and only junk followed it.
    """

    def __init__(self, consumed: int, reason: str, *, trailing: bool = False) -> None:
        super().__init__(reason)
        self.consumed = consumed
        self.reason = reason
        self.trailing = trailing


class MissingTool(Exception):
    """A format needs a program that is not installed."""


class _Step(Protocol):
    eof: bool

    def step(self, data: bytes) -> tuple[bytes, bytes, bool]:
        """Unpack from ``data``: (output, input left over, more output waiting without input)."""
        ...

    @property
    def unused_data(self) -> bytes: ...


class _Zlib:
    def __init__(self) -> None:
        self._d = zlib.decompressobj(16 + zlib.MAX_WBITS)  # gzip framing only
        self.eof = False

    def step(self, data: bytes) -> tuple[bytes, bytes, bool]:
        out = self._d.decompress(data, OUTPUT_CHUNK)
        self.eof = self._d.eof
        if self.eof:
            return out, self._d.unused_data, False
        return out, self._d.unconsumed_tail, len(out) == OUTPUT_CHUNK

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data


class _Buffered:
    """bz2 and lzma decompressors: they keep unread input inside and say when they need more."""

    def __init__(self, make: Callable[[], bz2.BZ2Decompressor | lzma.LZMADecompressor]) -> None:
        self._d = make()
        self.eof = False

    def step(self, data: bytes) -> tuple[bytes, bytes, bool]:
        out = self._d.decompress(data, OUTPUT_CHUNK)
        self.eof = self._d.eof
        if self.eof:
            return out, self._d.unused_data, False
        return out, b"", not self._d.needs_input

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data


class _Zstd:
    def __init__(self) -> None:
        self._d = zstandard.ZstdDecompressor().decompressobj()
        self.eof = False

    def step(self, data: bytes) -> tuple[bytes, bytes, bool]:
        out = self._d.decompress(data)
        self.eof = self._d.eof
        return out, self._d.unused_data if self.eof else b"", False

    @property
    def unused_data(self) -> bytes:
        return self._d.unused_data


_MAGICS = {
    "gzip": b"\x1f\x8b",
    "bzip2": b"BZh",
    "xz": b"\xfd7zXZ\x00",
    "zstd": b"\x28\xb5\x2f\xfd",
}
_STEPS: dict[str, Callable[[], _Step]] = {
    "gzip": _Zlib,
    "bzip2": lambda: _Buffered(bz2.BZ2Decompressor),
    "xz": lambda: _Buffered(lambda: lzma.LZMADecompressor(lzma.FORMAT_XZ)),
    "zstd": _Zstd,
}
_ERRORS = (zlib.error, OSError, EOFError, lzma.LZMAError, ValueError, zstandard.ZstdError)
UNPACKED_FORMATS = ("gzip", "bzip2", "xz", "zstd", "lzop")


class Unpacker:
    """Unpack one compressed input; ``consumed`` counts the compressed bytes taken in so far."""

    def __init__(self, format_name: str, source: ByteReader) -> None:
        if format_name not in UNPACKED_FORMATS:
            raise ValueError(format_name)
        if format_name == "lzop" and shutil.which(LZOP_PROGRAM) is None:
            raise MissingTool(
                "lzop data needs the lzop program (Debian: apt-get install lzop), "
                "as libvirt itself does to restore such an image"
            )
        self.format = format_name
        self.source = source
        self.consumed = 0
        self._fed_all = False

    def chunks(self) -> Iterator[bytes]:
        """Unpacked data in chunks of at most a few MiB; raises UnpackError on damage."""
        if self.format == "lzop":
            yield from self._lzop()
        else:
            yield from self._in_process()

    def _read(self, size: int) -> bytes:
        data = self.source.read(size)
        self.consumed += len(data)
        return data

    def _in_process(self) -> Iterator[bytes]:
        make, magic = _STEPS[self.format], _MAGICS[self.format]
        size = ZSTD_INPUT_CHUNK if self.format == "zstd" else INPUT_CHUNK
        unpacker = make()
        data, more = b"", False
        while True:
            if not data and not more:
                data = self._read(size)
                if not data:
                    break
            try:
                out, data, more = unpacker.step(data)
            except _ERRORS as err:
                raise UnpackError(self.consumed, f"damaged {self.format} data ({err})") from None
            if out:
                yield out
            if unpacker.eof:
                # Concatenated members (gzip -c a b, pbzip2, xz --block) follow each other.
                data = data or self._read(size)
                if not data:
                    return
                if not data.startswith(magic[: len(data)]):
                    where = self.consumed - len(data)
                    raise UnpackError(
                        where,
                        f"{len(data)}+ bytes after the end of the {self.format} data",
                        trailing=True,
                    )
                unpacker = make()
        raise UnpackError(
            self.consumed, f"the {self.format} data ends before its end-of-stream marker"
        )

    def _lzop(self) -> Iterator[bytes]:
        # --ignore-warn: lzop warns (exit 2) about trailing data, as libvirt's restore allows.
        proc = subprocess.Popen(
            [LZOP_PROGRAM, "-dc", "--ignore-warn"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
        )
        assert proc.stdin is not None and proc.stdout is not None and proc.stderr is not None
        feeder = threading.Thread(target=self._feed, args=(proc.stdin,), daemon=True)
        feeder.start()
        try:
            while chunk := proc.stdout.read(OUTPUT_CHUNK):
                yield chunk
        finally:
            if proc.poll() is None and feeder.is_alive():
                proc.kill()
            feeder.join()
            status = proc.wait()
            stderr = proc.stderr.read().decode(errors="replace").strip()
            proc.stdout.close()
            proc.stderr.close()
        if status != 0:
            said = stderr.splitlines()[-1] if stderr else f"exit status {status}"
            reason = f"lzop -dc failed ({said})"
            if self._fed_all and "error" not in said.lower():
                # lzop 1.04 reports a cut-short input with a stray errno text.
                reason = f"the lzop data ends before its end marker ({said})"
            raise UnpackError(self.consumed, reason)

    def _feed(self, pipe: BinaryIO) -> None:
        with contextlib.suppress(BrokenPipeError, OSError):
            while data := self._read(INPUT_CHUNK):
                pipe.write(data)
            self._fed_all = True
        with contextlib.suppress(BrokenPipeError, OSError):
            pipe.close()
