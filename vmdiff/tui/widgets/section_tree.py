"""The tree of a stream: records, subsections and fields, made on demand as nodes are opened."""

from __future__ import annotations

from collections.abc import Callable
from itertools import pairwise
from typing import ClassVar

from rich.text import Text
from textual.binding import Binding, BindingType
from textual.widgets import Tree
from textual.widgets.tree import TreeNode

from vmdiff.tui.outline import OutlineNode

BATCH = 500
"""Children added to the tree at a time; a "more" line adds the next batch."""

Filter = Callable[[OutlineNode], bool]

_NAME_STYLES = {
    "stream": "bold",
    "header": "bold",
    "container": "bold",
    "configuration": "bold",
    "config-item": "green",
    "section": "bold cyan",
    "subsection": "yellow",
    "field": "green",
    "command": "bold magenta",
    "eof": "bold",
    "vmdesc": "bold",
    "ram": "bold blue",
    "ram-block": "blue",
    "page-run": "blue",
    "page": "blue",
    "fault": "bold red",
    "notes": "dim",
    "note": "dim",
    "more": "italic dim",
}

DIFFERENCE_MARKS = {
    "only_in_a": ("-", "bold red"),
    "only_in_b": ("+", "bold green"),
    "changed": ("~", "bold yellow"),
    "version_changed": ("~", "bold yellow"),
    "size_changed": ("~", "bold yellow"),
}
VERDICT_MARKS = {
    "reject": ("✗", "bold white on red"),
    "ignore": ("!", "bold black on yellow"),
    "unknown": ("?", "bold black on grey70"),
    "accept": ("✓", "green"),
}


def node_label(node: OutlineNode) -> Text:
    """The tree line of a node: marks, name, and a short summary."""
    text = Text(no_wrap=True, overflow="ellipsis")
    if node.verdict in VERDICT_MARKS:
        mark, style = VERDICT_MARKS[node.verdict]
        text.append(mark, style)
        text.append(" ")
    if node.difference in DIFFERENCE_MARKS:
        mark, style = DIFFERENCE_MARKS[node.difference]
        text.append(mark + " ", style)
    text.append(node.name, _NAME_STYLES.get(node.kind, ""))
    if node.marked_below:
        text.append(f" ({node.marked_below} diff{'s' if node.marked_below > 1 else ''})", "yellow")
    if node.summary:
        if (node.kind == "field" and node.value is not None) or node.kind == "config-item":
            text.append(" = ")
            text.append(node.summary)
        else:
            text.append("  ")
            text.append(node.summary, "dim" if node.kind not in ("fault",) else "red")
    if node.problem is not None and node.kind != "fault":
        text.append("  !", "bold red")
    return text


class SectionTree(Tree[OutlineNode]):
    """The stream's tree; selecting or moving onto a node tells the screen which one it is."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("right", "open_or_down", "Open / first child", show=False),
        Binding("left", "close_or_up", "Close / parent", show=False),
        Binding("home", "scroll_home", "First line", show=False),
        Binding("end", "scroll_end", "Last line", show=False),
        Binding("asterisk", "open_all", "Open all below", show=False),
        Binding("minus", "close_all", "Close all", show=False),
    ]

    def __init__(self, *, id: str | None = None) -> None:
        super().__init__(Text("decoding…", "italic"), id=id)
        self.guide_depth = 2
        self._outline_root: OutlineNode | None = None
        self._tree_nodes_by_outline: dict[int, TreeNode[OutlineNode]] = {}
        self._made: dict[int, int] = {}
        self._filter: Filter | None = None
        self._more: dict[int, tuple[TreeNode[OutlineNode], int]] = {}

    @property
    def outline_root(self) -> OutlineNode | None:
        """The outline shown, once loaded."""
        return self._outline_root

    def load(self, root: OutlineNode, keep: Filter | None = None) -> None:
        """Show ``root``'s tree, only nodes for which ``keep`` is true (and their ancestors)."""
        self._outline_root = root
        self._filter = keep
        self.clear()
        self._tree_nodes_by_outline = {id(root): self.root}
        self._made = {}
        self._more = {}
        self.root.set_label(node_label(root))
        self.root.data = root
        self._populate(self.root)
        self.root.expand()
        self.cursor_line = 0

    def set_filter(self, keep: Filter | None) -> None:
        """Show only what ``keep`` accepts, keeping the cursor on the same node when it can."""
        current = self.cursor_node.data if self.cursor_node is not None else None
        if self._outline_root is None:
            return
        self.load(self._outline_root, keep)
        if current is not None:
            self.reveal(current)

    def _visible(self, node: OutlineNode) -> bool:
        return self._filter is None or self._filter(node)

    def _populate(self, tree_node: TreeNode[OutlineNode], upto: int | None = None) -> None:
        """Add the next batch of children (or up to index ``upto``) under ``tree_node``."""
        outline = tree_node.data
        if outline is None:
            return
        children = [c for c in outline.children if self._visible(c)]
        start = self._made.get(id(outline), 0)
        stop = min(len(children), max(start + BATCH, (upto or 0) + 1))
        if start >= stop and start:
            return
        more = self._more.pop(id(outline), None)
        if more is not None:
            more[0].remove()
        for child in children[start:stop]:
            if child.has_children:
                made = tree_node.add(node_label(child), child)
            else:
                made = tree_node.add_leaf(node_label(child), child)
            self._tree_nodes_by_outline[id(child)] = made
        self._made[id(outline)] = stop
        if stop < len(children):
            rest = len(children) - stop
            marker = OutlineNode("more", f"… {rest} more (Enter)", outline.path, parent=outline)
            leaf = tree_node.add_leaf(node_label(marker), marker)
            self._more[id(outline)] = (leaf, stop)

    def on_tree_node_expanded(self, event: Tree.NodeExpanded[OutlineNode]) -> None:
        """Make a node's children when it is first opened."""
        node = event.node
        if node.data is not None and id(node.data) not in self._made:
            self._populate(node)

    def on_tree_node_selected(self, event: Tree.NodeSelected[OutlineNode]) -> None:
        """Enter on a "more" line adds the next batch."""
        data = event.node.data
        if data is not None and data.kind == "more" and event.node.parent is not None:
            parent = event.node.parent
            event.stop()
            self._populate(parent)

    def reveal(self, node: OutlineNode) -> bool:
        """Open the ancestors of ``node`` and put the cursor on it; False if it is filtered out."""
        if self._outline_root is None:
            return False
        chain = [*node.ancestors(), node]
        if chain[0] is not self._outline_root:
            return False
        for parent, child in pairwise(chain):
            parent_tree = self._tree_nodes_by_outline.get(id(parent))
            if parent_tree is None or not self._visible(child):
                return False
            if id(child) not in self._tree_nodes_by_outline:
                visible = [c for c in parent.children if self._visible(c)]
                if child not in visible:
                    return False
                self._populate(parent_tree, upto=visible.index(child))
            if not parent_tree.is_expanded:
                parent_tree.expand()
        target = self._tree_nodes_by_outline[id(node)]
        self._refresh_lines()
        self.move_cursor(target)
        return True

    def _refresh_lines(self) -> None:
        """Lay the lines out now, so a node just made has its line number."""
        self._tree_lines  # noqa: B018 - the property rebuilds the line cache

    # -- keys -----------------------------------------------------------------------------

    def action_open_or_down(self) -> None:
        """Open the node, or if it is open, go to its first child."""
        node = self.cursor_node
        if node is None:
            return
        if node.allow_expand and not node.is_expanded:
            node.expand()
        elif node.children:
            self._refresh_lines()
            self.move_cursor(node.children[0])

    def action_close_or_up(self) -> None:
        """Close the node, or if it is closed, go to its parent."""
        node = self.cursor_node
        if node is None:
            return
        if node.is_expanded and node.children:
            node.collapse()
        elif node.parent is not None:
            self.move_cursor(node.parent)

    def action_open_all(self) -> None:
        """Open everything below the cursor (at most a few thousand lines)."""
        node = self.cursor_node
        if node is None:
            return
        budget = [4 * BATCH]

        def open_below(tree_node: TreeNode[OutlineNode]) -> None:
            if budget[0] <= 0 or not tree_node.allow_expand:
                return
            if tree_node.data is not None and id(tree_node.data) not in self._made:
                self._populate(tree_node)
            tree_node.expand()
            budget[0] -= len(tree_node.children)
            for child in tree_node.children:
                open_below(child)

        open_below(node)

    def action_close_all(self) -> None:
        """Close every node below the root."""
        for child in self.root.children:
            child.collapse_all()
        self.move_cursor(self.root)
