"""Streams without a vmdesc, decoded from --layout (a saved vmdesc, a -dump-vmstate file) or
from nothing, and layouts that do not fit the stream.

Each sample is cut at its EOF byte, which leaves a valid stream with no vmdesc, as a postcopy
migration, a machine type <= 2.2 or a capture cut short would give.
"""

from __future__ import annotations

import json
import struct
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import SAMPLES, decoded_sample, manifest, sample_capture, stream_samples
from tests.data import hostile
from vmdiff.cli import main
from vmdiff.decode import decode_bytes
from vmdiff.decode.reader import OWN_VMDESC
from vmdiff.layouts import layout_from_json, load_layout
from vmdiff.model import EndOfStream, Field, Section, Subsection

STREAMS = [e["name"] for e in stream_samples()]
DUMPS = {e["file"] for e in manifest() if e["kind"] != "stream"}


def cut_at_eof(name: str) -> bytes:
    """The sample up to and including its EOF byte: the same stream without its vmdesc."""
    stream = decoded_sample(name)
    eof = next(r for r in stream.records if isinstance(r, EndOfStream))
    return bytes(sample_capture(name).source.buf[: eof.span.end])


def dump_for(name: str) -> Path:
    entry = next(e for e in stream_samples() if e["name"] == name)
    path = SAMPLES / f"dump-{entry['qemu_version']}-{entry['machine']}.json"
    assert path.name in DUMPS
    return path


Leaf = tuple[str, int, int, object]


def leaves(fields: tuple[Field, ...], subsections: tuple[Subsection, ...] = ()) -> list[Leaf]:
    """(path, start, end, value) of every field without children, and every subsection."""
    out: list[Leaf] = []
    for field in fields:
        if field.children:
            out.extend(leaves(field.children))
        else:
            out.append((field.path, field.span.start, field.span.end, field.value))
        out.extend(leaves((), field.subsections))
    for sub in subsections:
        out.append((sub.path, sub.span.start, sub.span.end, sub.version_id))
        out.extend(leaves(sub.fields, sub.subsections))
    return out


def _spans(items: list[Leaf]) -> list[tuple[str, int, int]]:
    return [(path, start, end) for path, start, end, _ in items]


@pytest.mark.parametrize("name", STREAMS)
def test_without_any_layout_footers_still_lead_to_eof(name: str) -> None:
    exact = decoded_sample(name)
    stream = decode_bytes(cut_at_eof(name))
    assert stream.fault is None and stream.vmdesc is None
    assert isinstance(stream.records[-1], EndOfStream)
    assert [s.span for s in stream.iter_sections()] == [s.span for s in exact.iter_sections()]
    for raw, real in zip(stream.device_sections(), exact.device_sections(), strict=True):
        assert raw.problem is not None and raw.problem.actual_end is None
        assert raw.problem.expected_end == real.body.end
        assert [f.name for f in raw.fields] == ["raw"]
        guessed = {(s.name, s.span.start) for s in raw.subsections}
        assert all(s.guessed for s in raw.subsections)
        # Every subsection the vmdesc shows at the top of a body is among the guesses.
        assert {(s.name, s.span.start) for s in real.subsections} <= guessed, raw.path


def test_a_vmdesc_saved_from_another_capture_decodes_everything(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    saved = tmp_path / "pc-7.2-again.vmdesc.json"
    assert main(["show", str(SAMPLES / "pc-7.2-again.bin"), "--save-vmdesc", str(saved)]) == 0
    capsys.readouterr()
    assert json.loads(saved.read_bytes()) == decoded_sample("pc-7.2-again").vmdesc.json  # type: ignore[union-attr]

    cut = tmp_path / "pc-7.2-no-vmdesc.bin"
    cut.write_bytes(cut_at_eof("pc-7.2"))
    assert main(["show", str(cut), "--json", "--layout", str(saved)]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["layout_source"] == str(saved) and document["fault"] is None

    stream = decode_bytes(cut.read_bytes(), layout=load_layout(saved))
    exact = decoded_sample("pc-7.2")
    for section, real in zip(stream.device_sections(), exact.device_sections(), strict=True):
        assert section.problem is None and section.layout_source == str(saved)
        assert leaves(section.fields, section.subsections) == leaves(real.fields, real.subsections)


def test_a_vmdesc_from_a_capture_with_other_subsections_is_fitted(tmp_path: Path) -> None:
    """The KVM capture's CPU sends subsections the TCG one does not (and the reverse): the
    fields decode exactly, and the subsection the layout lacks is kept as raw bytes."""
    vmdesc = decoded_sample("pc-7.2").vmdesc
    assert vmdesc is not None and vmdesc.json is not None
    layout = layout_from_json(vmdesc.json, "pc-7.2's vmdesc")
    stream = decode_bytes(cut_at_eof("pc-7.2-kvm"), layout=layout)
    exact = decoded_sample("pc-7.2-kvm")
    assert stream.fault is None
    cpu, real = stream.find_section("cpu", 0), exact.find_section("cpu", 0)
    assert cpu is not None and real is not None
    assert cpu.problem is not None and "'cpu/tsc_khz'" in cpu.problem.message
    assert cpu.problem.expected_end == real.body.end
    assert _spans(leaves(cpu.fields)) == _spans(leaves(real.fields))
    tsc = next(s for s in cpu.subsections if s.name == "cpu/tsc_khz")
    assert tsc.span == next(s.span for s in real.subsections if s.name == "cpu/tsc_khz")
    assert [f.name for f in tsc.fields] == ["raw"]
    kvmclock = stream.find_section("kvmclock", 0)
    assert kvmclock is not None and kvmclock.problem is not None  # not in a TCG vmdesc


@pytest.mark.parametrize("name", STREAMS)
def test_a_dump_vmstate_file_explains_what_it_can_and_nothing_wrong(name: str) -> None:
    dump = dump_for(name)
    stream = decode_bytes(cut_at_eof(name), layout=load_layout(dump))
    exact = decoded_sample(name)
    assert stream.fault is None and isinstance(stream.records[-1], EndOfStream)
    decoded = 0
    for section, real in zip(stream.device_sections(), exact.device_sections(), strict=True):
        assert section.span == real.span
        if section.problem is not None:
            # Not explained: raw bytes between header and footer, and why.
            assert section.problem.actual_end is None
            assert section.fields[0].name == "raw"
            continue
        decoded += 1
        assert (
            section.layout_source is not None and "(fitted to the footer" in section.layout_source
        )
        mine, theirs = (
            leaves(section.fields, section.subsections),
            leaves(real.fields, real.subsections),
        )
        assert _spans(mine) == _spans(theirs), section.path
        for (path, _, _, value), (_, _, _, real_value), field_type in zip(
            mine, theirs, _types(real), strict=True
        ):
            # A dump names no types: integers are read unsigned, by their size.
            if field_type.startswith("uint") or type(value) is type(real_value) is bytes:
                assert value == real_value, path
    # 10.0 dumps list array lengths ("num"); 7.2 dumps do not, so fewer bodies are unique.
    assert decoded >= (19 if dump.name.startswith("dump-10.0") else 12)


def _types(section: Section) -> list[str]:
    out: list[str] = []

    def walk(fields: tuple[Field, ...], subsections: tuple[Subsection, ...] = ()) -> None:
        for field in fields:
            if field.children:
                walk(field.children)
            else:
                out.append(field.type_name)
            walk((), field.subsections)
        for sub in subsections:
            out.append("subsection")
            walk(sub.fields, sub.subsections)

    walk(section.fields, section.subsections)
    return out


def test_a_dump_infers_a_varray_length_from_the_field_that_counts_it() -> None:
    stream = decode_bytes(cut_at_eof("pc-10.0"), layout=load_layout(dump_for("pc-10.0")))
    hpet = stream.find_section("hpet", 0)
    assert hpet is not None and hpet.problem is None and hpet.layout_source is not None
    assert "timer (the value of num_timers_save)" in hpet.layout_source
    timers = next(f for f in hpet.fields if f.name == "timer")
    count = next(f for f in hpet.fields if f.name == "num_timers_save")
    assert len(timers.children) == count.value == 3


def _vmdesc_with(name: str, device: str, field: str, size: int) -> tuple[bytes, dict[str, Any]]:
    """The sample with one field size in its vmdesc changed (length kept consistent)."""
    data = hostile.sample(f"{name}.bin")
    stream = decoded_sample(name)
    assert stream.vmdesc is not None and stream.vmdesc.json is not None
    document = json.loads(json.dumps(stream.vmdesc.json))
    entry = next(d for d in document["devices"] if d["name"] == device)
    target = next(f for f in entry["fields"] if f["name"] == field)
    target["size"] = size
    text = json.dumps(document).encode()
    start = stream.vmdesc.span.start
    return data[:start] + b"\x06" + struct.pack(">I", len(text)) + text, document


@pytest.mark.parametrize(("size", "shift"), [(12, 8), (2, -2)], ids=["longer", "shorter"])
def test_a_layout_that_ends_elsewhere_marks_the_section_and_resyncs(size: int, shift: int) -> None:
    """ioapic's irr is 4 bytes; a vmdesc saying 12 (or 2) ends the body 8 bytes after (2
    before) its footer: the section is marked with both offsets and decoding goes on."""
    data, _ = _vmdesc_with("pc-7.2", "ioapic", "irr", size)
    stream = decode_bytes(data)
    exact = decoded_sample("pc-7.2")
    assert stream.fault is None and stream.layout_source == OWN_VMDESC
    ioapic = stream.find_section("ioapic", 0)
    real = exact.find_section("ioapic", 0)
    assert ioapic is not None and real is not None and ioapic.problem is not None
    assert ioapic.problem.expected_end == real.body.end
    assert ioapic.problem.actual_end == real.body.end + shift
    assert ioapic.span == real.span and ioapic.fields[0].name == "raw"
    after = [s for s in stream.device_sections() if s.span.start > ioapic.span.start]
    assert after and all(s.problem is None and s.fields for s in after)
    assert [s.span for s in after] == [s.span for s in exact.device_sections()[-len(after) :]]


def test_a_wrong_layout_given_with_layout_is_marked_but_not_a_fault(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, document = _vmdesc_with("pc-7.2-again", "ioapic", "irr", 12)
    layout = tmp_path / "wrong.json"
    layout.write_text(json.dumps(document))
    cut = tmp_path / "cut.bin"
    cut.write_bytes(cut_at_eof("pc-7.2"))
    assert main(["show", str(cut), "--json", "--layout", str(layout)]) == 0
    out = capsys.readouterr()
    assert out.err == ""
    sections = {s["path"]: s for s in json.loads(out.out)["sections"]}
    ioapic = sections["ioapic[0]"]
    real = decoded_sample("pc-7.2").find_section("ioapic", 0)
    assert real is not None
    assert ioapic["problem"]["expected_end"] == real.body.end == ioapic["footer_offset"]
    assert ioapic["problem"]["actual_end"] == real.body.end + 8
    assert ioapic["fields"][0]["name"] == "raw"  # a vmdesc lists exact counts: nothing to fit
    others = [s for p, s in sections.items() if p != "ioapic[0]" and s["kind"] == "full"]
    assert others and all(s["problem"] is None for s in others)
