"""The help screen (F1): every key, grouped by where it works."""

from __future__ import annotations

from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

KeyGroup = tuple[str, list[tuple[str, str]]]
"""A heading and its (keys, what they do) rows."""


def key_table(groups: list[KeyGroup]) -> Table:
    """The keys as one table with a heading row per group."""
    table = Table.grid(padding=(0, 2))
    table.add_column(style="bold cyan", no_wrap=True)
    table.add_column()
    for index, (heading, rows) in enumerate(groups):
        if index:
            table.add_row("", "")
        table.add_row(Text(heading, "bold underline"), "")
        for keys, description in rows:
            table.add_row(keys, description)
    return table


class HelpScreen(ModalScreen[None]):
    """Lists the keys; any of Escape, F1 or q closes it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape,f1,q", "close", "Close"),
    ]

    def __init__(self, groups: list[KeyGroup]) -> None:
        super().__init__()
        self.groups = groups

    def compose(self) -> ComposeResult:
        """A title and the scrollable key table."""
        with VerticalScroll(id="dialog", classes="tall"):
            yield Label("vmdiff tui: keys (Escape closes)", id="dialog-title")
            yield Static(key_table(self.groups), id="help-keys")

    def action_close(self) -> None:
        """Back to the stream."""
        self.dismiss(None)
