"""Multifd capture sets: the main stream plus one file per channel, opened as a directory."""

from __future__ import annotations

import importlib.util
import shutil
from pathlib import Path
from types import ModuleType

import pytest

from tests.conftest import ROOT, SAMPLES, sample_capture
from tests.inputs.helpers import decode
from vmdiff.decode import open_capture
from vmdiff.decode.pages import PageReader
from vmdiff.errors import InputError
from vmdiff.model import Stream
from vmdiff.qemu import find_qemu

SETS = SAMPLES / "multifd"
# set, a plain capture of the same QEMU and machine (samples/manifest.json)
PAIRS = [("pc-7.2-multifd", "pc-7.2-running"), ("pc-10.0-multifd", "pc-10.0")]
READ_ONLY_BLOCKS = ("pc.bios", "pc.rom")  # firmware images: the same in every run


def _tool() -> ModuleType:
    path = ROOT / "tools" / "make-multifd-samples.py"
    spec = importlib.util.spec_from_file_location("make_multifd_samples", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _every_page_accounted(path: Path) -> Stream:
    """Decode with a page index and check that every page of every block arrived somewhere."""
    with open_capture(str(path), index_pages=True) as capture:
        stream = capture.stream
        assert stream.fault is None
        assert stream.ram is not None
        for block in stream.ram.blocks.values():
            assert block.page_offsets is not None
            assert 0 not in block.page_offsets, f"{block.name}: a page never sent"
            # A live migration sends dirty pages again, so records may outnumber pages.
            assert block.pages_sent >= len(block.page_offsets)
        return stream


@pytest.mark.parametrize(("name", "_plain"), PAIRS)
def test_set_accounts_every_page_per_block(name: str, _plain: str) -> None:
    stream = _every_page_accounted(SETS / name)
    assert stream.ram is not None and stream.ram.blocks["pc.bios"].full_pages > 0
    channels = [n for n in stream.notes if n.startswith("multifd channel ")]
    assert [n.split(" (")[0] for n in channels] == ["multifd channel 0", "multifd channel 1"]


@pytest.mark.parametrize(("name", "plain"), PAIRS)
def test_set_pages_read_like_a_plain_capture(name: str, plain: str) -> None:
    # ROM contents do not depend on the run: the pages that came over the channels must match.
    with open_capture(str(SETS / name), index_pages=True) as capture:
        ram = capture.stream.ram
        other = sample_capture(plain, index_pages=True)
        assert ram is not None and other.stream.ram is not None
        for block_name in READ_ONLY_BLOCKS:
            ours = PageReader(capture.source.buf, ram.blocks[block_name], ram.page_size)
            theirs = PageReader(
                other.source.buf, other.stream.ram.blocks[block_name], ram.page_size
            )
            assert list(ours.iter_pages()) == list(theirs.iter_pages()), block_name


@pytest.mark.parametrize(("name", "_plain"), PAIRS)
def test_main_channel_alone_says_where_its_pages_went(name: str, _plain: str) -> None:
    stream = decode(SETS / name / "main.bin")
    assert stream.fault is None
    assert any("main channel of a multifd migration" in note for note in stream.notes)
    assert stream.ram is not None and stream.ram.blocks["pc.bios"].full_pages == 0


def test_cut_short_channel_is_a_fault_in_that_file(tmp_path: Path) -> None:
    copy = tmp_path / "set"
    shutil.copytree(SETS / "pc-7.2-multifd", copy)
    channel = copy / "channel-0.bin"
    channel.write_bytes(channel.read_bytes()[:100_000])
    stream = decode(copy)
    assert stream.fault is not None
    assert "in channel-0.bin" in stream.fault.expected
    assert stream.fault.offset <= 100_000


def test_directory_without_one_main_stream_is_refused(tmp_path: Path) -> None:
    shutil.copy(SETS / "pc-7.2-multifd" / "channel-0.bin", tmp_path)
    with pytest.raises(InputError, match=r"expected one main stream .* found none"):
        decode(tmp_path)


@pytest.mark.parametrize("version", ["7.2", "10.0"])
def test_real_multifd_migration_is_captured_and_accounted(version: str, tmp_path: Path) -> None:
    qemu = find_qemu(version)
    if qemu is None:
        pytest.skip(f"QEMU {version} is not installed")
    machine = "pc-i440fx-7.2" if version == "7.2" else "pc-i440fx-10.0"
    files = _tool().capture_multifd_set(
        qemu, ["-M", machine, "-m", "32", "-accel", "tcg"], tmp_path / "set"
    )
    assert sorted(f.name for f in files) == ["channel-0.bin", "channel-1.bin", "main.bin"]
    stream = _every_page_accounted(tmp_path / "set")
    assert stream.ram is not None and stream.ram.blocks["pc.ram"].length == 32 << 20
