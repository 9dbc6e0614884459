"""A KaitaiStream over a memory mapping that never copies large reads."""

from __future__ import annotations

import os

from kaitaistruct import KaitaiStream

from vmdiff.model import Buffer

# Reads at least this long come back as memoryviews; shorter ones as bytes, because the
# generated parsers call .decode() and compare with bytes literals on short reads.
_VIEW_THRESHOLD = 256


class _MappedReader:
    """The minimal file-like object KaitaiStream needs, over a buffer."""

    def __init__(self, buf: Buffer, start: int, end: int) -> None:
        self._view = memoryview(buf)
        self._pos = start
        self._end = end

    def read(self, n: int = -1) -> bytes | memoryview:
        start = self._pos
        stop = self._end if n is None or n < 0 else min(self._end, start + n)
        self._pos = max(start, stop)
        if stop - start >= _VIEW_THRESHOLD:
            return self._view[start:stop]
        return bytes(self._view[start:stop])

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        if whence == os.SEEK_CUR:
            offset += self._pos
        elif whence == os.SEEK_END:
            offset += self._end
        self._pos = offset
        return offset

    def tell(self) -> int:
        return self._pos

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        """Nothing to release: the buffer belongs to the caller."""


def mapped_stream(buf: Buffer, start: int = 0, end: int | None = None) -> KaitaiStream:
    """A KaitaiStream reading ``buf[start:end]`` in place; positions are offsets in ``buf``."""
    return KaitaiStream(_MappedReader(buf, start, len(buf) if end is None else end))
