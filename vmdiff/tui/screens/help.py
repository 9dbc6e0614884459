"""The help screen (F1): every key, grouped by where it works."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.screen import ModalScreen
from textual.widgets import Label, Static

from vmdiff.tui.widgets.hex_view import HexView
from vmdiff.tui.widgets.section_tree import SectionTree

KeyGroup = tuple[str, list[tuple[str, str]]]
"""A heading and its (keys, what they do) rows."""


def _rows(app: App[object], bindings: Iterable[BindingType]) -> list[tuple[str, str]]:
    """(keys as shown, what they do) for each binding; the tooltip is the longer description."""
    found: list[tuple[str, str]] = []
    for item in bindings:
        if isinstance(item, Binding):
            keys = ", ".join(
                app.get_key_display(Binding(key.strip(), item.action, item.description))
                for key in item.key.split(",")
            )
            found.append((keys, item.tooltip or item.description))
    return found


def key_groups(app: App[object], screen_bindings: Iterable[BindingType]) -> list[KeyGroup]:
    """Every key of the app, from the bindings themselves, grouped by where it works."""
    return [
        (
            "Everywhere",
            [
                *_rows(app, app.BINDINGS),
                ("ctrl+p", "Command palette: every action, and jump to a path"),
                ("tab, shift+tab", "Next / previous pane"),
                *_rows(app, screen_bindings),
            ],
        ),
        (
            "Tree",
            [
                ("up, down", "Move"),
                ("enter, space", "Open or close the node"),
                *_rows(app, SectionTree.BINDINGS),
                ("shift+up, shift+down", "Previous / next sibling"),
            ],
        ),
        ("Hex pane", _rows(app, HexView.BINDINGS)),
        (
            "Mouse",
            [
                ("click", "Select a tree line, or put the hex cursor on a byte"),
                ("wheel", "Scroll the pane under the pointer"),
            ],
        ),
        (
            "Dialogs",
            [("enter", "Accept"), ("escape", "Cancel"), ("up, down", "Move through results")],
        ),
    ]


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
