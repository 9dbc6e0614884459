"""The details pane: everything known about the node under the cursor."""

from __future__ import annotations

from rich.console import RenderableType
from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from vmdiff.tui.outline import OutlineNode
from vmdiff.tui.widgets.section_tree import DIFFERENCE_MARKS, VERDICT_MARKS

_DIFFERENCE_TEXT = {
    "only_in_a": "only in A",
    "only_in_b": "only in B",
    "changed": "value differs",
    "version_changed": "version differs",
    "size_changed": "size differs",
}


def plural(count: int, noun: str) -> str:
    """``1 byte``, ``2 bytes``."""
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def format_offset(offset: int) -> str:
    """An offset as the TUI writes it: hex, then decimal."""
    return f"{offset:#x} ({offset})"


def node_details(node: OutlineNode) -> Table:
    """A two-column table of the node's facts; side by side values when it differs."""
    table = Table.grid(padding=(0, 1))
    table.add_column(style="bold", no_wrap=True)
    table.add_column(overflow="fold")
    table.add_row("path", node.path or "(the whole file)")
    table.add_row("kind", node.kind)
    if node.span is not None:
        table.add_row("offset", format_offset(node.span.start))
        table.add_row("size", plural(node.span.size, "byte"))
    if node.type_name:
        table.add_row("type", node.type_name)
    if node.version is not None:
        table.add_row("version", str(node.version))
    if node.difference is not None or node.other is not None:
        _add_comparison(table, node)
    elif node.value is not None:
        table.add_row("value", node.value)
    elif node.summary and node.kind not in ("field", "section", "subsection", "fault"):
        table.add_row("summary", node.summary)
    for kind, span in node.parts:
        if node.span is None or span != node.span:
            table.add_row(kind, f"{span.start:#x}..{span.end:#x} ({plural(span.size, 'byte')})")
    for key, value in node.facts:
        table.add_row(key, value)
    if node.verdict is not None:
        mark, style = VERDICT_MARKS.get(node.verdict, ("", ""))
        table.add_row("verdict", Text(f"{mark} {node.verdict}".strip(), style))
        for key, value in node.verdict_facts:
            table.add_row(key, value)
    if node.problem is not None:
        table.add_row(Text("problem", "bold red"), Text(node.problem, "red"))
    return table


def _add_comparison(table: Table, node: OutlineNode) -> None:
    if node.difference is not None:
        mark, style = DIFFERENCE_MARKS.get(node.difference, ("", ""))
        text = _DIFFERENCE_TEXT.get(node.difference, node.difference)
        table.add_row("difference", Text(f"{mark} {text}".strip(), style))
    a_node, b_node = (node, node.other) if node.side == "a" else (node.other, node)
    if a_node is not None:
        table.add_row("A", _value_text(a_node))
    if b_node is not None:
        table.add_row("B", _value_text(b_node))
    if node.other is not None and node.other.span is not None:
        label = "B offset" if node.side == "a" else "A offset"
        table.add_row(label, format_offset(node.other.span.start))


def _value_text(node: OutlineNode) -> str:
    if node.value is not None:
        return node.value
    if node.version is not None:
        return f"v{node.version}"
    return node.summary or "present"


class FieldPanel(VerticalScroll):
    """Scrolls when a node has more to say than fits."""

    DEFAULT_CSS = """
    FieldPanel { height: 1fr; }
    FieldPanel > Static { width: 1fr; }
    """

    def compose(self) -> ComposeResult:
        """One Static that holds the table."""
        yield Static(Text("Select a node to see its details.", "dim"), id="details-body")

    def show(self, node: OutlineNode | None) -> None:
        """Describe ``node`` (or say there is nothing selected)."""
        body: RenderableType = (
            node_details(node) if node is not None else Text("Nothing selected.", "dim")
        )
        self.query_one("#details-body", Static).update(body)
        self.scroll_home(animate=False)
