"""The app driven headless with Pilot: the tree, the hex pane and the details stay linked."""

from __future__ import annotations

from pathlib import Path

from textual.widgets import Input, OptionList, Static

from tests.conftest import sample_path
from tests.tui.helpers import browse_app, static_text, truncated_copy, truncated_loaded
from vmdiff.tui.app import VmdiffApp
from vmdiff.tui.screens.goto import GotoScreen
from vmdiff.tui.screens.help import HelpScreen
from vmdiff.tui.screens.search import SearchScreen
from vmdiff.tui.sources import ToOpen
from vmdiff.tui.widgets.section_tree import SectionTree

SIZE = (120, 40)


def _current_path(app: VmdiffApp) -> str | None:
    node = app.browse.current
    return node.path if node is not None else None


async def test_opens_on_the_first_record_with_status() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        assert _current_path(app) == "header"
        assert app.browse.hex_view.cursor == 0
        status = static_text(app.browse.status.query_one("#status-text", Static))
        assert "pc-7.2.bin" in status and "pc-i440fx-7.2" in status
        assert "30 sections (+3 iterative), 7 subsections, 3273 fields" in status


async def test_moving_in_the_tree_moves_the_hex_cursor_and_details() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        cpu = app.browse.outlines["a"].find_path("cpu[0]")
        assert cpu is not None and cpu.span is not None
        app.browse.go_to_node(cpu)
        await pilot.pause()
        assert app.browse.hex_view.cursor == cpu.span.start
        assert [kind for kind, _ in app.browse.hex_view.parts] == ["header", "body", "footer"]
        await pilot.press("right", "down", "down")
        assert _current_path(app) == "cpu[0]/env.eip"
        eip = app.browse.current
        assert eip is not None and eip.span is not None
        assert app.browse.hex_view.cursor == eip.span.start
        details = static_text(app.browse.details.query_one("#details-body", Static))
        assert "cpu[0]/env.eip" in details and "0xfff0" in details and "uint64" in details


async def test_moving_the_hex_cursor_selects_the_innermost_node() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        eflags = app.browse.outlines["a"].find_path("cpu[0]/env.eflags")
        assert eflags is not None and eflags.span is not None
        app.browse.hex_view.focus()
        app.browse.hex_view.jump_to(eflags.span.start - 1, announce=True)
        await pilot.pause()
        assert _current_path(app) == "cpu[0]/env.eip"
        await pilot.press("right")
        await pilot.pause()
        assert _current_path(app) == "cpu[0]/env.eflags"
        # The tree followed without pulling the cursor back to the node's first byte.
        assert app.browse.hex_view.cursor == eflags.span.start
        await pilot.press("down")
        await pilot.pause()
        # A row down is 16 bytes on: past hflags (4), fpuc (2) and fpus_vmstate (2).
        assert app.browse.hex_view.cursor == eflags.span.start + 16
        assert _current_path(app) == "cpu[0]/env.fptag_vmstate"


async def test_clicking_a_byte_selects_its_node() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        hex_view = app.browse.hex_view
        # Row 1 of the dump is offsets 0x10..0x1f; column of byte 0x1a is in the second group.
        x = 5 + 2 + (8 * 3 + 1) + 2 * 3
        await pilot.click(hex_view, offset=(x, 1))
        await pilot.pause()
        assert hex_view.cursor == 0x1A
        assert _current_path(app) == "ram[0]"


async def test_go_to_offset_dialog() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("g")
        assert isinstance(app.screen, GotoScreen)
        await pilot.press(*"cpu")
        await pilot.press("enter")
        assert isinstance(app.screen, GotoScreen)
        hint = static_text(app.screen.query_one("#hint", Static))
        assert "not an offset" in hint
        app.screen.query_one(Input).value = "0x55ed7"
        await pilot.press("enter")
        await pilot.pause()
        assert not isinstance(app.screen, GotoScreen)
        assert app.browse.hex_view.cursor == 0x55ED7
        assert _current_path(app) == "fw_cfg[0]/fw_cfg/dma"


async def test_search_by_value_jumps_to_the_field() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash")
        assert isinstance(app.screen, SearchScreen)
        await pilot.press(*"0xfee00900")
        await pilot.pause()
        results = app.screen.query_one(OptionList)
        assert results.option_count == 1
        await pilot.press("enter")
        await pilot.pause()
        assert _current_path(app) == "apic[0]/apicbase"
        assert app.browse.last_query == "0xfee00900"
        # Searching again starts from the last query; Escape leaves the cursor alone.
        await pilot.press("slash")
        assert app.screen.query_one(Input).value == "0xfee00900"
        await pilot.press("escape")
        assert _current_path(app) == "apic[0]/apicbase"


async def test_search_results_can_be_chosen_from_the_list() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("slash", *"fw_cfg/")
        await pilot.pause()
        screen = app.screen
        assert isinstance(screen, SearchScreen)
        paths = [node.path for node in screen.hits]
        assert paths[0] == "fw_cfg[0]/fw_cfg/dma"
        wanted = paths.index("fw_cfg[0]/fw_cfg/acpi_mr")
        await pilot.press(*["down"] * wanted, "enter")
        await pilot.pause()
        assert _current_path(app) == "fw_cfg[0]/fw_cfg/acpi_mr"


async def test_broken_capture_opens_on_its_fault(tmp_path: Path) -> None:
    app = VmdiffApp(truncated_loaded(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        node = app.browse.current
        assert node is not None and node.kind == "fault"
        fault = app.browse.outlines["a"].stream.fault
        assert fault is not None
        assert app.browse.hex_view.cursor == fault.offset
        assert "fault" in [kind for kind, _ in app.browse.hex_view.parts]
        status = static_text(app.browse.status.query_one("#status-text", Static))
        assert f"fault at {fault.offset:#x}" in status
        # n / N step through the problems; the sections before the fault have no layout.
        await pilot.press("N")
        assert _current_path(app) == "apic[0]"
        await pilot.press("n")
        assert app.browse.current is node


async def test_filter_shows_only_problems(tmp_path: Path) -> None:
    app = VmdiffApp(truncated_loaded(tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        tree = app.browse.query_one(SectionTree)
        shown = [child.data.kind for child in tree.root.children if child.data]
        assert "header" in shown
        await pilot.press("f")
        assert app.browse.filter_mode == "problems"
        shown = [child.data.kind for child in tree.root.children if child.data]
        assert set(shown) == {"section", "fault"}
        assert app.browse.current is not None and app.browse.current.kind == "fault"
        await pilot.press("f")
        assert app.browse.filter_mode == "all"
        assert len(tree.root.children) > len(shown)


async def test_next_problem_on_a_clean_stream_says_there_is_none() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("n")
        assert _current_path(app) == "header"
        assert any("No problems" in str(n.message) for n in app._notifications)


async def test_help_lists_the_keys() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("f1")
        assert isinstance(app.screen, HelpScreen)
        text = static_text(app.screen.query_one("#help-keys", Static))
        for words in ("Search names", "Go to an offset", "Quit", "Command palette", "First byte"):
            assert words in text
        assert "other stream" not in text
        await pilot.press("escape")
        assert not isinstance(app.screen, HelpScreen)


async def test_palette_runs_actions_and_jumps_to_paths() -> None:
    app = browse_app()
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        await pilot.press("ctrl+p")
        await pilot.press(*"Go to hpet")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert _current_path(app) == "hpet[0]"
        await pilot.press("ctrl+p")
        await pilot.press(*"Go to offset")
        await pilot.pause(0.3)
        await pilot.press("enter")
        await pilot.pause()
        assert isinstance(app.screen, GotoScreen)


async def test_export_writes_markdown(tmp_path: Path) -> None:
    app = browse_app()
    target = tmp_path / "apic.md"
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        apic = app.browse.outlines["a"].find_path("apic[0]")
        assert apic is not None
        app.browse.go_to_node(apic)
        await pilot.pause()
        await pilot.press("e")
        app.screen.query_one(Input).value = str(target)
        await pilot.press("enter")
        await pilot.pause()
    text = target.read_text()
    assert text.startswith("# vmdiff: apic[0]\n")
    assert "| apic[0]/apicbase | 0x55e03 | 4 | uint32 | 0xfee00900 |" in text


async def test_decodes_a_file_in_a_worker() -> None:
    app = VmdiffApp(ToOpen(str(sample_path("pc-7.2"))))
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert _current_path(app) == "header"
        assert app.browse.hex_view.size_bytes == sample_path("pc-7.2").stat().st_size
        assert len(app.browse.captures) == 1


async def test_decodes_a_broken_file_and_reports_an_unreadable_one(tmp_path: Path) -> None:
    app = VmdiffApp(ToOpen(str(truncated_copy(tmp_path))))
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.browse.current is not None and app.browse.current.kind == "fault"
    empty = tmp_path / "empty.bin"
    empty.write_bytes(b"QEV")
    app = VmdiffApp(ToOpen(str(empty)))
    async with app.run_test(size=SIZE) as pilot:
        await app.workers.wait_for_complete()
        await pilot.pause()
        node = app.browse.current
        assert node is not None and node.kind == "fault"
