"""The export dialog (``e``): where to write the Markdown."""

from __future__ import annotations

from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label


class ExportScreen(ModalScreen[str | None]):
    """Asks for a file name; dismisses with it, or None on Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, what: str, file_name: str) -> None:
        super().__init__()
        self.what = what
        self.file_name = file_name

    def compose(self) -> ComposeResult:
        """A prompt and the file name to edit."""
        with Vertical(id="dialog"):
            yield Label(f"Export {self.what} as Markdown to:", id="dialog-title")
            yield Input(value=self.file_name, id="export-input")
            yield Label("Enter writes the file (replacing it); Escape cancels", id="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Write there, if a name was given."""
        if event.value.strip():
            self.dismiss(event.value.strip())

    def action_cancel(self) -> None:
        """Close without writing."""
        self.dismiss(None)
