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
    # What a triager looks for first: why the destination fails, and what differs.
    if node.problem is not None:
        table.add_row(Text("problem", "bold red"), Text(node.problem, "red"))
    for key, value in node.verdict_facts:
        if key == "verdict":
            kind = value.split()[0]
            mark, style = VERDICT_MARKS.get(kind, ("", ""))
            table.add_row(Text("verdict", "bold"), Text(f"{mark} {value}".strip(), style))
        else:
            table.add_row(key, value)
    if node.comparison or node.other is not None or node.side == "b":
        _add_comparison(table, node)
    table.add_row("kind", node.kind)
    if node.span is not None:
        table.add_row("offset", format_offset(node.span.start))
        table.add_row("size", plural(node.span.size, "byte"))
    if node.type_name:
        table.add_row("type", node.type_name)
    if node.version is not None:
        table.add_row("version", str(node.version))
    if node.value is not None:
        table.add_row(
            "value" if node.other is None else f"value in {node.side.upper()}", node.value
        )
    elif node.summary and node.kind not in ("field", "section", "subsection", "fault"):
        table.add_row("summary", node.summary)
    for kind, span in node.parts:
        if node.span is None or span != node.span:
            table.add_row(kind, f"{span.start:#x}..{span.end:#x} ({plural(span.size, 'byte')})")
    for key, value in node.facts:
        table.add_row(key, value)
    return table


def _add_comparison(table: Table, node: OutlineNode) -> None:
    """The comparison's words for this node, A and B side by side, and where B has it."""
    style = DIFFERENCE_MARKS.get(node.difference or "", ("", ""))[1]
    if node.comparison:
        for key, value in node.comparison:
            if key == "difference":
                table.add_row(Text("difference", "bold"), Text(value, style))
            elif key in ("A", "B"):
                table.add_row(Text(key, f"bold {'red' if key == 'A' else 'green'}"), value)
            else:
                table.add_row(key, value)
    elif node.other is not None:
        table.add_row("difference", Text("none: the same in A and B", "green"))
    elif node.difference is None and node.side == "b":
        table.add_row("difference", "inside a part only B has")
    other = node.other
    if other is not None and other.span is not None:
        label = "B offset" if node.side == "a" else "A offset"
        table.add_row(label, f"{format_offset(other.span.start)} (x shows its bytes)")
    if node.side == "b" and node.span is not None:
        table.add_row("bytes", "in B: the hex pane shows B's file")


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
