"""Read the final content of RAM pages from a decoded capture's page index."""

from __future__ import annotations

import struct
import zlib
from collections.abc import Iterator

from vmdiff.decode.ram import COMPRESS_PAGE, CONTINUE, ZERO, page_index_entry
from vmdiff.errors import InputError
from vmdiff.model import Buffer, RamBlock


class PageReader:
    """Final page contents of one block: what a destination would hold after loading."""

    def __init__(self, buf: Buffer, block: RamBlock, page_size: int) -> None:
        if block.page_offsets is None:
            raise InputError(f"RAM block {block.name!r} was decoded without a page index")
        self.buf = memoryview(buf)
        self.block = block
        self.page_size = page_size
        self.unrecoverable = 0

    def __len__(self) -> int:
        assert self.block.page_offsets is not None
        return len(self.block.page_offsets)

    def page(self, index: int) -> bytes | None:
        """The page's bytes, or None where it is zero (or never sent, or not reconstructible)."""
        assert self.block.page_offsets is not None
        kind, offset = page_index_entry(self.block.page_offsets[index])
        if kind == "data":
            return bytes(self.buf[offset : offset + self.page_size])
        if kind == "record":
            return self._from_record(offset)
        return None

    def _from_record(self, record_offset: int) -> bytes | None:
        (head,) = struct.unpack_from(">Q", self.buf, record_offset)
        flags = head & (self.page_size - 1)
        pos = record_offset + 8
        if not flags & CONTINUE:
            pos += 1 + self.buf[pos]
        kind = flags & ~CONTINUE
        if kind == ZERO:
            return bytes([self.buf[pos]]) * self.page_size
        if kind == COMPRESS_PAGE:
            (size,) = struct.unpack_from(">I", self.buf, pos)
            try:
                data = zlib.decompress(bytes(self.buf[pos + 4 : pos + 4 + size]))
            except zlib.error:
                self.unrecoverable += 1
                return None
            return data[: self.page_size].ljust(self.page_size, b"\0")
        # XBZRLE pages are deltas against a copy vmdiff does not keep.
        self.unrecoverable += 1
        return None

    def iter_pages(self) -> Iterator[tuple[int, bytes | None]]:
        """(page index, content or None) for every page of the block."""
        for index in range(len(self)):
            yield index, self.page(index)
