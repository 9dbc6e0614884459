"""The search dialog (``/``): find nodes by name, path or value, and jump to one."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label, OptionList
from textual.widgets.option_list import Option

from vmdiff.tui.outline import Outline, OutlineNode

SHOWN = 200


def hit_label(node: OutlineNode) -> Text:
    """A search result: path, then the value or summary, dimmed."""
    text = Text(no_wrap=True, overflow="ellipsis")
    text.append(node.path or node.name, "bold")
    detail = node.value if node.value is not None else node.summary
    if detail:
        text.append(f"  {detail}", "dim")
    return text


class SearchScreen(ModalScreen[OutlineNode | None]):
    """Type to search; Enter or a click jumps to the highlighted result."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        # Typing stays in the input; these move through the results meanwhile.
        Binding("down", "move(1)", "Next result", show=False),
        Binding("up", "move(-1)", "Previous result", show=False),
        Binding("pagedown", "move(10)", "Results page down", show=False),
        Binding("pageup", "move(-10)", "Results page up", show=False),
    ]

    def __init__(self, outlines: list[Outline], query: str = "") -> None:
        super().__init__()
        self.outlines = outlines
        self.query_text = query
        self.hits: list[OutlineNode] = []

    def compose(self) -> ComposeResult:
        """Input, result count, results."""
        with Vertical(id="dialog", classes="tall"):
            yield Label("Search names, paths and values (* and ? are globs)", id="dialog-title")
            yield Input(
                value=self.query_text, placeholder="e.g. tsc_khz, cpu[0]/env.cr, 0xfee00900"
            )
            yield Label("", id="hint")
            yield OptionList(id="results")

    def on_mount(self) -> None:
        """Show the results of the previous query again."""
        if self.query_text:
            self._search(self.query_text)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        self.query_text = event.value
        self._search(event.value)

    def _search(self, query: str) -> None:
        hits: list[OutlineNode] = []
        for outline in self.outlines:
            hits.extend(outline.search(query, limit=SHOWN - len(hits)))
        self.hits = hits
        results = self.query_one(OptionList)
        results.clear_options()
        results.add_options(Option(hit_label(node), id=str(i)) for i, node in enumerate(hits))
        if hits:
            results.highlighted = 0
        more = "+" if len(hits) >= SHOWN else ""
        hint = f"{len(hits)}{more} found" if query.strip() else ""
        self.query_one("#hint", Label).update(hint)

    @on(Input.Submitted)
    def _submitted(self) -> None:
        results = self.query_one(OptionList)
        if results.highlighted is not None and self.hits:
            self.dismiss(self.hits[results.highlighted])

    @on(OptionList.OptionSelected)
    def _selected(self, event: OptionList.OptionSelected) -> None:
        self.dismiss(self.hits[event.option_index])

    def action_move(self, rows: int) -> None:
        """Move the highlighted result (Enter jumps to it)."""
        results = self.query_one(OptionList)
        if not results.option_count:
            return
        current = results.highlighted if results.highlighted is not None else 0
        results.highlighted = min(max(current + rows, 0), results.option_count - 1)

    def action_cancel(self) -> None:
        """Close without jumping."""
        self.dismiss(None)
