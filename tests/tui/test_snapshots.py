"""One SVG snapshot per screen at fixed sizes (update with ``pytest --snapshot-update``)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from textual.pilot import Pilot

from tests.tui.helpers import browse_app, compare_app, settle, truncated_loaded
from vmdiff.tui.app import VmdiffApp

SnapCompare = Callable[..., bool]
WIDE = (120, 40)
NARROW = (80, 24)


async def _open_cpu_eip(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, VmdiffApp)
    await pilot.pause()
    cpu = app.browse.outlines["a"].find_path("cpu[0]/env.eip")
    assert cpu is not None
    app.browse.go_to_node(cpu)
    await pilot.pause()


async def _open_ram_page(pilot: Pilot[None]) -> None:
    app = pilot.app
    assert isinstance(app, VmdiffApp)
    await pilot.pause()
    page = app.browse.outlines["a"].find_path("ram")
    assert page is not None
    bios = next(n for n in page.children if n.name == "pc.bios")
    app.browse.go_to_node(bios.children[1].children[0])
    await pilot.pause()


def test_snapshot_browse_wide(snap_compare: SnapCompare) -> None:
    assert snap_compare(browse_app(), terminal_size=WIDE, run_before=_open_cpu_eip)


def test_snapshot_browse_narrow(snap_compare: SnapCompare) -> None:
    assert snap_compare(browse_app(), terminal_size=NARROW, run_before=_open_cpu_eip)


def test_snapshot_ram_page(snap_compare: SnapCompare) -> None:
    assert snap_compare(browse_app(), terminal_size=WIDE, run_before=_open_ram_page)


def test_snapshot_broken_capture(snap_compare: SnapCompare, tmp_path: Path) -> None:
    assert snap_compare(VmdiffApp(truncated_loaded(tmp_path)), terminal_size=WIDE)


def test_snapshot_help(snap_compare: SnapCompare) -> None:
    assert snap_compare(browse_app(), terminal_size=WIDE, press=["f1"])


def test_snapshot_search(snap_compare: SnapCompare) -> None:
    assert snap_compare(browse_app(), terminal_size=WIDE, press=["slash", *"env.cr"])


def test_snapshot_goto(snap_compare: SnapCompare) -> None:
    assert snap_compare(browse_app(), terminal_size=NARROW, press=["g", *"0x55ed7"])


async def _settled(pilot: Pilot[None]) -> None:
    await settle(pilot)


async def _open_changed_field(pilot: Pilot[None]) -> None:
    await settle(pilot)
    app = pilot.app
    assert isinstance(app, VmdiffApp)
    node = app.browse.outlines["a"].find_path("cpu[0]/env.cr[0]")
    assert node is not None
    app.browse.go_to_node(node)
    await pilot.pause()


def test_snapshot_compare_with_verdicts(snap_compare: SnapCompare) -> None:
    app = compare_app("pc-7.2-kvm", "pc-7.2")
    assert snap_compare(app, terminal_size=WIDE, run_before=_settled)


def test_snapshot_compare_changed_field_narrow(snap_compare: SnapCompare) -> None:
    app = compare_app("pc-7.2-kvm", "pc-7.2")
    assert snap_compare(app, terminal_size=NARROW, run_before=_open_changed_field)


def test_snapshot_compare_differences_only(snap_compare: SnapCompare) -> None:
    app = compare_app("pc-7.2", "pc-7.2-e1000")
    assert snap_compare(app, terminal_size=WIDE, run_before=_settled, press=["f", "n", "n"])


def test_snapshot_export(snap_compare: SnapCompare) -> None:
    assert snap_compare(browse_app(), terminal_size=NARROW, run_before=_open_cpu_eip, press=["e"])
