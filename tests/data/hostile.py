"""Hand-made bad inputs, each built from a real sample's bytes (or from nothing at all).

Each function returns the bytes of one case. ``python -m tests.data.hostile DIR`` writes them
all to DIR as NAME.bin, for trying them with ``vmdiff show``. The tests build them in memory.
"""

from __future__ import annotations

import json
import lzma
import struct
import sys
from collections.abc import Callable
from functools import cache
from pathlib import Path

SAMPLES = Path(__file__).resolve().parents[2] / "samples"
HEADER_AND_CONFIG = 26  # "QEVM", version 3, CONFIGURATION "pc-i440fx-7.2" in pc-7.2.bin
EOS = struct.pack(">Q", 0x10)


@cache
def sample(name: str) -> bytes:
    """A sample's bytes (xz-compressed ones unpacked)."""
    path = SAMPLES / name
    data = path.read_bytes()
    return lzma.decompress(data) if path.suffix == ".xz" else data


def _pc72() -> bytes:
    return sample("pc-7.2.bin")


def _footer(section_id: int) -> bytes:
    return b"\x7e" + struct.pack(">I", section_id)


def _cstr(name: bytes) -> bytes:
    return bytes([len(name)]) + name


def _start(kind: int, section_id: int, idstr: bytes, instance: int, version: int) -> bytes:
    return (
        bytes([kind])
        + struct.pack(">I", section_id)
        + _cstr(idstr)
        + struct.pack(">II", instance, version)
    )


def not_a_stream() -> bytes:
    """A PNG image: the first bytes of any PNG file."""
    return b"\x89PNG\r\n\x1a\n" + bytes.fromhex("0000000d4948445200000001000000010806000000")


def bad_magic() -> bytes:
    """A real stream whose magic lost a bit ("QEVM" -> "QEVL")."""
    data = bytearray(_pc72()[:4096])
    data[3] ^= 0x01
    return bytes(data)


def version_2() -> bytes:
    """A real stream claiming the obsolete file version 2."""
    data = bytearray(_pc72()[:4096])
    data[4:8] = struct.pack(">I", 2)
    return bytes(data)


def empty() -> bytes:
    """Nothing at all."""
    return b""


def vmdesc_4gib() -> bytes:
    """A stream with no sections whose vmdesc claims to be 4 GiB long."""
    json_text = b'{"page_size": 4096, "devices": []}'
    return _pc72()[:HEADER_AND_CONFIG] + b"\x00\x06" + b"\xff\xff\xff\xff" + json_text


def names_of_255_bytes() -> bytes:
    """The longest names the wire allows: a RAM block and a device idstr of 255 bytes each."""
    block = b"b" * 255
    device = b"0000:00:1f.7/" + b"d" * 242
    ram_start = (
        _start(0x01, 2, b"ram", 0, 4)
        + struct.pack(">Q", 4096 | 0x04)
        + _cstr(block)
        + struct.pack(">Q", 4096)
        + EOS
        + _footer(2)
    )
    ram_part = (
        b"\x02" + struct.pack(">I", 2) + struct.pack(">Q", 0x02) + _cstr(block) + b"\x00" + EOS
    )
    ram_part += _footer(2)
    full = _start(0x04, 3, device, 0, 1) + b"\x01\x02\x03\x04" + _footer(3)
    return _pc72()[:HEADER_AND_CONFIG] + ram_start + ram_part + full + b"\x00"


def block_list_never_ends() -> bytes:
    """A RAM START announcing 1 TiB whose blocks are all empty, until the file ends."""
    blocks = b"".join(_cstr(b"block%d" % i) + struct.pack(">Q", 0) for i in range(300))
    head = _start(0x01, 2, b"ram", 0, 4) + struct.pack(">Q", (1 << 40) | 0x04)
    return _pc72()[:HEADER_AND_CONFIG] + head + blocks


def block_list_too_long() -> bytes:
    """Like block_list_never_ends, but with more blocks than any QEMU has (70,000)."""
    blocks = b"".join(_cstr(b"b%d" % i) + struct.pack(">Q", 4096) for i in range(70_000))
    head = _start(0x01, 2, b"ram", 0, 4) + struct.pack(">Q", (1 << 40) | 0x04)
    return _pc72()[:HEADER_AND_CONFIG] + head + blocks


def vmdesc_contradicts_stream() -> bytes:
    """pc-7.2 whose vmdesc says i8259's "irr" field is 2 bytes long (it is 1)."""
    data = _pc72()
    start = data.rindex(b"\x00\x06") + 1
    (length,) = struct.unpack_from(">I", data, start + 1)
    document = json.loads(data[start + 5 : start + 5 + length])
    device = next(d for d in document["devices"] if d["name"] == "i8259")
    field = next(f for f in device["fields"] if f["name"] == "irr")
    field["size"] = 2
    text = json.dumps(document).encode()
    return data[:start] + b"\x06" + struct.pack(">I", len(text)) + text


def footer_with_wrong_id() -> bytes:
    """pc-7.2 where the footer of the timer section (id 0) says section 1."""
    data = bytearray(_pc72())
    timer = data.index(_start(0x04, 0, b"timer", 0, 2))
    footer = data.index(_footer(0), timer)
    data[footer + 1 : footer + 5] = struct.pack(">I", 1)
    return bytes(data)


def mapped_ram_cut_in_block_list() -> bytes:
    """Reproducer: the mapped-ram sample cut inside its first block's page area.

    The grammar's end-of-data error escaped the reader as a Kaitai exception (found by fuzzing).
    """
    return sample("pc-10.0-mapped-ram.bin.xz")[:0x400]


def mapped_ram_bad_header_version() -> bytes:
    """Reproducer: a mapped-ram block header of version 0, which also escaped as an exception."""
    data = bytearray(sample("pc-10.0-mapped-ram.bin.xz")[:0x400])
    header = data.index(_cstr(b"pc.ram")) + 7 + 8
    data[header : header + 4] = struct.pack(">I", 0)
    return bytes(data)


CASES: dict[str, Callable[[], bytes]] = {
    f.__name__: f
    for f in (
        not_a_stream,
        bad_magic,
        version_2,
        empty,
        vmdesc_4gib,
        names_of_255_bytes,
        block_list_never_ends,
        block_list_too_long,
        vmdesc_contradicts_stream,
        footer_with_wrong_id,
        mapped_ram_cut_in_block_list,
        mapped_ram_bad_header_version,
    )
}


def main(argv: list[str]) -> int:
    """Write every case into the directory given."""
    if len(argv) != 1:
        print("usage: python -m tests.data.hostile DIR", file=sys.stderr)
        return 2
    directory = Path(argv[0])
    directory.mkdir(parents=True, exist_ok=True)
    for name, build in CASES.items():
        (directory / f"{name}.bin").write_bytes(build())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
