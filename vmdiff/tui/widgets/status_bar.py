"""The status bar: file, size, machine type and counts; a progress bar while decoding."""

from __future__ import annotations

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.widgets import Label, ProgressBar

from vmdiff.report.values import format_size
from vmdiff.tui.outline import Outline
from vmdiff.tui.widgets.field_panel import plural


def stream_status(outline: Outline, label: str = "") -> Text:
    """One line about a stream: name, size, machine type, counts, and its fault if any."""
    stream = outline.stream
    counts = outline.counts
    text = Text(no_wrap=True, overflow="ellipsis")
    if label:
        text.append(f"{label} ", "bold reverse")
        text.append(" ")
    text.append(outline.root.name, "bold")
    text.append(f"  {format_size(stream.file_size)}")
    text.append(f"  {stream.machine_type or 'machine type unknown'}", "cyan")
    if stream.fault is not None:
        text.append(f"  ✗ fault at {stream.fault.offset:#x}", "bold red")
    elif counts.problems:
        text.append(f"  ! {plural(counts.problems, 'problem')}", "bold yellow")
    text.append(f"  {plural(counts.devices, 'section')}")
    if counts.iterative:
        text.append(f" (+{counts.iterative} iterative)")
    text.append(f", {plural(counts.subsections, 'subsection')}")
    text.append(f", {plural(counts.fields, 'field')}")
    return text


class StatusBar(Horizontal):
    """What is open, and how far decoding has got."""

    DEFAULT_CSS = """
    StatusBar { height: auto; max-height: 4; background: $panel; padding: 0 1; }
    StatusBar > Label { width: 1fr; text-wrap: nowrap; text-overflow: ellipsis; }
    StatusBar > ProgressBar { width: auto; }
    StatusBar > ProgressBar.-done { display: none; }
    """

    def compose(self) -> ComposeResult:
        """A label and a progress bar side by side."""
        yield Label(id="status-text")
        yield ProgressBar(show_eta=False, id="status-progress", classes="-done")

    def say(self, text: Text | str) -> None:
        """Replace the status text."""
        self.query_one("#status-text", Label).update(text)

    def progress(self, done: int, total: int | None) -> None:
        """Show decoding progress (hidden again by ``finished``); no total: just activity."""
        bar = self.query_one(ProgressBar)
        bar.remove_class("-done")
        bar.update(total=max(total, 1) if total else None, progress=done)

    def finished(self) -> None:
        """Hide the progress bar."""
        self.query_one(ProgressBar).add_class("-done")
