"""Hand-made variants of a real libvirt image: partial, unpadded, big-endian, damaged headers."""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from tests.inputs.helpers import decode, libvirt_sample, shape
from vmdiff.cli import main
from vmdiff.errors import InputError

RAW = libvirt_sample("libvirt-9.0-raw.sav")


def _fields(data: bytes | bytearray) -> list[int]:
    return list(struct.unpack_from("<5I", data, 16))


def _with_fields(data: bytes, fields: list[int], order: str = "<") -> bytes:
    image = bytearray(data)
    struct.pack_into(f"{order}5I", image, 16, *fields)
    return bytes(image)


def _write(tmp_path: Path, data: bytes, name: str = "vm.save") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


def test_partial_image_is_decoded_and_flagged(tmp_path: Path) -> None:
    data = b"LibvirtQemudPart" + RAW.read_bytes()[16:]
    stream = decode(_write(tmp_path, data))
    assert stream.fault is None
    assert stream.container is not None and stream.container.partial
    assert stream.container.magic == "LibvirtQemudPart"
    assert any("incomplete libvirt save image" in note for note in stream.notes)
    assert shape(stream) == shape(decode(RAW))


def test_cut_short_partial_image_keeps_what_was_written(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    # What a host crash during `virsh save` leaves: the Part magic and half a payload.
    whole = RAW.read_bytes()
    path = _write(tmp_path, b"LibvirtQemudPart" + whole[16 : len(whole) // 2])
    stream = decode(path)
    assert stream.container is not None and stream.container.partial
    assert stream.fault is not None and stream.fault.offset < len(whole) // 2
    assert stream.ram is not None and "pc.ram" in stream.ram.blocks
    assert main(["show", str(path)]) == 2
    out, err = capsys.readouterr()
    assert "incomplete (LibvirtQemudPart)" in out
    assert err.startswith(f"vmdiff: {path}: offset 0x")
    assert "Traceback" not in err


def test_unpadded_image_puts_the_payload_right_after_the_cookie(tmp_path: Path) -> None:
    # libvirt 1.3.2 to 6.2 wrote no padding: data_len is the XML and cookie lengths exactly.
    data = RAW.read_bytes()
    version, data_len, running, fmt, cookie = _fields(data)
    area = data[92 : 92 + data_len]
    packed = area[:cookie] + area[cookie:].split(b"\0", 1)[0] + b"\0"
    assert len(packed) < data_len - 60000
    image = _with_fields(data[:92], [version, len(packed), running, fmt, cookie])
    stream = decode(_write(tmp_path, image + packed + data[92 + data_len :]))
    assert stream.fault is None
    assert stream.container is not None
    assert stream.container.payload_offset == stream.stream_offset == 92 + len(packed)
    assert stream.container.cookie_xml is not None and "<cpu" in stream.container.cookie_xml
    assert shape(stream) == shape(decode(RAW))


def test_big_endian_header_is_read(tmp_path: Path) -> None:
    data = RAW.read_bytes()
    image = _with_fields(data, _fields(data), ">")
    stream = decode(_write(tmp_path, image))
    assert stream.container is not None and stream.container.byte_order == "big"
    assert stream.container.data_len == _fields(data)[1]
    assert shape(stream) == shape(decode(RAW))


def test_version_1_header_is_always_raw(tmp_path: Path) -> None:
    data = RAW.read_bytes()
    fields = _fields(data)
    fields[0], fields[3], fields[4] = 1, 3, 0
    stream = decode(_write(tmp_path, _with_fields(data, fields)))
    assert stream.fault is None
    assert stream.container is not None and stream.container.format == "raw"
    assert stream.container.cookie_xml is None


def test_payload_that_disagrees_with_the_header_is_read_as_what_it_is(tmp_path: Path) -> None:
    data = RAW.read_bytes()
    fields = _fields(data)
    fields[3] = 1  # says gzip; the payload is a plain QEVM stream
    stream = decode(_write(tmp_path, _with_fields(data, fields)))
    assert stream.fault is None
    assert any(
        "says format 1 (gzip), but at 0x105c8 there is a raw payload" in n for n in stream.notes
    )


@pytest.mark.parametrize(
    ("index", "value", "message"),
    [
        (0, 3, "offset 0x10: expected libvirt save version 1 or 2 (in either byte order)"),
        (0, 0, "save image header's version, found 0"),
        (1, 0, "offset 0x14: expected an XML area of 1 to"),
        (1, 10_000_000, "offset 0x14: expected an XML area that ends inside the file"),
        (3, 7, "offset 0x1c: expected an image format (0 raw, 1 gzip"),
        (4, -1, "offset 0x20: expected a cookie offset inside the XML area"),
    ],
)
def test_bad_header_field_is_named_with_its_offset(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    index: int,
    value: int,
    message: str,
) -> None:
    data = RAW.read_bytes()
    fields = _fields(data)
    fields[index] = fields[1] if value == -1 else value  # -1: the XML area's own length
    path = _write(tmp_path, _with_fields(data, fields))
    with pytest.raises(InputError, match="libvirt"):
        decode(path)
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_header_cut_short_is_an_error(tmp_path: Path) -> None:
    path = _write(tmp_path, RAW.read_bytes()[:50])
    with pytest.raises(InputError, match=r"offset 0x32: expected the rest of the 92-byte"):
        decode(path)
