"""The TUI's tree on real captures: offsets, paths, search, RAM pages, the fault node."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.conftest import sample_capture, sample_path
from vmdiff.decode import open_capture
from vmdiff.decode.ram import page_index_entry
from vmdiff.model import Section
from vmdiff.tui.export import export_file_name, export_markdown
from vmdiff.tui.from_stream import build_outline
from vmdiff.tui.marks import Marks
from vmdiff.tui.outline import Outline
from vmdiff.tui.screens.goto import parse_offset


@pytest.fixture(scope="module")
def pc72() -> Outline:
    return build_outline(sample_capture("pc-7.2", index_pages=True).stream)


def test_outline_has_every_record_in_stream_order(pc72: Outline) -> None:
    sections = [n for n in pc72.root.children if n.kind == "section"]
    stream_sections = pc72.stream.iter_sections()
    assert len(sections) == len(stream_sections)
    assert [n.span for n in sections] == [s.span for s in stream_sections]
    kinds = [n.kind for n in pc72.root.children]
    assert kinds[:4] == ["header", "configuration", "ram", "section"]
    assert kinds.index("eof") > kinds.index("section")


def test_section_parts_are_header_body_footer(pc72: Outline) -> None:
    node = pc72.find_path("cpu[0]")
    assert node is not None and node.span is not None
    section = pc72.stream.find_section("cpu", 0)
    assert isinstance(section, Section) and section.footer is not None
    assert dict(node.parts) == {
        "header": type(node.span)(section.span.start, section.body.start),
        "body": section.body,
        "footer": section.footer,
    }
    # The header is the record type, section id, idstr, instance and version.
    header = dict(node.parts)["header"]
    assert header.size == 1 + 4 + 1 + len("cpu") + 4 + 4


def test_node_at_finds_innermost_field(pc72: Outline) -> None:
    cpu = pc72.stream.find_section("cpu", 0)
    assert cpu is not None
    segs = next(f for f in cpu.fields if f.name == "env.segs")
    base = next(c for c in segs.children[1].children if c.name == "base")
    for offset in (base.span.start, base.span.end - 1):
        node = pc72.node_at(offset)
        assert node is not None and node.path == base.path == "cpu[0]/env.segs[1]/base"
        assert node.value == "0xffff0000"
    header = pc72.node_at(cpu.span.start)
    assert header is not None and header.path == "cpu[0]"
    footer = pc72.node_at(cpu.footer.start if cpu.footer else 0)
    assert footer is not None and footer.path == "cpu[0]"


def test_node_at_covers_every_byte_of_a_decoded_stream(pc72: Outline) -> None:
    size = pc72.stream.file_size
    for offset in range(0, size, 997):
        node = pc72.node_at(offset)
        assert node is not None, hex(offset)
        assert node.span is not None and offset in node.span


def test_subsection_parts_split_header_from_fields(pc72: Outline) -> None:
    node = pc72.find_path("fw_cfg[0]/fw_cfg/acpi_mr")
    assert node is not None and node.span is not None
    header = dict(node.parts)["header"]
    assert header.size == 1 + 1 + len("fw_cfg/acpi_mr") + 4
    assert node.children[0].span is not None
    assert node.children[0].span.start == header.end


def test_search_matches_name_path_value_and_globs(pc72: Outline) -> None:
    by_value = pc72.search("0xfee00900")
    assert [n.path for n in by_value] == ["apic[0]/apicbase"]
    by_path = pc72.search("cpu[0]/env.cr[")
    assert [n.path for n in by_path] == [f"cpu[0]/env.cr[{i}]" for i in (0, 2, 3, 4)]
    by_glob = pc72.search("fw_cfg/*")
    assert {n.path for n in by_glob} >= {"fw_cfg[0]/fw_cfg/dma", "fw_cfg[0]/fw_cfg/acpi_mr"}
    assert pc72.search("no-such-thing-anywhere") == []
    assert len(pc72.search("0", limit=7)) == 7


def test_ram_block_pages_point_at_their_bytes(pc72: Outline) -> None:
    capture = sample_capture("pc-7.2", index_pages=True)
    ram = pc72.find_path("ram")
    assert ram is not None
    bios = next(n for n in ram.children if n.name == "pc.bios")
    assert bios.is_lazy
    runs = bios.children
    assert [(r.summary) for r in runs] == ["18 zero pages", "46 data pages"]
    assert not runs[0].has_children
    pages = runs[1].children
    assert len(pages) == 46
    block = capture.stream.ram.blocks["pc.bios"] if capture.stream.ram else None
    assert block is not None and block.page_offsets is not None
    kind, offset = page_index_entry(block.page_offsets[18])
    assert kind == "data"
    assert pages[0].span is not None and pages[0].span.start == offset
    assert pages[0].span.size == 4096
    assert pages[0].path == "ram/pc.bios@0x12000"


def test_big_data_runs_are_split_into_chunks() -> None:
    outline = build_outline(sample_capture("pc-7.2-running", index_pages=True).stream)
    ram = outline.find_path("ram")
    assert ram is not None
    pc_ram = next(n for n in ram.children if n.name == "pc.ram")
    runs = pc_ram.children
    assert sum(int(r.summary.split()[0]) for r in runs) == 16384
    assert all(len(r.children) <= 256 for r in runs if r.has_children)


@pytest.fixture
def truncated(tmp_path: Path) -> Outline:
    data = sample_path("pc-7.2").read_bytes()
    cut = tmp_path / "pc-7.2-cut.bin"
    cut.write_bytes(data[:352000])
    with open_capture(str(cut), index_pages=True) as capture:
        return build_outline(capture.stream)


def test_broken_capture_keeps_what_decoded_and_adds_a_fault_node(truncated: Outline) -> None:
    fault = truncated.stream.fault
    assert fault is not None
    node = truncated.root.children[-2]
    assert node.kind == "fault"
    assert node.name == f"fault at {fault.offset:#x}"
    assert node.problem == fault.message
    assert "fw_cfg" in node.summary
    last = truncated.root.children[-3]
    assert last.path == "apic[0]"
    assert [kind for kind, _span in node.parts] == ["undecoded", "fault", "undecoded"]
    assert last.span is not None
    assert node.parts[0][1] == type(last.span)(last.span.end, fault.offset)
    assert node.parts[1][1].start == fault.offset
    assert node.parts[2][1].end == truncated.stream.file_size
    # Without the vmdesc at the end, no device has a layout: each is a problem too.
    sections = [n for n in truncated.root.children if n.kind == "section"]
    devices = {s.path for s in truncated.stream.device_sections()}
    assert len(devices) == 5
    assert all(n.problem for n in sections if n.path in devices)
    assert truncated.counts.problems == 1 + sum(1 for n in sections if n.problem)
    marks = Marks(truncated.root)
    assert marks.next_after(last) is node
    assert marks.next_after(node, backwards=True) is last


def test_marks_filter_keeps_ancestors_and_descendants(truncated: Outline) -> None:
    marks = Marks(truncated.root)
    keep = marks.keep("problems")
    assert keep is not None
    kept = [n for n in truncated.root.children if keep(n)]
    assert {n.kind for n in kept} == {"section", "fault"}
    assert all(n.problem for n in kept)
    assert keep(truncated.root)
    assert all(keep(child) for child in kept[0].children)
    assert marks.keep("all") is None
    assert marks.count("problems") == len(kept)


def test_parse_offset_accepts_hex_decimal_relative_and_end() -> None:
    assert parse_offset("0x1f3a", 0, 0x10000) == 0x1F3A
    assert parse_offset("1f3a", 0, 0x10000) == 0x1F3A
    assert parse_offset("8000", 0, 0x10000) == 8000
    assert parse_offset("+0x10", 0x100, 0x10000) == 0x110
    assert parse_offset("-16", 0x100, 0x10000) == 0xF0
    assert parse_offset("end", 0, 0x10000) == 0xFFFF
    with pytest.raises(ValueError, match="outside the file"):
        parse_offset("0x10000", 0, 0x10000)
    with pytest.raises(ValueError, match="not an offset"):
        parse_offset("cpu", 0, 0x10000)
    with pytest.raises(ValueError, match="type an offset"):
        parse_offset("  ", 0, 0x10000)


def test_export_markdown_lists_the_subtree(pc72: Outline) -> None:
    node = pc72.find_path("apic[0]")
    assert node is not None
    text = export_markdown(node, [pc72])
    lines = text.splitlines()
    assert lines[0] == "# vmdiff: apic[0]"
    assert "pc-i440fx-7.2" in lines[2]
    assert "| apic[0]/apicbase | 0x55e03 | 4 | uint32 | 0xfee00900 |" in lines
    rows = [line for line in lines if line.startswith("| apic[0]")]
    assert len(rows) == sum(1 for _ in node.walk())
    assert "| apic[0]/isr[7] | 0x55e2c | 4 | uint32 | 0 |" in rows
    assert export_file_name(node, pc72) == "pc-7.2-apic_0.md"
