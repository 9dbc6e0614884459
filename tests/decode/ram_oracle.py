"""RAM bodies read with the generated grammar, one ``QemuMigration.RamRecord`` at a time.

The reference the hand-written RAM scanner (vmdiff.decode.ram) is checked against: records,
block lists, per-block statistics and the page index, all derived from the grammar's reading.
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass, field

from kaitaistruct import KaitaiStructError

from vmdiff.decode._generated.qemu_migration import QemuMigration
from vmdiff.decode.kstream import mapped_stream
from vmdiff.decode.ram import (
    COMPRESS_PAGE,
    CONTINUE,
    MEM_SIZE,
    PAGE,
    XBZRLE,
    ZERO,
    ZERO_PAGE_MARK,
    TraceEntry,
)
from vmdiff.model import Buffer

BlockStats = tuple[int, int, int, int, int, int]
"""(zero pages, full pages, xbzrle pages, compressed pages, payload bytes, passes)."""


@dataclass
class GrammarBlock:
    """A block as the grammar's MEM_SIZE record announces it, with what was sent for it."""

    name: str
    length: int
    guest_address: int | None
    mapped: tuple[int, int, int, int] | None
    zero: int = 0
    full: int = 0
    xbzrle: int = 0
    compressed: int = 0
    payload: int = 0
    passes: int = 0

    def stats(self) -> BlockStats:
        return (self.zero, self.full, self.xbzrle, self.compressed, self.payload, self.passes)


@dataclass
class GrammarReading:
    """Everything the grammar read from a sequence of RAM bodies."""

    page_size: int
    buf: Buffer
    records: list[TraceEntry] = field(default_factory=list)
    sizes: list[int] = field(default_factory=list)
    blocks: dict[str, GrammarBlock] = field(default_factory=dict)
    block_order: list[str] = field(default_factory=list)
    ends: list[int] = field(default_factory=list)
    error_at: int | None = None
    """Start of the record the grammar could not parse, if any."""
    semantic_error_at: int | None = None
    """Start of the first record the grammar parsed but QEMU would refuse (unknown block,
    offset outside its block, CONTINUE with no block before it, a block named twice)."""
    pages: dict[str, dict[int, int]] = field(default_factory=dict)

    def page_index(self, name: str) -> array[int]:
        """The page index the scanner should build for a block (see page_index_entry)."""
        block = self.blocks[name]
        index = array("q", bytes(8 * -(-block.length // self.page_size)))
        for page, value in self.pages.get(name, {}).items():
            index[page] = value
        return index


def read_bodies(
    buf: Buffer,
    starts: list[int] | None,
    limit: int,
    page_size: int,
    *,
    ignore_shared: bool = False,
    mapped_ram: bool = False,
    first: int = 0,
    count: int = 1,
) -> GrammarReading:
    """Read ``count`` bodies with the grammar, each starting where ``starts`` says (or where
    the previous one ended, from ``first``), and stop at the first record it cannot parse."""
    reading = GrammarReading(page_size, buf)
    current: GrammarBlock | None = None
    pos = first
    for number in range(len(starts) if starts is not None else count):
        if starts is not None:
            pos = starts[number]
        io = mapped_stream(buf, pos, limit)
        touched: set[str] = set()
        while True:
            start = int(io.pos())
            try:
                record = QemuMigration.RamRecord(page_size, ignore_shared, mapped_ram, io)
            except KaitaiStructError:
                reading.error_at = start
                return reading
            end = int(io.pos())
            entry, current = _account(reading, record, start, current, touched)
            reading.records.append(entry)
            reading.sizes.append(end - start)
            if record.is_eos:
                break
        pos = end
        reading.ends.append(end)
        for name in touched:
            reading.blocks[name].passes += 1
    return reading


def _account(
    reading: GrammarReading,
    record: QemuMigration.RamRecord,
    start: int,
    current: GrammarBlock | None,
    touched: set[str],
) -> tuple[TraceEntry, GrammarBlock | None]:
    kind = record.kind
    name = record.block_name.text if hasattr(record, "block_name") else None
    payload: bytes | int | None = None
    if kind == MEM_SIZE and hasattr(record, "block_list"):
        for raw in record.block_list.blocks:
            _announce(reading, raw, start)
    if not record.has_page:
        return (start, record.addr_flags, None, None), current
    if name is not None:
        current = reading.blocks.get(name)
        if current is None:
            _refuse(reading, start)
    elif current is None:
        _refuse(reading, start)
    if current is not None and record.offset >= current.length:
        _refuse(reading, start)
    header = 8 + (0 if record.flags & CONTINUE else 1 + len(record.block_name.value))
    size = 0
    if kind == ZERO:
        payload = record.zero_fill
        index_value = ZERO_PAGE_MARK if payload == 0 else -(start + 2)
    elif kind == PAGE:
        payload = bytes(record.page)
        index_value = start + header
    else:
        data = bytes(record.xbzrle.data if kind == XBZRLE else record.compressed.data)
        payload, size = data, len(data)
        index_value = -(start + 2)
    if current is not None and reading.semantic_error_at is None:
        touched.add(current.name)
        if kind == ZERO:
            current.zero += 1
        elif kind == PAGE:
            current.full += 1
            current.payload += reading.page_size
        elif kind == XBZRLE:
            current.xbzrle += 1
            current.payload += size
        elif kind == COMPRESS_PAGE:
            current.compressed += 1
            current.payload += size
        reading.pages.setdefault(current.name, {})[record.offset // reading.page_size] = index_value
    return (start, record.addr_flags, name, payload), current


def _announce(reading: GrammarReading, raw: QemuMigration.RamBlock, start: int) -> None:
    mapped = None
    if hasattr(raw, "mapped"):
        header = raw.mapped
        mapped = (header.version, header.page_size, header.bitmap_offset, header.pages_offset)
    name = raw.name.text
    if name in reading.blocks:
        _refuse(reading, start)
        return
    block = GrammarBlock(name, raw.used_length, getattr(raw, "guest_address", None), mapped)
    reading.blocks[name] = block
    reading.block_order.append(name)
    if mapped is not None and mapped[3] != 0:
        # mapped-ram: the bitmap (64-bit host longs, LSB first) says which pages are in the file.
        pages = -(-block.length // reading.page_size)
        bitmap = bytes(reading.buf[mapped[2] : mapped[2] + -(-pages // 64) * 8])
        bits = int.from_bytes(bitmap, "little") & ((1 << pages) - 1)
        block.full = bits.bit_count()
        block.zero = pages - block.full
        block.payload = block.full * reading.page_size
        block.passes = 1
        marks = reading.pages.setdefault(name, {})
        for page in range(pages):
            written = bits >> page & 1
            marks[page] = mapped[3] + page * reading.page_size if written else ZERO_PAGE_MARK


def _refuse(reading: GrammarReading, start: int) -> None:
    if reading.semantic_error_at is None:
        reading.semantic_error_at = start
