"""Multifd channels: the pages a multifd migration sent beside its main stream, per RAM block.

A channel starts with a 64-byte MultiFDInit_t (be32 magic 0x11223344, be32 version 1, 16-byte
uuid, u8 channel id, padding), then carries fixed-size packets: a 320-byte header (magic,
version, flags, pages_alloc, normal_pages, next_packet_size, be64 packet_num, zero_pages from
QEMU 9.0 on, the RAM block name in 256 bytes), one be64 offset per page slot, then the normal
pages' data. Checked on real 7.2 and 10.0 captures (samples/multifd).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

from vmdiff.decode.ram import ZERO_PAGE_MARK
from vmdiff.model import Buffer, Fault, RamSummary

MULTIFD_MAGIC = 0x11223344
MULTIFD_MAGIC_BYTES = struct.pack(">I", MULTIFD_MAGIC)
INIT_SIZE = 64
PACKET_HEADER_SIZE = 320
# Every packet has room for this many bytes of pages, whatever it carries (7.2 to 10.x).
PACKET_PAGE_BYTES = 512 << 10
FLAG_SYNC = 0x1
FLAG_COMPRESSION = 0x3E  # zlib, zstd, qpl, uadk, qatzip
FLAG_DEVICE_STATE = 0x40  # 10.x: VFIO device state instead of pages
_DEVICE_STATE_HEADER = 12 + 256 + 4 + 4
_HEADER = struct.Struct(">IIIIIIQI")


@dataclass(slots=True)
class ChannelSummary:
    """What one multifd channel file carried."""

    name: str
    channel_id: int | None = None
    uuid: bytes = b""
    packets: int = 0
    sync_packets: int = 0
    normal_pages: int = 0
    zero_pages: int = 0
    compressed_packets: int = 0
    device_state_bytes: int = 0
    fault: Fault | None = None


@dataclass(slots=True)
class _Packet:
    number: int
    block: str
    normal: list[int]
    zero: list[int]
    data_offset: int | None
    channel: ChannelSummary = field(repr=False)


def is_channel(head: bytes) -> bool:
    """True if ``head`` starts like a multifd channel."""
    return head.startswith(MULTIFD_MAGIC_BYTES)


def account_channels(
    buf: Buffer, channels: list[tuple[str, int, int]], ram: RamSummary
) -> list[ChannelSummary]:
    """Add each channel's pages to ``ram``'s blocks (and page index, latest packet last)."""
    summaries, packets = [], []
    for name, start, end in channels:
        summary = ChannelSummary(name)
        packets += _read_channel(buf, start, end, ram, summary)
        summaries.append(summary)
    page_size = ram.page_size
    for packet in sorted(packets, key=lambda p: p.number):
        block = ram.blocks[packet.block]
        block.full_pages += len(packet.normal)
        block.zero_pages += len(packet.zero)
        if packet.data_offset is not None:
            block.payload_bytes += len(packet.normal) * page_size
        if block.page_offsets is None:
            continue
        for i, offset in enumerate(packet.normal):
            if packet.data_offset is not None:
                block.page_offsets[offset // page_size] = packet.data_offset + i * page_size
        for offset in packet.zero:
            block.page_offsets[offset // page_size] = ZERO_PAGE_MARK
    touched = {p.block for p in packets}
    for name in touched:
        ram.blocks[name].passes = max(ram.blocks[name].passes, 1)
    return summaries


def _read_channel(
    buf: Buffer, start: int, end: int, ram: RamSummary, summary: ChannelSummary
) -> list[_Packet]:
    page_size = ram.page_size
    slots = PACKET_PAGE_BYTES // page_size
    packet_size = PACKET_HEADER_SIZE + 8 * slots
    found: list[_Packet] = []

    def fail(pos: int, expected: str, what: str) -> list[_Packet]:
        summary.fault = Fault(pos - start, f"{expected} in {summary.name}", what)
        return found

    if end - start < INIT_SIZE:
        return fail(end, "a 64-byte MultiFDInit_t", "end of file")
    magic, version = struct.unpack_from(">II", buf, start)
    if magic != MULTIFD_MAGIC or version != 1:
        return fail(
            start, "a multifd channel (magic 0x11223344, version 1)", f"{magic:#x} v{version}"
        )
    summary.uuid = bytes(buf[start + 8 : start + 24])
    summary.channel_id = buf[start + 24]
    pos = start + INIT_SIZE
    while pos < end:
        if pos + 12 > end:
            return fail(pos, "a multifd packet header", "end of file")
        magic, version, flags = struct.unpack_from(">III", buf, pos)
        if magic != MULTIFD_MAGIC or version != 1:
            return fail(pos, "a multifd packet (magic 0x11223344, version 1)", f"{magic:#x}")
        if flags & FLAG_DEVICE_STATE:
            if pos + _DEVICE_STATE_HEADER > end:
                return fail(pos, "a device state packet header", "end of file")
            (size,) = struct.unpack_from(">I", buf, pos + _DEVICE_STATE_HEADER - 4)
            summary.device_state_bytes += size
            summary.packets += 1
            pos += _DEVICE_STATE_HEADER + size
            continue
        if pos + packet_size > end:
            return fail(pos, f"a {packet_size}-byte multifd packet", f"{end - pos} bytes")
        _, _, _, alloc, normal, next_size, number, zero = _HEADER.unpack_from(buf, pos)
        if alloc > slots or normal + zero > slots:
            return fail(pos + 12, f"at most {slots} pages in a packet", f"{normal}+{zero}")
        summary.packets += 1
        summary.sync_packets += bool(flags & FLAG_SYNC)
        data = pos + packet_size
        compressed = bool(flags & FLAG_COMPRESSION)
        payload = next_size if compressed else normal * page_size
        if data + payload > end:
            return fail(data, f"{payload} bytes of page data", f"{end - data} bytes")
        if normal + zero:
            name = bytes(buf[pos + 64 : pos + PACKET_HEADER_SIZE]).split(b"\0", 1)[0]
            block = name.decode("latin-1")
            if block not in ram.blocks:
                return fail(pos + 64, "a RAM block the main stream announced", repr(block))
            offsets = struct.unpack_from(f">{normal + zero}Q", buf, pos + PACKET_HEADER_SIZE)
            length = ram.blocks[block].length
            if any(o >= length or o % page_size for o in offsets):
                return fail(pos + PACKET_HEADER_SIZE, f"page offsets inside {block}", "others")
            summary.normal_pages += normal
            summary.zero_pages += zero
            summary.compressed_packets += compressed
            found.append(
                _Packet(
                    number,
                    block,
                    list(offsets[:normal]),
                    list(offsets[normal:]),
                    None if compressed else data,
                    summary,
                )
            )
        pos = data + payload
    return found


def describe_channel(summary: ChannelSummary) -> str:
    """One line for the notes."""
    line = (
        f"multifd channel {summary.channel_id} ({summary.name}): {summary.packets} packets "
        f"({summary.sync_packets} sync), {summary.normal_pages} pages with data, "
        f"{summary.zero_pages} zero pages"
    )
    if summary.compressed_packets:
        line += f"; {summary.compressed_packets} compressed packets (their pages are not indexed)"
    if summary.device_state_bytes:
        line += f"; {summary.device_state_bytes} bytes of device state"
    return line
