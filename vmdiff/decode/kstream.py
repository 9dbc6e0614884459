"""KaitaiStreams over a memory mapping that never copy large reads, and their errors as faults."""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import TypeVar

from kaitaistruct import EndOfStreamError, KaitaiStream, KaitaiStructError, ValidationFailedError

from vmdiff.errors import DecodeError
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


# What each validated grammar attribute stands for, and how many bytes it occupies (the
# generated parser reports the position after the attribute).
_EXPECTATIONS = {
    "/types/file_header/seq/0": ("the magic 'QEVM' (a QEMU migration stream)", 4),
    "/types/file_header/seq/1": ("stream version 3", 4),
    "/types/section_footer/seq/0": ("a section footer (0x7e)", 1),
    "/types/section_footer/seq/1": ("the footer's section_id", 4),
    "/types/cstr/seq/0": ("a name of 1 to 255 bytes", 1),
    "/types/mapped_ram_header/seq/0": ("mapped-ram header version 1", 4),
    "/types/xbzrle_page/seq/0": ("XBZRLE encoding 1", 1),
    "/types/config_unknown/seq/0": ("a configuration subsection QEMU sends", 0),
    "/types/configuration_record/seq/0": ("the CONFIGURATION record (0x07)", 1),
    "/types/subsection_header/seq/0": ("a subsection (0x05)", 1),
    "/types/vmdesc_record/seq/0": ("the vmdesc record (0x06)", 1),
    "/types/ram_record/seq/1": ("a known combination of RAM_SAVE_FLAG_* bits", 8),
}

T = TypeVar("T")


def parse(build: Callable[[], T], io: KaitaiStream, start: int, what: str) -> T:
    """Run a generated parser reading ``io``; turn its errors into a DecodeError at the offset
    where the input stops matching the grammar."""
    try:
        return build()
    except ValidationFailedError as err:
        description, width = _EXPECTATIONS.get(err.src_path or "", (what, 0))
        offset = int(err.io.pos()) - width if err.io is not None else start
        raise DecodeError(offset, description, _show(getattr(err, "actual", None))) from None
    except EndOfStreamError as err:
        pos, size = int(io.pos()), int(io.size())
        # Short reads consume what there is; reads of 8 MiB and more are refused up front.
        offset = pos - err.bytes_available if pos == size else pos
        needed = err.bytes_needed
        raise DecodeError(
            offset,
            f"{what}: {needed} byte{'' if needed == 1 else 's'}",
            f"only {err.bytes_available} before the end of the data",
        ) from None
    except KaitaiStructError as err:
        raise DecodeError(start, what, str(err)) from None


def _show(value: object) -> str:
    if isinstance(value, (bytes, memoryview)):
        return repr(bytes(value))
    if isinstance(value, int):
        return f"{value:#x}"
    return repr(value)
