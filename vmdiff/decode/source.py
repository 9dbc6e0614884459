"""Open a capture for decoding: map it into memory, unwrapping libvirt images and compression.

A plain stream or a libvirt image with a raw or sparse payload is mapped as it is, so offsets
are offsets in the file. Compressed data and pipes cannot be mapped: they are copied (unpacked)
into a sparse temporary file under $TMPDIR first, after checking that it fits.
"""

from __future__ import annotations

import contextlib
import mmap
import os
import shutil
import stat
import struct
import sys
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import BinaryIO

import zstandard

from vmdiff.decode.containers import (
    LIBVIRT_HEADER_SIZE,
    QEVM_MAGIC,
    is_libvirt_image,
    libvirt_container,
    parse_libvirt_header,
    payload_mismatch,
    sniff_compression,
    sniff_payload,
)
from vmdiff.decode.multifd import account_channels, describe_channel, is_channel
from vmdiff.decode.unpack import ByteReader, MissingTool, Unpacker, UnpackError
from vmdiff.errors import InputError
from vmdiff.model import Buffer, Container, EndOfStream, Fault, Stream

__all__ = ["QEVM_MAGIC", "Source", "UnpackBreak", "finish_stream", "open_source"]

_HOLE_BLOCK = 64 << 10
_ZERO_BLOCK = bytes(_HOLE_BLOCK)
_SPACE_CHECK_EVERY = 64 << 20
# Stop unpacking before the temporary directory's file system gets this full.
SPACE_RESERVE = 256 << 20
_READ_CHUNK = 1 << 20


@dataclass(frozen=True, slots=True)
class UnpackBreak:
    """Where compressed data stopped unpacking cleanly."""

    format: str
    compressed_offset: int
    unpacked_size: int
    reason: str
    trailing: bool = False

    def describe(self) -> str:
        """One sentence naming both offsets."""
        return (
            f"the {self.format} data breaks at compressed offset {self.compressed_offset:#x} "
            f"of the input, after {self.unpacked_size:#x} unpacked bytes: {self.reason}"
        )


@dataclass(slots=True)
class Source:
    """A capture mapped into memory. Offsets in ``buf`` are the offsets vmdiff reports."""

    path: str
    buf: mmap.mmap | bytes
    size: int
    notes: list[str] = field(default_factory=list)
    stream_offset: int = 0
    container: Container | None = None
    unpack_break: UnpackBreak | None = None
    channels: list[tuple[str, int, int]] = field(default_factory=list)
    """Multifd channel files copied after the main stream: (name, start, end) in ``buf``."""
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
    """Open ``path`` (or ``-`` for standard input), unwrapping libvirt images and compression."""
    if path == "-":
        return _from_pipe(sys.stdin.buffer, path)
    if os.path.isdir(path):
        return _open_set(path)
    try:
        handle = open(path, "rb")  # noqa: SIM115 - kept open behind the mapping
        mode = os.fstat(handle.fileno()).st_mode
    except OSError as err:
        raise InputError(f"{path}: cannot open: {err.strerror}") from None
    if not stat.S_ISREG(mode) and not stat.S_ISBLK(mode):
        return _from_pipe(handle, path)  # a FIFO, e.g. <(ssh host cat vm.save)
    head = handle.read(LIBVIRT_HEADER_SIZE)
    compression = sniff_compression(head)
    if compression is None:
        return _inspect(_map(handle, path))
    handle.seek(0)
    with handle:
        known = _known_unpacked_size(compression, handle)
        handle.seek(0)
        spooled = _unpack(compression, handle, path, base=0, known_size=known)
    return _inspect(spooled, outer=compression)


def _map(handle: BinaryIO, path: str, notes: list[str] | None = None) -> Source:
    # A block device (a save written straight to a disk) reports st_size 0: ask it by seeking.
    size = os.fstat(handle.fileno()).st_size or handle.seek(0, os.SEEK_END)
    if size == 0:
        handle.close()
        return Source(path=path, buf=b"", size=0, notes=notes or [])
    try:
        buf = mmap.mmap(handle.fileno(), size, access=mmap.ACCESS_READ)
    except (OSError, ValueError) as err:
        handle.close()
        raise InputError(f"{path}: cannot map into memory: {err}") from None
    return Source(path=path, buf=buf, size=size, notes=notes or [], _keep=[handle])


def _inspect(source: Source, outer: str | None = None) -> Source:
    """Recognise a libvirt image in a mapped source; unpack its payload if it is compressed."""
    if outer is not None:
        source.container = Container(kind="compressed", format=outer)
    if not is_libvirt_image(bytes(source.buf[:16])):
        return source
    try:
        header = parse_libvirt_header(
            bytes(source.buf[:LIBVIRT_HEADER_SIZE]), source.path, source.size
        )
    except InputError:
        source.close()
        raise
    start = header.payload_offset
    area = bytes(source.buf[LIBVIRT_HEADER_SIZE:start])
    head = bytes(source.buf[start : start + 16])
    found = sniff_payload(head)
    mismatch = payload_mismatch(header, found, head)
    payload = found or ("raw" if header.format == "sparse" else header.format)
    if payload == "raw" and header.format == "sparse":
        payload = "sparse"
    container = libvirt_container(header, area, payload)
    notes = _libvirt_notes(header.partial, mismatch)
    if payload in ("raw", "sparse"):
        source.container = container
        source.stream_offset = start
        source.notes.extend(notes)
        return source
    reader = _BufferReader(source.buf, start)
    try:
        unpacked = _unpack(payload, reader, source.path, base=start, known_size=None)
    finally:
        reader.close()
        source.close()
    unpacked.container = container
    unpacked.notes[:0] = source.notes + notes
    return unpacked


def _libvirt_notes(partial: bool, mismatch: str | None) -> list[str]:
    notes = []
    if partial:
        notes.append(
            "incomplete libvirt save image (magic LibvirtQemudPart): libvirt never finished "
            "writing it and refuses to restore it"
        )
    if mismatch:
        notes.append(mismatch)
    return notes


class _BufferReader:
    """Read a mapped buffer from ``start`` on, like a file."""

    def __init__(self, buf: Buffer, start: int) -> None:
        self._view = memoryview(buf)
        self._pos = start

    def read(self, size: int = -1) -> bytes:
        end = len(self._view) if size < 0 else min(len(self._view), self._pos + size)
        data = bytes(self._view[self._pos : end])
        self._pos = max(self._pos, end)
        return data

    def close(self) -> None:
        self._view.release()


class _Prefixed:
    """A stream with bytes already read from it put back in front."""

    def __init__(self, head: bytes, rest: ByteReader) -> None:
        self._head = head
        self._rest = rest

    def read(self, size: int = -1) -> bytes:
        if self._head:
            take = len(self._head) if size < 0 else size
            data, self._head = self._head[:take], self._head[take:]
            return data
        return self._rest.read(size)


def _read_exactly(stream: ByteReader, size: int) -> bytes:
    parts, want = [], size
    while want > 0:
        data = stream.read(min(want, _READ_CHUNK))
        if not data:
            break
        parts.append(data)
        want -= len(data)
    return b"".join(parts)


def _from_pipe(stream: ByteReader, path: str) -> Source:
    """Standard input or a FIFO: unpack a compressed payload directly, else copy it first."""
    what = "standard input" if path == "-" else path
    head = _read_exactly(stream, LIBVIRT_HEADER_SIZE)
    compression = sniff_compression(head)
    if compression is not None:
        spooled = _unpack(compression, _Prefixed(head, stream), path, base=0, known_size=None)
        return _inspect(spooled, outer=compression)
    if is_libvirt_image(head):
        header = parse_libvirt_header(head, path, None)
        area = _read_exactly(stream, header.data_len)
        payload_head = _read_exactly(stream, 16)
        found = sniff_payload(payload_head)
        declared = "raw" if header.format == "sparse" else header.format
        if (found or declared) not in ("raw", "sparse"):
            payload = found or declared
            mismatch = payload_mismatch(header, found, payload_head)
            unpacked = _unpack(
                payload,
                _Prefixed(payload_head, stream),
                path,
                base=header.payload_offset,
                known_size=None,
            )
            unpacked.container = libvirt_container(header, area, payload)
            unpacked.notes[:0] = _libvirt_notes(header.partial, mismatch)
            return unpacked
        head = head + area + payload_head
    copy = _spool(_chunks_of(_Prefixed(head, stream)), path, f"the data from {what}", None)
    copy.notes.insert(
        0,
        f"copied {_size(copy.size)} from {what} into a temporary file in "
        f"{tempfile.gettempdir()} (offsets are as in the original file)",
    )
    return _inspect(copy)


def _chunks_of(stream: ByteReader) -> Iterator[bytes]:
    while data := stream.read(_READ_CHUNK):
        yield data


def _unpack(
    format_name: str, compressed: ByteReader, path: str, *, base: int, known_size: int | None
) -> Source:
    """Unpack into a temporary file; damage is kept as an UnpackBreak, not raised."""
    try:
        unpacker = Unpacker(format_name, compressed)
    except MissingTool as err:
        raise InputError(f"{path}: {err}") from None
    broke: list[UnpackBreak] = []

    def chunks() -> Iterator[bytes]:
        size = 0
        try:
            for chunk in unpacker.chunks():
                size += len(chunk)
                yield chunk
        except UnpackError as err:
            broke.append(
                UnpackBreak(format_name, base + err.consumed, size, err.reason, err.trailing)
            )

    done = _spool(chunks(), path, f"the {format_name} data", known_size)
    where = f" (file offset {base:#x} on)" if base else ""
    done.notes.insert(
        0,
        f"unpacked the {format_name} data{where} into a temporary file of "
        f"{_size(done.size)} in {tempfile.gettempdir()}; offsets are in the unpacked stream",
    )
    if broke:
        done.unpack_break = broke[0]
        done.notes.append(broke[0].describe())
    return done


def _spool(chunks: Iterable[bytes], path: str, what: str, known_size: int | None) -> Source:
    """Write chunks into a sparse temporary file (runs of zeros become holes) and map it."""
    spooler = _Spooler(path, what, known_size)
    try:
        spooler.write(chunks)
    except BaseException:
        spooler.file.close()
        raise
    return spooler.finish()


class _Spooler:
    """A sparse temporary file that refuses to fill the file system it lives on."""

    def __init__(self, path: str, what: str, known_size: int | None) -> None:
        self.path, self.what = path, what
        self.directory = tempfile.gettempdir()
        if known_size is not None:
            free = free_bytes(self.directory)
            if known_size > free - SPACE_RESERVE:
                raise InputError(
                    f"{path}: unpacking {what} needs {_size(known_size)} in {self.directory}, "
                    f"which has {_size(free)} free; point TMPDIR at a larger file system"
                )
        self.file = tempfile.TemporaryFile(prefix="vmdiff-")  # noqa: SIM115 - lives with the Source
        self.written = self._stored = self._checked = 0

    def write(self, chunks: Iterable[bytes]) -> None:
        """Append chunks; all-zero 64 KiB blocks become holes (mapped-ram is mostly zeros)."""
        for chunk in chunks:
            view = memoryview(chunk)
            for at in range(0, len(view), _HOLE_BLOCK):
                piece = view[at : at + _HOLE_BLOCK]
                if len(piece) == _HOLE_BLOCK and piece == _ZERO_BLOCK:
                    self.file.seek(_HOLE_BLOCK, os.SEEK_CUR)
                else:
                    self.file.write(piece)
                    self._stored += len(piece)
            self.written += len(chunk)
            if self._stored - self._checked >= _SPACE_CHECK_EVERY:
                self._checked = self._stored
                free = free_bytes(self.directory)
                if free < SPACE_RESERVE:
                    raise InputError(
                        f"{self.path}: stopped unpacking {self.what} after "
                        f"{_size(self.written)}: {self.directory} has only {_size(free)} left; "
                        "point TMPDIR at a larger file system"
                    )

    def finish(self) -> Source:
        """Map what was written."""
        self.file.truncate(self.written)
        self.file.flush()
        self.file.seek(0)
        return _map(self.file, self.path)


def _open_set(directory: str) -> Source:
    """A multifd capture set: the QEVM main channel plus one file per channel, in a directory.

    The files are copied into one temporary file, main stream first, so that page offsets
    can point into any of them; stream offsets stay those of the main file.
    """
    mains, channels, others = [], [], []
    for member in sorted(Path(directory).iterdir()):
        if not member.is_file():
            continue
        with member.open("rb") as handle:
            head = handle.read(8)
        if head.startswith(QEVM_MAGIC):
            mains.append(member)
        elif is_channel(head):
            channels.append(member)
        else:
            others.append(member.name)
    if len(mains) != 1:
        found = ", ".join(m.name for m in mains) or "none"
        raise InputError(
            f"{directory}: expected one main stream (a file starting with QEVM) in a multifd "
            f"capture set, found {found}"
        )
    spooler = _Spooler(directory, "the multifd capture set", None)
    parts = []
    try:
        for member in [mains[0], *channels]:
            start = spooler.written
            with member.open("rb") as handle:
                spooler.write(_chunks_of(handle))
            parts.append((member.name, start, spooler.written))
    except OSError as err:
        spooler.file.close()
        raise InputError(f"{directory}: cannot read the set: {err}") from None
    except BaseException:
        spooler.file.close()
        raise
    source = spooler.finish()
    source.size = parts[0][2]
    source.channels = parts[1:]
    source.notes.append(
        f"multifd capture set: main stream {mains[0].name} and {len(channels)} channel files, "
        f"copied into a temporary file of {_size(spooler.written)} in {tempfile.gettempdir()}"
    )
    if others:
        source.notes.append(f"not part of the set (neither QEVM nor multifd): {', '.join(others)}")
    return source


def _size(count: int) -> str:
    value = float(count)
    for unit in ("bytes", "KiB", "MiB", "GiB"):
        if value < 1024:
            return f"{count} bytes" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    return f"{value:.1f} TiB"


def free_bytes(directory: str) -> int:
    """Free space for unprivileged files in ``directory``."""
    return shutil.disk_usage(directory).free


def _known_unpacked_size(format_name: str, handle: BinaryIO) -> int | None:
    """The unpacked size when the compressed file records it (xz index, zstd frame header)."""
    if format_name == "zstd":
        size = zstandard.frame_content_size(handle.read(18))
        return size if size >= 0 else None
    if format_name == "xz":
        return _xz_unpacked_size(handle)
    return None


def _xz_unpacked_size(handle: BinaryIO) -> int | None:
    # The stream footer gives the index size; the index lists each block's unpacked size.
    end = handle.seek(0, os.SEEK_END)
    if end < 24:
        return None
    handle.seek(end - 12)
    footer = handle.read(12)
    if footer[10:12] != b"YZ":
        return None
    index_size = (struct.unpack_from("<I", footer, 4)[0] + 1) * 4
    if index_size > min(end - 12, 64 << 20):
        return None
    handle.seek(end - 12 - index_size)
    index = handle.read(index_size)
    if not index or index[0] != 0:
        return None
    pos, values = 1, []
    try:
        count, pos = _varint(index, pos)
        for _ in range(2 * count):
            value, pos = _varint(index, pos)
            values.append(value)
    except IndexError:
        return None
    return sum(values[1::2])


def _varint(data: bytes, pos: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[pos]
        pos += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if not byte & 0x80 or shift > 63:
            return value, pos


def finish_stream(source: Source, stream: Stream) -> None:
    """Carry what the source knows onto a decoded stream: its container, and unpacking damage.

    Damaged compressed data is a fault naming both offsets: where decoding stopped in the
    unpacked stream, and where the compressed data broke. Junk after whole data is only a note.
    """
    stream.container = source.container
    _account_multifd(source, stream)
    damage = source.unpack_break
    if damage is None or damage.trailing:
        return
    fault = stream.fault
    if fault is None:
        # Everything decoded, but from data known to be damaged (a checksum failed at the end).
        stream.fault = Fault(
            damage.unpacked_size, f"intact {damage.format} data", damage.describe()
        )
        return
    stream.fault = Fault(fault.offset, fault.expected, f"{fault.found} ({damage.describe()})")


def _account_multifd(source: Source, stream: Stream) -> None:
    ram = stream.ram
    if ram is None:
        return
    if source.channels:
        for summary in account_channels(source.buf, source.channels, ram):
            stream.notes.append(describe_channel(summary))
            if summary.fault is not None and stream.fault is None:
                stream.fault = summary.fault
        return
    missing = _pages_never_sent(stream)
    if ram.multifd_flushes or missing:
        why = (
            f"it has {ram.multifd_flushes} MULTIFD_FLUSH records"
            if ram.multifd_flushes
            else f"{missing} RAM pages never appear in it"
        )
        stream.notes.append(
            f"this looks like the main channel of a multifd migration ({why}): the guest "
            "pages travelled on the multifd channels; open the directory holding this file "
            "and the channel files to count them"
        )


def _pages_never_sent(stream: Stream) -> int:
    """Pages of a whole precopy stream that no record sent (0 where that is normal)."""
    ram = stream.ram
    config = stream.configuration
    capabilities = config.capabilities or () if config else ()
    finished = any(isinstance(r, EndOfStream) for r in stream.records)
    if ram is None or ram.mapped_ram or "x-ignore-shared" in capabilities or not finished:
        return 0
    return sum(max(0, -(-b.length // ram.page_size) - b.pages_sent) for b in ram.blocks.values())
