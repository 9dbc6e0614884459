"""Recognise what wraps a QEMU stream: a libvirt save image header, or a compressor's magic.

The libvirt header is 92 bytes in the byte order of the host that wrote it; the domain XML, an
optional cookie and padding fill the next ``data_len`` bytes, and the payload starts right after
them (shared/docs/libvirt-save.md).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from vmdiff.errors import InputError
from vmdiff.model import Container

LIBVIRT_HEADER_SIZE = 92
SAVE_MAGIC = b"LibvirtQemudSave"
PART_MAGIC = b"LibvirtQemudPart"
LIBVIRT_FORMATS = ("raw", "gzip", "bzip2", "xz", "lzop", "zstd", "sparse")
LIBVIRT_VERSION = 2
# libvirt writes the XML, the cookie and 64 KiB of padding; far more is not a save image.
MAX_XML_AREA = 64 << 20
QEVM_MAGIC = b"QEVM"
COMPRESSION_MAGICS = (
    (b"\x1f\x8b", "gzip"),
    (b"BZh", "bzip2"),
    (b"\xfd7zXZ\x00", "xz"),
    (b"\x89LZO\x00\r\n\x1a\n", "lzop"),
    (b"\x28\xb5\x2f\xfd", "zstd"),
)
_FIELD_OFFSETS = {"version": 0x10, "data_len": 0x14, "format": 0x1C, "cookieOffset": 0x20}


def sniff_compression(head: bytes) -> str | None:
    """The compressor whose magic ``head`` starts with, or None."""
    for magic, name in COMPRESSION_MAGICS:
        if head.startswith(magic):
            return name
    return None


def sniff_payload(head: bytes) -> str | None:
    """What a payload's first bytes say it is: "raw" (a QEMU stream), a compressor, or None."""
    if head.startswith(QEVM_MAGIC):
        return "raw"
    return sniff_compression(head)


def is_libvirt_image(head: bytes) -> bool:
    """True if ``head`` starts with either libvirt save image magic."""
    return head[:16] in (SAVE_MAGIC, PART_MAGIC)


@dataclass(frozen=True, slots=True)
class LibvirtHeader:
    """The 92-byte header of a libvirt save image (virsh save, managedsave, memory snapshot)."""

    magic: str
    version: int
    data_len: int
    was_running: int
    format_code: int
    cookie_offset: int
    byte_order: str

    @property
    def partial(self) -> bool:
        """True for an image libvirt never finished writing (magic LibvirtQemudPart)."""
        return self.magic == PART_MAGIC.decode()

    @property
    def payload_offset(self) -> int:
        """Where the QEMU stream (or its compressed form) starts in the file."""
        return LIBVIRT_HEADER_SIZE + self.data_len

    @property
    def format(self) -> str:
        """raw, gzip, bzip2, xz, lzop, zstd or sparse."""
        return LIBVIRT_FORMATS[self.format_code]


def parse_libvirt_header(head: bytes, path: str, file_size: int | None) -> LibvirtHeader:
    """Check and unpack the header; raise InputError naming the bad field and its offset."""
    if len(head) < LIBVIRT_HEADER_SIZE:
        raise InputError(
            f"{path}: offset {len(head):#x}: expected the rest of the 92-byte libvirt "
            "save image header, found end of file"
        )
    order = "little"
    fields: tuple[int, ...] = struct.unpack_from("<5I", head, 16)
    if fields[0] > LIBVIRT_VERSION:
        # Written on a big-endian host (s390x): libvirt swaps and tries again, so do we.
        swapped = struct.unpack_from(">5I", head, 16)
        if swapped[0] <= LIBVIRT_VERSION:
            order, fields = "big", swapped
    version, data_len, was_running, format_code, cookie_offset = fields
    if not 1 <= version <= LIBVIRT_VERSION:
        _bad(path, "version", "libvirt save version 1 or 2 (in either byte order)", version)
    if version == 1:
        format_code, cookie_offset = 0, 0  # version 1 had no format field: always raw
    if data_len == 0 or data_len > MAX_XML_AREA:
        _bad(path, "data_len", f"an XML area of 1 to {MAX_XML_AREA} bytes", data_len)
    if file_size is not None and LIBVIRT_HEADER_SIZE + data_len > file_size:
        _bad(
            path,
            "data_len",
            f"an XML area that ends inside the file ({file_size} bytes)",
            data_len,
        )
    if format_code >= len(LIBVIRT_FORMATS):
        names = ", ".join(f"{i} {n}" for i, n in enumerate(LIBVIRT_FORMATS))
        _bad(path, "format", f"an image format ({names})", format_code)
    if cookie_offset >= data_len:
        _bad(
            path,
            "cookieOffset",
            f"a cookie offset inside the XML area (< {data_len})",
            cookie_offset,
        )
    return LibvirtHeader(
        head[:16].decode("ascii"),
        version,
        data_len,
        was_running,
        format_code,
        cookie_offset,
        order,
    )


def _bad(path: str, name: str, expected: str, value: int) -> None:
    raise InputError(
        f"{path}: offset {_FIELD_OFFSETS[name]:#x}: expected {expected} in the libvirt "
        f"save image header's {name}, found {value}"
    )


def libvirt_container(header: LibvirtHeader, xml_area: bytes, payload_format: str) -> Container:
    """The Container for a parsed header and its XML area (XML and cookie cut at their NUL)."""
    xml_end = header.cookie_offset or header.data_len
    domain_xml = _c_string(xml_area[:xml_end])
    cookie_xml = _c_string(xml_area[header.cookie_offset :]) if header.cookie_offset else None
    return Container(
        kind="libvirt",
        format=payload_format,
        payload_offset=header.payload_offset,
        magic=header.magic,
        partial=header.partial,
        version=header.version,
        data_len=header.data_len,
        was_running=bool(header.was_running),
        cookie_offset=header.cookie_offset,
        domain_xml=domain_xml,
        cookie_xml=cookie_xml,
        byte_order=header.byte_order,
    )


def _c_string(data: bytes) -> str:
    return data.split(b"\0", 1)[0].decode("utf-8", errors="replace")


def payload_mismatch(header: LibvirtHeader, found: str | None, head: bytes) -> str | None:
    """A note when the payload's magic disagrees with the header's format, else None."""
    declared = "raw" if header.format == "sparse" else header.format
    if found == declared:
        return None
    what = f"a {found} payload" if found else f"unrecognised bytes {head[:8].hex(' ')}"
    action = f"read as {found}" if found else f"read as {header.format}"
    return (
        f"the libvirt header says format {header.format_code} ({header.format}), but at "
        f"{header.payload_offset:#x} there is {what}: {action}"
    )
