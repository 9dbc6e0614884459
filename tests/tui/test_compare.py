"""The compare view on real pairs of captures: marks, B-only nodes, both values, verdicts."""

from __future__ import annotations

import re
from pathlib import Path

from textual.widgets import Input, Static

from tests.conftest import sample_path
from tests.tui.helpers import compare_app, loaded, settle, static_text, truncated_copy
from vmdiff.compat import load_destination
from vmdiff.decode import open_capture
from vmdiff.diff import CompareOptions
from vmdiff.tui.app import VmdiffApp
from vmdiff.tui.outline import OutlineNode
from vmdiff.tui.sources import Loaded
from vmdiff.tui.widgets.section_tree import SectionTree

SIZE = (120, 40)


def _details(app: VmdiffApp) -> str:
    return static_text(app.browse.details.query_one("#details-body", Static))


def _status(app: VmdiffApp) -> str:
    return static_text(app.browse.status.query_one("#status-text", Static))


def _find(app: VmdiffApp, path: str) -> OutlineNode:
    node = app.browse.outlines["a"].find_path(path)
    if node is None:
        node = next(n for n in app.browse.outlines["a"].root.walk() if n.path == path)
    return node


async def test_device_only_in_b_is_grafted_in_place_and_shows_b_bytes() -> None:
    app = compare_app("pc-7.2", "pc-7.2-e1000")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        root = app.browse.outlines["a"].root
        paths = [child.path for child in root.children]
        e1000 = "0000:00:02.0/e1000[0]"
        # In B the NIC comes after the PIIX4 PM device, and so it does in the tree.
        assert paths.index(e1000) == paths.index("0000:00:01.3/piix4_pm[0]") + 1
        node = root.children[paths.index(e1000)]
        assert node.side == "b" and node.difference == "only_in_b"
        app.browse.go_to_node(node)
        await pilot.pause()
        assert app.browse.hex_side == "b"
        assert app.browse.hex_view.size_bytes == sample_path("pc-7.2-e1000").stat().st_size
        assert node.span is not None and app.browse.hex_view.cursor == node.span.start
        assert "+ section only in B" in _details(app)
        rom = _find(app, "ram/0000:00:02.0/e1000.rom")
        assert rom.difference == "only_in_b"
        status = _status(app)
        assert "1 section only in B" in status and "would SUCCEED" in status


async def test_changed_field_shows_both_values_and_x_shows_b_bytes() -> None:
    app = compare_app("pc-7.2-kvm", "pc-7.2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        eip = _find(app, "cpu[0]/env.eip")
        assert eip.difference == "changed" and eip.other is not None
        assert eip.other.side == "b" and eip.other.span is not None
        app.browse.go_to_node(eip)
        await pilot.pause()
        details = _details(app)
        assert "~ value" in details
        assert re.search(rf"^A +{eip.value} ", details, re.M)
        assert re.search(rf"^B +{eip.other.value} ", details, re.M)
        assert eip.value != eip.other.value
        await pilot.press("x")
        await pilot.pause()
        assert app.browse.hex_side == "b"
        assert app.browse.hex_view.cursor == eip.other.span.start
        await pilot.press("x")
        assert app.browse.hex_side == "a"
        await pilot.press("f1")
        assert "Show the other stream's bytes" in static_text(
            app.screen.query_one("#help-keys", Static)
        )


async def test_first_rejection_is_selected_with_the_qemu_message() -> None:
    app = compare_app("pc-7.2-kvm", "pc-7.2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        node = app.browse.current
        assert node is not None and node.path == "kvmclock[0]"
        assert node.verdict == "reject" and node.difference == "only_in_a"
        details = _details(app)
        assert "Unknown savevm section or instance 'kvmclock' 0" in details
        assert "would FAIL at kvmclock[0]" in _status(app)


async def test_filter_and_next_walk_the_differences() -> None:
    app = compare_app("pc-7.2", "pc-7.2-e1000")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        tree = app.browse.query_one(SectionTree)
        await pilot.press("f")
        assert app.browse.filter_mode == "differences"
        shown = {child.data.path for child in tree.root.children if child.data}
        assert shown == {"ram", "0000:00:02.0/e1000[0]"}
        app.browse.go_to_node(app.browse.outlines["a"].root)
        visited = []
        for _ in range(len(app.browse.marks.marked) if app.browse.marks else 0):
            await pilot.press("n")
            assert app.browse.current is not None
            visited.append(app.browse.current.path)
        assert visited[-1] == "0000:00:02.0/e1000[0]"
        assert "ram/0000:00:02.0/e1000.rom" in visited
        await pilot.press("N")
        assert app.browse.current is not None and app.browse.current.path == visited[-2]
        await pilot.press("f")
        assert app.browse.filter_mode == "problems"
        await pilot.press("f")
        assert app.browse.filter_mode == "all"


async def test_ram_pages_that_differ_are_marked_when_opened() -> None:
    app = compare_app("pc-7.2", "pc-7.2-running")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        block = _find(app, "ram/pc.ram")
        assert block.difference == "changed"
        changed_runs = [r for r in block.children if r.difference == "changed"]
        assert changed_runs
        # A sent only zero pages; the running guest had written 61 of them.
        pages = [p for r in changed_runs for p in r.children if p.difference == "changed"]
        assert len(pages) == 61
        assert all(p.other is not None and p.other.side == "b" for p in pages)
        first = pages[0]
        assert first.summary == "zero" and first.span is None
        assert first.other is not None and first.other.span is not None
        app.browse.go_to_node(first)
        await pilot.pause()
        assert "page content differs" in _details(app)
        await pilot.press("x")
        await pilot.pause()
        assert app.browse.hex_side == "b"
        assert app.browse.hex_view.cursor == first.other.span.start


async def test_hex_cursor_in_b_selects_the_counterpart_in_the_tree() -> None:
    app = compare_app("pc-7.2-kvm", "pc-7.2")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        apic_b = app.browse.outlines["b"].find_path("apic[0]/apicbase")
        assert apic_b is not None and apic_b.span is not None and apic_b.other is not None
        app.browse.go_to_node(_find(app, "apic[0]"))
        await pilot.pause()
        await pilot.press("x")
        app.browse.hex_view.focus()
        app.browse.hex_view.jump_to(apic_b.span.start, announce=True)
        await pilot.pause()
        assert app.browse.current is apic_b.other
        assert app.browse.hex_side == "b"
        assert [span for _, span in app.browse.hex_view.parts] == [apic_b.span]


async def test_destination_profile_alone_gives_verdicts() -> None:
    dump = sample_path("dump-10.0-pc-i440fx-10.0")
    app = VmdiffApp(loaded("pc-7.2"), destination=load_destination(str(dump)))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        node = app.browse.current
        assert node is not None and node.verdict == "reject"
        assert node.path == "configuration/machine_type"
        assert "Machine type received is 'pc-i440fx-7.2'" in _details(app)
        assert "would FAIL" in _status(app)
        await pilot.press("f")
        assert app.browse.filter_mode == "problems"


async def test_export_at_the_root_writes_the_reports(tmp_path: Path) -> None:
    app = compare_app("pc-7.2", "pc-7.2-e1000")
    target = tmp_path / "report.md"
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.browse.go_to_node(app.browse.outlines["a"].root)
        await pilot.pause()
        await pilot.press("e")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
    text = target.read_text()
    assert "0000:00:02.0/e1000[0]" in text
    assert "would SUCCEED" in text


async def test_a_cut_capture_borrows_b_vmdesc_like_vmdiff_diff(tmp_path: Path) -> None:
    cut = open_capture(str(truncated_copy(tmp_path)), index_pages=True)
    app = VmdiffApp(Loaded.of(cut), loaded("pc-7.2"), options=CompareOptions(ignore_volatile=True))
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        outline = app.browse.outlines["a"]
        # Decoded again with pc-7.2's vmdesc: the devices before the cut have their fields,
        # and the fault moves into fw_cfg[0], where the bytes really end.
        cpu = outline.find_path("cpu[0]")
        assert cpu is not None and cpu.problem is None
        assert [c.path for c in cpu.children[:2]] == ["cpu[0]/env.regs", "cpu[0]/env.eip"]
        node = app.browse.current
        assert node is not None and node.kind == "fault"
        assert outline.stream.fault is not None
        assert "subsection header" in outline.stream.fault.expected
        assert "no differences" in _status(app)
        notes = _find(app, "comparison")
        texts = [child.name for child in notes.children]
        assert any("sections of B come after the point where A stopped" in t for t in texts)
        assert any("decoded with the vmdesc of" in n for n in outline.stream.notes)
