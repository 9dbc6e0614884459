"""Building the app from real samples for the TUI tests."""

from __future__ import annotations

import io
from pathlib import Path

from rich.console import Console
from textual.pilot import Pilot
from textual.widgets import Static

from tests.conftest import sample_capture, sample_path
from vmdiff.decode import open_capture
from vmdiff.diff import CompareOptions
from vmdiff.tui.app import VmdiffApp
from vmdiff.tui.sources import Loaded

CUT_AT = 352000
"""Where truncated copies of pc-7.2 end: inside fw_cfg's body, after apic[0]."""


def loaded(name: str) -> Loaded:
    """A sample as model objects plus its mapped bytes (decoded once per session)."""
    return Loaded.of(sample_capture(name, index_pages=True))


def browse_app(name: str = "pc-7.2") -> VmdiffApp:
    """The app browsing one sample."""
    return VmdiffApp(loaded(name))


def truncated_copy(tmp_path: Path, name: str = "pc-7.2", size: int = CUT_AT) -> Path:
    """The first ``size`` bytes of a sample, as a file in ``tmp_path``."""
    cut = tmp_path / f"{name}-cut.bin"
    cut.write_bytes(sample_path(name).read_bytes()[:size])
    return cut


def truncated_loaded(tmp_path: Path) -> Loaded:
    """A truncated copy of pc-7.2, decoded (the mapping lives until the test process ends)."""
    capture = open_capture(str(truncated_copy(tmp_path)), index_pages=True)
    return Loaded(capture.stream, capture.source.buf)


def static_text(widget: Static) -> str:
    """What a Static or Label shows, as plain text (tables included)."""
    out = io.StringIO()
    console = Console(width=200, file=out, color_system=None, legacy_windows=False)
    console.print(widget.content)
    return out.getvalue()


def compare_app(a: str, b: str, *, ignore_volatile: bool = True) -> VmdiffApp:
    """The app comparing two samples (B also serves as the destination for verdicts)."""
    options = CompareOptions(ignore_volatile=ignore_volatile)
    return VmdiffApp(loaded(a), loaded(b), options=options)


async def settle(pilot: Pilot[None]) -> None:
    """Wait for decoding and analysis workers and the updates they post."""
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()
