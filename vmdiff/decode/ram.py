"""Decode the bodies of the "ram" section: block list, page records and the mapped-ram layout.

Page records are scanned by hand, runs of zero pages and of full pages many at a time (see
runs.py), because the generated parser costs several microseconds a record and an idle 8 GiB
guest sends two million of them.
The block list is read with the grammar. tests/decode/test_ram_fast_path.py proves that the
scanner reads exactly what the grammar reads, record by record, on every sample and on mutated
bodies.
"""

from __future__ import annotations

import struct
from array import array
from dataclasses import dataclass, field
from functools import partial

from vmdiff.decode._generated.qemu_migration import QemuMigration
from vmdiff.decode.kstream import mapped_stream, parse
from vmdiff.decode.runs import heads, is_sequential, matching_prefix
from vmdiff.errors import DecodeError
from vmdiff.model import Buffer, MappedRamInfo, RamBlock, RamSummary

ZERO = 0x002
MEM_SIZE = 0x004
PAGE = 0x008
EOS = 0x010
CONTINUE = 0x020
XBZRLE = 0x040
HOOK = 0x080
COMPRESS_PAGE = 0x100
MULTIFD_FLUSH = 0x200
_PAGE_KINDS = (ZERO, PAGE, XBZRLE, COMPRESS_PAGE)
ZERO_PAGE_MARK = -1
"""page_offsets value for a page whose last record was a zero page filled with 0."""


def page_index_entry(value: int) -> tuple[str, int]:
    """Read a page_offsets value: ("unsent", 0), ("zero", 0), ("data", offset of the page bytes)
    or ("record", offset of a record that must be decoded: XBZRLE, compressed, non-zero fill)."""
    if value == 0:
        return "unsent", 0
    if value == ZERO_PAGE_MARK:
        return "zero", 0
    if value > 0:
        return "data", value
    return "record", -value - 2


MAX_BLOCKS = 1 << 16
MAX_INDEXED_PAGES = 1 << 27
_ZERO_RECORD_SIZE = 9
MIN_RUN = 16
"""Shortest run of like records read at once (shorter ones go one by one)."""
_FIRST_RUN = 64
_MAX_RUN = 1 << 16
_U64 = struct.Struct(">Q")

TraceEntry = tuple[int, int, str | None, bytes | int | None]
"""(record offset, be64 offset|flags, block name if written, page bytes or zero fill byte)."""


@dataclass(slots=True)
class RamDecoder:
    """Decodes every "ram" section body of one stream into a RamSummary."""

    buf: Buffer
    summary: RamSummary
    ignore_shared: bool = False
    mapped_ram: bool = False
    index_pages: bool = False
    trace: list[TraceEntry] | None = None
    vectorised_records: int = 0
    """How many records were read in runs (the rest went one by one)."""
    _block: RamBlock | None = None
    _runs: dict[int, int] = field(default_factory=lambda: {ZERO: _FIRST_RUN, PAGE: _FIRST_RUN})
    _touched: set[str] = field(default_factory=set)

    def __post_init__(self) -> None:
        page_size = self.summary.page_size
        if page_size < 512 or page_size & (page_size - 1):
            raise DecodeError(0, "a target page size that is a power of two", str(page_size))

    def decode_body(self, pos: int, limit: int) -> int:
        """Read records from ``pos`` through EOS; return the offset after EOS."""
        self._touched.clear()
        buf, mask = self.buf, self.summary.page_size - 1
        summary = self.summary
        while True:
            if pos + 8 > limit:
                raise DecodeError(pos, "a RAM record (be64 offset and flags)", "end of data")
            (head,) = _U64.unpack_from(buf, pos)
            flags = head & mask
            kind = flags & ~CONTINUE
            if kind in (ZERO, PAGE) and flags & CONTINUE and self._block:
                stride = self._stride(kind)
                # Only where the next record looks the same: mixed pages go one by one.
                after = pos + stride
                if after + 8 <= limit and _U64.unpack_from(buf, after)[0] & mask == flags:
                    consumed = self._run(pos, limit, self._block, kind)
                    if consumed:
                        summary.records += consumed
                        pos += consumed * stride
                        continue
            if kind in _PAGE_KINDS:
                pos = self._page_record(pos, limit, head, flags, kind)
                summary.records += 1
                continue
            if kind == EOS:
                end = pos + 8
            elif kind == MEM_SIZE:
                end = self._block_list(pos + 8, limit, head - flags)
            elif kind == MULTIFD_FLUSH:
                summary.multifd_flushes += 1
                end = pos + 8
            elif kind == HOOK:
                summary.hook_records += 1
                end = pos + 8
            else:
                raise DecodeError(pos, "a known combination of RAM_SAVE_FLAG_* bits", f"{flags:#x}")
            self._trace(pos, head, None, None)
            summary.records += 1
            pos = end
            if kind == EOS:
                break
        for name in self._touched:
            summary.blocks[name].passes += 1
        return pos

    def _trace(self, pos: int, head: int, name: str | None, payload: bytes | int | None) -> None:
        if self.trace is not None:
            self.trace.append((pos, head, name, payload))

    def _page_record(self, start: int, limit: int, head: int, flags: int, kind: int) -> int:
        buf = self.buf
        pos = start + 8
        name: str | None = None
        if flags & CONTINUE:
            block = self._block
            if block is None:
                raise DecodeError(start, "a block name (CONTINUE set on the first page)", "none")
        else:
            if pos >= limit:
                raise DecodeError(pos, "a RAM block name", "end of data")
            name_len = buf[pos]
            if name_len == 0 or pos + 1 + name_len > limit:
                raise DecodeError(pos, "a RAM block name (1-255 bytes)", f"length {name_len}")
            name = bytes(buf[pos + 1 : pos + 1 + name_len]).decode("latin-1")
            pos += 1 + name_len
            known = self.summary.blocks.get(name)
            if known is None:
                raise DecodeError(start, "a RAM block the START section announced", repr(name))
            block = self._block = known
        offset = head - flags
        if offset >= block.length:
            raise DecodeError(
                start, f"an offset inside {block.name} ({block.length:#x} bytes)", f"{offset:#x}"
            )
        payload: bytes | int | None
        data_offset = -(start + 2)  # see page_index_entry()
        if kind == ZERO:
            if pos + 1 > limit:
                raise DecodeError(pos, "the zero page fill byte", "end of data")
            payload = buf[pos]
            pos += 1
            block.zero_pages += 1
        elif kind == PAGE:
            size = self.summary.page_size
            if pos + size > limit:
                raise DecodeError(pos, f"{size} bytes of page data", f"{limit - pos} bytes")
            payload = bytes(buf[pos : pos + size]) if self.trace is not None else None
            data_offset = pos
            pos += size
            block.full_pages += 1
            block.payload_bytes += size
        elif kind == XBZRLE:
            if pos + 3 > limit or buf[pos] != 1:
                found = "end of data" if pos >= limit else f"{buf[pos]:#x}"
                raise DecodeError(pos, "XBZRLE encoding 0x01", found)
            (size,) = struct.unpack_from(">H", buf, pos + 1)
            if pos + 3 + size > limit:
                raise DecodeError(pos + 3, f"{size} bytes of XBZRLE data", "end of data")
            payload = bytes(buf[pos + 3 : pos + 3 + size]) if self.trace is not None else None
            pos += 3 + size
            block.xbzrle_pages += 1
            block.payload_bytes += size
        else:
            if pos + 4 > limit:
                raise DecodeError(pos, "a compressed page length", "end of data")
            (size,) = struct.unpack_from(">I", buf, pos)
            if pos + 4 + size > limit:
                raise DecodeError(pos + 4, f"{size} bytes of compressed page", "end of data")
            payload = bytes(buf[pos + 4 : pos + 4 + size]) if self.trace is not None else None
            pos += 4 + size
            block.compressed_pages += 1
            block.payload_bytes += size
        self._trace(start, head, name, payload)
        self._touched.add(block.name)
        if block.page_offsets is not None:
            is_plain_zero = kind == ZERO and payload == 0
            block.page_offsets[offset // self.summary.page_size] = (
                ZERO_PAGE_MARK if is_plain_zero else data_offset
            )
        return pos

    def _stride(self, kind: int) -> int:
        return _ZERO_RECORD_SIZE if kind == ZERO else 8 + self.summary.page_size

    def _run(self, pos: int, limit: int, block: RamBlock, kind: int) -> int:
        """Consume a run of CONTINUE records of one kind (zero pages with fill byte 0, or full
        pages) inside ``block`` at once; return how many (0: read this one alone)."""
        stride, page_size = self._stride(kind), self.summary.page_size
        count = min(self._runs[kind], (limit - pos) // stride)
        if count < MIN_RUN:
            return 0
        bound = -(-block.length // page_size) * page_size  # head < bound <=> offset < length
        n = matching_prefix(self.buf, pos, stride, count, kind | CONTINUE, page_size, bound)
        self._runs[kind] = min(count * 2, _MAX_RUN) if n == count else _FIRST_RUN
        if n == 0:
            return 0
        found = heads(self.buf, pos, stride, n) if self.trace or block.page_offsets else None
        if self.trace is not None:
            assert found is not None
            for i, head in enumerate(found):
                at = pos + i * stride
                page = bytes(self.buf[at + 8 : at + stride]) if kind == PAGE else 0
                self.trace.append((at, head, None, page))
        if kind == ZERO:
            block.zero_pages += n
        else:
            block.full_pages += n
            block.payload_bytes += n * page_size
        self.vectorised_records += n
        self._touched.add(block.name)
        if block.page_offsets is not None:
            assert found is not None
            self._index_run(block, found, pos, stride, kind)
        return n

    def _index_run(
        self, block: RamBlock, found: array[int], pos: int, stride: int, kind: int
    ) -> None:
        assert block.page_offsets is not None
        page_size = self.summary.page_size
        first = found[0] // page_size
        if kind == ZERO:
            values = array("q", [ZERO_PAGE_MARK]) * len(found)
        else:
            values = array("q", range(pos + 8, pos + 8 + stride * len(found), stride))
        if is_sequential(found, page_size):
            block.page_offsets[first : first + len(found)] = values
        else:
            for head, value in zip(found, values, strict=True):
                block.page_offsets[head // page_size] = value

    def _block_list(self, pos: int, limit: int, total: int) -> int:
        """Read the blocks a MEM_SIZE record announces, until their lengths add up to total."""
        summary = self.summary
        summary.total_length = total
        io = mapped_stream(self.buf, pos, limit)
        announced = 0
        while announced < total:
            start = int(io.pos())
            if len(summary.blocks) >= MAX_BLOCKS:
                raise DecodeError(start, f"at most {MAX_BLOCKS} RAM blocks", "more")
            raw = parse(
                partial(QemuMigration.RamBlock, announced, self.ignore_shared, self.mapped_ram, io),
                io,
                start,
                "a RAM block entry",
            )
            announced = raw.length_sum_after
            block = RamBlock(
                name=raw.name.text,
                length=raw.used_length,
                guest_address=getattr(raw, "guest_address", None),
            )
            if self.mapped_ram:
                header = raw.mapped
                block.mapped = MappedRamInfo(
                    header.version, header.page_size, header.bitmap_offset, header.pages_offset
                )
            if block.name in summary.blocks:
                raise DecodeError(start, "each RAM block named once", f"{block.name!r} again")
            summary.blocks[block.name] = block
            if self.index_pages:
                self._allocate_index(block)
            if block.mapped is not None and block.mapped.pages_offset:
                self._read_mapped_bitmap(block, start)
        return int(io.pos())

    def _allocate_index(self, block: RamBlock) -> None:
        pages = -(-block.length // self.summary.page_size)
        if pages <= MAX_INDEXED_PAGES:
            block.page_offsets = array("q", bytes(8 * pages))

    def _read_mapped_bitmap(self, block: RamBlock, header_offset: int) -> None:
        """Count (and index) the pages a mapped-ram block's bitmap marks as written."""
        assert block.mapped is not None
        page_size = self.summary.page_size
        pages = -(-block.length // page_size)
        bitmap_size = -(-pages // 64) * 8  # host unsigned longs, 64-bit on every host we read
        start = block.mapped.bitmap_offset
        if start + bitmap_size > len(self.buf) or pages > MAX_INDEXED_PAGES:
            raise DecodeError(
                header_offset,
                f"a bitmap of {bitmap_size} bytes inside the file",
                f"offset {start:#x}",
            )
        bitmap = bytes(self.buf[start : start + bitmap_size])
        written = (int.from_bytes(bitmap, "little") & ((1 << pages) - 1)).bit_count()
        block.full_pages += written
        block.zero_pages += pages - written
        block.payload_bytes += written * page_size
        block.passes += 1
        if block.page_offsets is not None:
            _index_bitmap(block, bitmap, pages, page_size)


def _index_bitmap(block: RamBlock, bitmap: bytes, pages: int, page_size: int) -> None:
    """Fill a mapped-ram block's page index from its bitmap (LSB first in each byte)."""
    assert block.mapped is not None and block.page_offsets is not None
    import numpy as np  # only here: a bitmap of millions of pages needs vectors, show does not

    bits = np.unpackbits(np.frombuffer(bitmap, dtype=np.uint8), bitorder="little")[:pages]
    offsets = block.mapped.pages_offset + np.arange(pages, dtype=np.int64) * page_size
    np.frombuffer(block.page_offsets, dtype=np.int64)[:] = np.where(
        bits.astype(bool), offsets, ZERO_PAGE_MARK
    )
