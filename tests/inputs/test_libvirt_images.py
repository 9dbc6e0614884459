"""Real libvirt save images (samples/libvirt, made by tools/make-libvirt-samples.sh)."""

from __future__ import annotations

import shutil
import struct
from pathlib import Path

import pytest

from tests.inputs.helpers import decode, libvirt_sample, shape, unpack_with_tool
from vmdiff.decode import open_capture
from vmdiff.decode.domain_xml import parse_domain_xml

# file, libvirt header format, QEMU machine type
IMAGES = [
    ("libvirt-9.0-raw.sav", "raw", "pc-i440fx-7.2"),
    ("libvirt-9.0-raw-paused.sav", "raw", "pc-i440fx-7.2"),
    ("libvirt-9.0-managedsave.save", "raw", "pc-i440fx-7.2"),
    ("libvirt-9.0-snapshot-memory.save", "raw", "pc-i440fx-7.2"),
    ("libvirt-9.0-gzip.sav", "gzip", "pc-i440fx-7.2"),
    ("libvirt-9.0-bzip2.sav", "bzip2", "pc-i440fx-7.2"),
    ("libvirt-9.0-xz.sav", "xz", "pc-i440fx-7.2"),
    ("libvirt-9.0-lzop.sav", "lzop", "pc-i440fx-7.2"),
    ("libvirt-11-raw.sav", "raw", "pc-i440fx-10.0"),
    ("libvirt-11-zstd.sav", "zstd", "pc-i440fx-10.0"),
    ("libvirt-11-sparse.sav.xz", "sparse", "pc-i440fx-10.0"),
]
COMPRESSED = [(name, fmt) for name, fmt, _ in IMAGES if fmt not in ("raw", "sparse")]


def _header(data: bytes) -> tuple[int, ...]:
    return struct.unpack_from("<5I", data, 16)


@pytest.mark.parametrize(("name", "fmt", "machine"), IMAGES)
def test_libvirt_image_decodes_with_its_header_and_domain(
    name: str, fmt: str, machine: str
) -> None:
    if fmt == "lzop" and shutil.which("lzop") is None:
        pytest.skip("the lzop program is not installed (vmdiff runs it for lzop images)")
    stream = decode(libvirt_sample(name))
    assert stream.fault is None, stream.fault
    assert stream.vmdesc is not None
    container = stream.container
    assert container is not None
    assert (container.kind, container.format, container.magic) == (
        "libvirt",
        fmt,
        "LibvirtQemudSave",
    )
    assert container.version == 2 and not container.partial
    assert container.payload_offset == 92 + (container.data_len or 0)
    assert container.was_running is (name != "libvirt-9.0-raw-paused.sav")
    assert container.cookie_xml is not None and container.cookie_xml.startswith("<cookie>")
    domain = parse_domain_xml(container.domain_xml or "")
    assert (domain.name, domain.machine_type, domain.memory_bytes) == (
        "vmdiff-sample",
        machine,
        64 << 20,
    )
    assert stream.machine_type == machine
    assert [d.kind for d in domain.find_devices("disk")] == ["disk"]


@pytest.mark.parametrize(("name", "fmt"), COMPRESSED)
def test_compressed_image_decodes_like_the_stream_it_holds(
    name: str, fmt: str, tmp_path: Path
) -> None:
    path = libvirt_sample(name)
    data = path.read_bytes()
    payload = data[92 + _header(data)[1] :]
    inner = unpack_with_tool(fmt, payload)
    assert inner.startswith(b"QEVM")
    stream = decode(path)
    assert stream.stream_offset == 0 and stream.file_size == len(inner)
    with_vmdiff = open_capture(str(path))
    try:
        assert with_vmdiff.read(0, len(inner)) == inner
    finally:
        with_vmdiff.close()
    bare = tmp_path / "stream.bin"
    bare.write_bytes(inner)
    assert shape(stream) == shape(decode(bare))


@pytest.mark.parametrize("name", ["libvirt-9.0-raw.sav", "libvirt-11-raw.sav"])
def test_raw_image_offsets_point_into_the_file(name: str, tmp_path: Path) -> None:
    path = libvirt_sample(name)
    data = path.read_bytes()
    start = 92 + _header(data)[1]
    stream = decode(path)
    bare = tmp_path / "stream.bin"
    bare.write_bytes(data[start:])
    assert shape(stream) == shape(decode(bare))
    assert stream.stream_offset == start
    first = stream.iter_sections()[0]
    assert data[first.span.start] == 0x01  # QEMU_VM_SECTION_START, at its offset in the file
    assert stream.vmdesc is not None and stream.vmdesc.span.end == len(data)


def test_sparse_image_reads_mapped_ram_at_file_offsets() -> None:
    stream = decode(libvirt_sample("libvirt-11-sparse.sav.xz"))
    assert stream.ram is not None and stream.ram.mapped_ram
    pc_ram = stream.ram.blocks["pc.ram"]
    assert pc_ram.mapped is not None
    # mapped-ram offsets count from byte 0 of the libvirt file, not from the stream start.
    assert pc_ram.mapped.pages_offset % (1 << 20) == 0
    assert stream.stream_offset < pc_ram.mapped.bitmap_offset < pc_ram.mapped.pages_offset
    raw = decode(libvirt_sample("libvirt-11-raw.sav"))
    assert raw.ram is not None
    assert [b.name for b in raw.ram.blocks.values()] == list(stream.ram.blocks)
    assert [s.path for s in raw.device_sections()] == [s.path for s in stream.device_sections()]
    assert pc_ram.full_pages == raw.ram.blocks["pc.ram"].full_pages
    last = max(stream.ram.blocks.values(), key=lambda b: b.mapped.pages_offset if b.mapped else 0)
    assert last.mapped is not None
    assert stream.file_size > last.mapped.pages_offset + last.length
