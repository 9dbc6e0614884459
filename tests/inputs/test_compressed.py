"""Plain streams and libvirt images compressed with the real gzip, bzip2, xz, zstd and lzop."""

from __future__ import annotations

import gzip
import re
from pathlib import Path

import pytest

from tests.conftest import sample_path
from tests.inputs.helpers import COMPRESSORS, decode, libvirt_sample, pack_with_tool, shape
from vmdiff.cli import main
from vmdiff.decode import source as source_module
from vmdiff.decode import unpack as unpack_module
from vmdiff.errors import InputError

BREAK = re.compile(
    r"^vmdiff: (?P<path>\S+): offset 0x(?P<decoded>[0-9a-f]+): expected .*"
    r"the (?P<format>\w+) data breaks at compressed offset 0x(?P<compressed>[0-9a-f]+) of the "
    r"input, after 0x(?P<unpacked>[0-9a-f]+) unpacked bytes: .+\n$"
)


@pytest.fixture(scope="module")
def plain() -> bytes:
    """A real 7.2 stream (450 KiB)."""
    return sample_path("pc-7.2").read_bytes()


@pytest.mark.parametrize("fmt", COMPRESSORS)
def test_compressed_stream_decodes_like_the_plain_one(
    fmt: str, plain: bytes, tmp_path: Path
) -> None:
    path = tmp_path / "capture.bin"  # no suffix: recognised by its magic
    path.write_bytes(pack_with_tool(fmt, plain))
    stream = decode(path)
    assert stream.fault is None
    assert stream.container is not None
    assert (stream.container.kind, stream.container.format) == ("compressed", fmt)
    assert shape(stream) == shape(decode(sample_path("pc-7.2")))
    assert any(f"unpacked the {fmt} data" in note for note in stream.notes)


@pytest.mark.parametrize("fmt", COMPRESSORS)
def test_cut_short_compressed_stream_names_both_offsets(
    fmt: str, plain: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = pack_with_tool(fmt, plain)
    path = tmp_path / "cut"
    path.write_bytes(packed[: len(packed) * 2 // 3])
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    found = BREAK.match(err)
    assert found is not None, err
    assert found["format"] == fmt
    assert int(found["compressed"], 16) == len(packed) * 2 // 3
    assert int(found["decoded"], 16) <= int(found["unpacked"], 16) < len(plain)


@pytest.mark.parametrize("fmt", ["bzip2", "xz", "zstd", "lzop"])
def test_corrupt_compressed_stream_is_a_clean_error(
    fmt: str, plain: bytes, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    packed = bytearray(pack_with_tool(fmt, plain))
    packed[len(packed) // 2] ^= 0x55  # each of these checks its blocks
    path = tmp_path / "corrupt"
    path.write_bytes(packed)
    assert main(["show", str(path)]) == 2
    err = capsys.readouterr().err
    found = BREAK.match(err)
    assert found is not None, err
    assert int(found["compressed"], 16) <= len(packed)


def test_cut_short_libvirt_xz_image_counts_compressed_offsets_in_the_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = libvirt_sample("libvirt-9.0-xz.sav").read_bytes()
    path = tmp_path / "vm.save"
    path.write_bytes(data[:150_000])
    assert main(["show", str(path)]) == 2
    out, err = capsys.readouterr()
    found = BREAK.match(err)
    assert found is not None, err
    assert int(found["compressed"], 16) == 150_000  # an offset in vm.save itself
    assert "format 3 xz" in out


def test_concatenated_gzip_members_are_one_stream(plain: bytes, tmp_path: Path) -> None:
    path = tmp_path / "two-members"
    half = len(plain) // 2
    path.write_bytes(gzip.compress(plain[:half]) + gzip.compress(plain[half:]))
    stream = decode(path)
    assert stream.fault is None
    assert shape(stream) == shape(decode(sample_path("pc-7.2")))


def test_junk_after_whole_gzip_data_is_only_a_note(plain: bytes, tmp_path: Path) -> None:
    path = tmp_path / "junk"
    path.write_bytes(gzip.compress(plain) + b"\xff" * 100)
    stream = decode(path)
    assert stream.fault is None
    assert any("100+ bytes after the end of the gzip data" in note for note in stream.notes)


def test_unpacking_refuses_when_the_xz_size_does_not_fit(
    plain: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "big.xz"
    path.write_bytes(pack_with_tool("xz", plain))
    monkeypatch.setattr(source_module, "free_bytes", lambda _dir: 100_000)
    with pytest.raises(InputError, match=r"needs 450\.3 KiB in .*which has 97\.7 KiB free"):
        decode(path)


def test_unpacking_stops_before_the_disk_fills(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # gzip records no reliable size, so the space is checked while writing (every 64 MiB).
    path = tmp_path / "pattern.gz"
    path.write_bytes(gzip.compress(bytes(range(1, 256)) * (280 << 10), compresslevel=1))
    monkeypatch.setattr(source_module, "free_bytes", lambda _dir: 10 << 20)
    with pytest.raises(InputError, match=r"stopped unpacking the gzip data after 6\d\.\d MiB"):
        decode(path)


def test_lzop_input_without_the_program_says_what_to_install(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(unpack_module, "LZOP_PROGRAM", "lzop-not-installed")
    path = libvirt_sample("libvirt-9.0-lzop.sav")
    assert main(["show", str(path)]) == 2
    assert capsys.readouterr().err == (
        f"vmdiff: {path}: lzop data needs the lzop program (Debian: apt-get install lzop), "
        "as libvirt itself does to restore such an image\n"
    )
