"""Bad input: one clear line naming the offset, exit status 2, partial output, bounded memory.

Hand-made cases come from tests/data/hostile.py (built from real samples); a property test
truncates and corrupts every sample at many offsets.
"""

from __future__ import annotations

import json
import re
import tracemalloc
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import sample_capture, stream_samples
from tests.data import hostile
from vmdiff.cli import main
from vmdiff.decode import decode_bytes
from vmdiff.model import Stream

LINE = re.compile(
    r"^vmdiff: (?P<file>.+?): offset 0x(?P<offset>[0-9a-f]+): expected (.+), found (.+)$"
)
TIMER_FOOTER = hostile.footer_with_wrong_id().index(b"\x7e\x00\x00\x00\x01") + 1


# (offset, part of "expected", part of "found") of each case's one-line error.
FAULTS: dict[str, tuple[int, str, str]] = {
    "not_a_stream": (0, "the magic 'QEVM'", "PNG"),
    "bad_magic": (0, "the magic 'QEVM'", "QEVL"),
    "version_2": (4, "stream version 3", "0x2"),
    "empty": (0, "a QEMU migration stream", "an empty file"),
    "vmdesc_4gib": (hostile.HEADER_AND_CONFIG + 1 + 5, "4294967295 bytes", "only 34"),
    "block_list_never_ends": (len(hostile.block_list_never_ends()), "a RAM block", "only 0"),
    "block_list_too_long": (-1, "at most 65536 RAM blocks", "more"),
    "footer_with_wrong_id": (TIMER_FOOTER, "the footer's section_id 0 (timer)", "1"),
    "mapped_ram_cut_in_block_list": (0x8E, "a RAM block entry: 68157298 bytes", "only 882"),
    "mapped_ram_bad_header_version": (0x72, "mapped-ram header version 1", "0x0"),
}


def _show(path: Path, capsys: pytest.CaptureFixture[str], *extra: str) -> tuple[int, str, str]:
    capsys.readouterr()
    status = main(["show", str(path), *extra])
    out = capsys.readouterr()
    return status, out.out, out.err


def _one_line(err: str, path: Path) -> re.Match[str]:
    lines = err.splitlines()
    assert len(lines) == 1, err
    match = LINE.match(lines[0])
    assert match is not None, lines[0]
    assert match["file"] == str(path)
    return match


@pytest.mark.parametrize("name", sorted(FAULTS))
def test_hostile_case_gives_one_line_exit_2_and_partial_output(
    name: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    offset, expected, found = FAULTS[name]
    path = tmp_path / f"{name}.bin"
    path.write_bytes(hostile.CASES[name]())

    status, out, err = _show(path, capsys)
    assert status == 2
    match = _one_line(err, path)
    if offset >= 0:
        assert int(match["offset"], 16) == offset
    assert expected in match[3] and found in match[4], match[0]
    assert out.startswith(f"{path}: ")

    status, out, err = _show(path, capsys, "--json")
    assert status == 2
    document = json.loads(out)
    assert document["format"] == "vmdiff.show/1"
    assert document["fault"]["offset"] == int(match["offset"], 16)
    assert _one_line(err, path)[0] == match[0]


def test_a_vmdesc_that_contradicts_the_stream_marks_the_section_and_goes_on(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "contradiction.bin"
    path.write_bytes(hostile.vmdesc_contradicts_stream())
    status, out, err = _show(path, capsys, "--json")
    assert status == 2
    match = _one_line(err, path)
    assert "i8259[0]" in match[0]
    document = json.loads(out)
    assert document["fault"] is None
    assert document["eof_offset"] is not None
    wrong = [s for s in document["sections"] if s["problem"]]
    assert [s["path"] for s in wrong] == ["i8259[0]"]
    problem = wrong[0]["problem"]
    # The vmdesc says one byte more than the body has: the layout ends 1 byte after the footer.
    assert problem["actual_end"] == problem["expected_end"] + 1 == int(match["offset"], 16)
    assert wrong[0]["footer_offset"] == problem["expected_end"]
    assert all(s["fields"] for s in document["sections"] if s["kind"] == "full")
    sibling = next(s for s in document["sections"] if s["path"] == "i8259[1]")
    assert sibling["problem"] is None and sibling["fields"][0]["name"] == "last_irr"


def test_names_of_255_bytes_decode(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "names.bin"
    path.write_bytes(hostile.names_of_255_bytes())
    status, out, err = _show(path, capsys, "--json")
    assert (status, err) == (0, "")
    document = json.loads(out)
    assert [len(b["name"]) for b in document["ram"]["blocks"]] == [255]
    assert document["ram"]["blocks"][0]["pages"]["zero"] == 1
    device = document["sections"][-1]
    assert len(device["idstr"]) == 255 and device["fields"][0]["value"] == "01020304"


@pytest.mark.parametrize("make", [lambda p: p, lambda p: p / "missing.bin"], ids=["dir", "missing"])
def test_unreadable_paths_give_one_line(
    make: Any, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = make(tmp_path)
    status, out, err = _show(path, capsys)
    assert status == 2 and out == ""
    lines = err.splitlines()
    assert len(lines) == 1 and lines[0].startswith(f"vmdiff: {path}: ")


@pytest.mark.parametrize(
    ("name", "limit_mb"),
    [
        ("vmdesc_4gib", 4),
        ("block_list_never_ends", 4),
        ("mapped_ram_cut_in_block_list", 4),
        # 65,536 blocks are kept before the limit stops the list: memory follows the file's
        # size, never the 1 TiB the list announces.
        ("block_list_too_long", 48),
    ],
)
def test_memory_never_follows_a_length_field(name: str, limit_mb: int) -> None:
    data = hostile.CASES[name]()
    tracemalloc.start()
    try:
        stream = decode_bytes(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert stream.fault is not None
    assert peak < limit_mb << 20, f"{peak / 2**20:.1f} MiB"


# -- every sample, truncated and corrupted ----------------------------------------------------

_SAMPLES: dict[str, tuple[bytes, tuple[int, ...]]] = {}


def _sample(name: str) -> tuple[bytes, tuple[int, ...]]:
    """A sample's bytes and the offsets where its structure is (record, body, footer starts)."""
    if name not in _SAMPLES:
        capture = sample_capture(name)
        stream = capture.stream
        marks = {0, 4, 8, stream.file_size - 1}
        for section in stream.iter_sections():
            marks.update((section.span.start, section.body.start, section.body.end))
            marks.update(s.span.start for s in section.subsections)
        if stream.vmdesc is not None:
            marks.update((stream.vmdesc.span.start, stream.vmdesc.span.start + 5))
        _SAMPLES[name] = (bytes(capture.source.buf), tuple(sorted(marks)))
    return _SAMPLES[name]


@dataclass(frozen=True)
class Damage:
    """One way to damage a sample (kept small, so that hypothesis reports it readably)."""

    sample: str
    how: str  # truncate | set | flip | delete | insert
    offset: int
    value: int = 0
    inserted: bytes = b""

    def apply(self) -> bytes:
        data, _ = _sample(self.sample)
        at = self.offset
        if self.how == "truncate":
            return data[:at]
        if self.how == "delete":
            return data[:at] + data[at + self.value :]
        if self.how == "insert":
            return data[:at] + self.inserted + data[at:]
        byte = self.value if self.how == "set" else data[at] ^ (1 << self.value)
        return data[:at] + bytes([byte]) + data[at + 1 :]


@st.composite
def damaged(draw: st.DrawFn, names: list[str]) -> Damage:
    name = draw(st.sampled_from(names))
    data, marks = _sample(name)
    near_structure = st.builds(
        lambda mark, delta: max(0, min(len(data) - 1, mark + delta)),
        st.sampled_from(marks),
        st.integers(-2, 12),
    )
    offset = draw(st.one_of(st.integers(0, len(data) - 1), near_structure))
    how = draw(st.sampled_from(["truncate", "set", "flip", "delete", "insert"]))
    value = {
        "set": st.integers(0, 255),
        "flip": st.integers(0, 7),
        "delete": st.integers(1, 16),
    }.get(how, st.just(0))
    inserted = st.binary(min_size=1, max_size=8) if how == "insert" else st.just(b"")
    return Damage(name, how, offset, draw(value), draw(inserted))


ALL = [e["name"] for e in stream_samples()]
# The mapped-ram sample unpacks to 67 MB; it gets its own, shorter run.
SMALL = [n for n in ALL if n != "pc-10.0-mapped-ram"]


@settings(max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged(SMALL))
def test_decoding_a_damaged_sample_never_raises(damage: Damage) -> None:
    data = damage.apply()
    stream = decode_bytes(data)
    assert isinstance(stream, Stream)
    if stream.fault is not None:
        assert 0 <= stream.fault.offset <= len(data)
        assert LINE.match(f"vmdiff: x: {stream.fault.message}")


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(damaged(["pc-10.0-mapped-ram"]))
def test_decoding_a_damaged_mapped_ram_sample_never_raises(damage: Damage) -> None:
    stream = decode_bytes(damage.apply())
    assert isinstance(stream, Stream)


@settings(
    max_examples=40,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(damage=damaged(SMALL), as_json=st.booleans())
def test_show_on_a_damaged_sample_prints_what_it_can(
    damage: Damage, as_json: bool, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = damage.apply()
    path = tmp_path / "damaged.bin"
    path.write_bytes(data)
    status, out, err = _show(path, capsys, *(["--json"] if as_json else []))
    fault = decode_bytes(data).fault
    if fault is not None or err:
        assert status == 2
        match = _one_line(err, path)
        if fault is not None:
            assert int(match["offset"], 16) == fault.offset
    else:
        assert status == 0
    if as_json:
        document = json.loads(out)
        assert (document["fault"] is None) == (fault is None)
    else:
        assert out.startswith(f"{path}: ")
