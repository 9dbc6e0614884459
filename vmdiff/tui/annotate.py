"""Put a comparison on the tree: pair A's nodes with B's, mark what differs, add B-only nodes.

No Textual here. The tree shown is A's, with the nodes only B has grafted in where they sit
in B; every node keeps its own side, so the hex pane shows the bytes of the right file.
"""

from __future__ import annotations

from collections.abc import Callable

from vmdiff.diff import Category, ChangeKind, Difference, DiffResult
from vmdiff.model import RamBlock, Span
from vmdiff.report.diff_describe import describe
from vmdiff.tui.outline import Outline, OutlineNode
from vmdiff.tui.ram_pages import page_node

Expand = Callable[[OutlineNode], list[OutlineNode]]
MAX_LISTED_PAGES = 4096
"""Differing pages listed under one run of zero or unsent pages."""

MARKS = {
    ChangeKind.ONLY_IN_A: "only_in_a",
    ChangeKind.ONLY_IN_B: "only_in_b",
    ChangeKind.VALUE_CHANGED: "changed",
    ChangeKind.VERSION_CHANGED: "version_changed",
    ChangeKind.SIZE_CHANGED: "size_changed",
}
_KINDS = {
    Category.CONFIGURATION: "config-item",
    Category.SECTION: "section",
    Category.SUBSECTION: "subsection",
    Category.FIELD: "field",
    Category.RAM: "ram",
    Category.RAM_BLOCK: "ram-block",
    Category.COMMAND: "command",
    Category.RECORD: "record",
}


def path_index(root: OutlineNode) -> dict[str, OutlineNode]:
    """Every node made so far by path (the first one wins where two share a path)."""
    index: dict[str, OutlineNode] = {}
    for node in root.walk():
        if node.path and node.kind != "more":
            index.setdefault(node.path, node)
    return index


def nearest(index: dict[str, OutlineNode], path: str, root: OutlineNode) -> OutlineNode:
    """The node at ``path``, or at the longest prefix of it that is a node, or the root."""
    while path:
        node = index.get(path)
        if node is not None:
            return node
        path = path.rpartition("/")[0]
    return root


def annotate_comparison(a: Outline, b: Outline, result: DiffResult) -> int:
    """Mark A's tree with ``result`` and graft B-only nodes into it; returns the marks made."""
    index_a, index_b = path_index(a.root), path_index(b.root)
    for path, node in index_a.items():
        counterpart = index_b.get(path)
        if counterpart is not None:
            node.other, counterpart.other = counterpart, node
    marked: list[OutlineNode] = []
    for difference in result.differences:
        if difference.kind is ChangeKind.ONLY_IN_B:
            node = _graft(index_b.get(difference.path), index_a, a.root, difference)
        else:
            node = index_a.get(difference.path) or _placeholder(
                index_a, a.root, difference, side="a"
            )
        _mark(node, difference)
        if difference.category is Category.RAM_BLOCK and difference.ranges:
            _mark_pages(node, a, b, difference)
        marked.append(node)
    for node in {id(n): n for n in marked}.values():
        for ancestor in node.ancestors():
            ancestor.marked_below += 1
    if result.notes:
        notes = a.root.add(
            OutlineNode("notes", "comparison", "comparison", summary=str(len(result.notes)))
        )
        for number, note in enumerate(result.notes):
            notes.add(OutlineNode("note", note, f"comparison/{number}", value=note))
    return len(marked)


def _mark(node: OutlineNode, difference: Difference) -> None:
    described = describe(difference)
    mark = MARKS[difference.kind]
    # Two differences on one path (a RAM block's length and its pages): "changed" wins.
    if node.difference is None or mark == "changed":
        node.difference = mark
    rows = [("difference", f"{described.marker} {described.change}")]
    if described.a:
        rows.append(("A", described.a))
    if described.b:
        rows.append(("B", described.b))
    rows.extend(described.details)
    node.comparison = (*node.comparison, *rows)


def _graft(
    node: OutlineNode | None,
    index_a: dict[str, OutlineNode],
    root_a: OutlineNode,
    difference: Difference,
) -> OutlineNode:
    """Move a B-only node under its parent's counterpart in A, after its nearest sibling."""
    if node is None:
        return _placeholder(index_a, root_a, difference, side="b")
    parent_b = node.parent
    parent_a = root_a
    if parent_b is not None:
        parent_a = parent_b.other or nearest(index_a, parent_b.path, root_a)
    siblings = parent_b.children if parent_b is not None else []
    at = siblings.index(node) if node in siblings else len(siblings)
    before = next(
        (s.other for s in reversed(siblings[:at]) if s.other is not None and s.other.side == "a"),
        None,
    )
    children = parent_a.children
    position = children.index(before) + 1 if before in children else _after_headers(children)
    children.insert(position, node)
    node.parent = parent_a
    parent_a._spanned = None
    return node


def _after_headers(children: list[OutlineNode]) -> int:
    """Where a node with no earlier sibling goes: after the header, configuration and RAM."""
    heads = ("container", "header", "configuration", "ram")
    return next((i for i, c in enumerate(children) if c.kind not in heads), len(children))


def _placeholder(
    index: dict[str, OutlineNode], root: OutlineNode, difference: Difference, side: str
) -> OutlineNode:
    """A node for a difference at a path the tree has no node for."""
    node = placeholder(index, root, difference.path, _KINDS[difference.category], side)
    node.span = difference.span_a if side == "a" else difference.span_b
    node.type_name = difference.type_name
    return node


def placeholder(
    index: dict[str, OutlineNode], root: OutlineNode, path: str, kind: str, side: str = "a"
) -> OutlineNode:
    """A node for a path that has none in the tree (say, a uuid only B's configuration has)."""
    parent = nearest(index, path.rpartition("/")[0], root)
    node = OutlineNode(kind, path.rpartition("/")[2] or path, path, side=side)
    parent.add(node)
    parent._spanned = None
    index[path] = node
    return node


def _mark_pages(block: OutlineNode, a: Outline, b: Outline, difference: Difference) -> None:
    """Mark the runs and pages of a block that differ, once they are made (on opening)."""
    name = difference.path.removeprefix("ram/")
    block_a = a.stream.ram.blocks.get(name) if a.stream.ram else None
    block_b = b.stream.ram.blocks.get(name) if b.stream.ram else None
    ranges = [Span(r.start, r.end) for r in difference.ranges]
    page_size = difference.page_size or (b.stream.ram.page_size if b.stream.ram else 4096)

    def touches(span: Span | None) -> bool:
        return span is not None and any(r.start < span.end and span.start < r.end for r in ranges)

    def marking(make: Expand) -> Expand:
        def expand(parent: OutlineNode) -> list[OutlineNode]:
            made = make(parent)
            for child in made:
                if not touches(child.block_range):
                    continue
                child.difference = "changed"
                if child.kind == "page":
                    _pair_page(child, block_b, page_size)
                elif child._expand is not None:
                    child._expand = marking(child._expand)
                elif child.block_range is not None:
                    # A run of zero or unsent pages in A: list the pages that differ.
                    child._expand = marking(differing_pages(child.block_range))
            return made

        return expand

    def differing_pages(run: Span) -> Expand:
        def expand(parent: OutlineNode) -> list[OutlineNode]:
            if block_a is None or block_a.page_offsets is None:
                return []
            pages: list[OutlineNode] = []
            for changed in ranges:
                first = max(changed.start, run.start) // page_size
                last = min(changed.end, run.end) // page_size
                for index in range(first, min(last, first + MAX_LISTED_PAGES)):
                    pages.append(page_node(block_a, page_size, index, parent.side))
            return pages[:MAX_LISTED_PAGES]

        return expand

    if block._expand is not None and block._children is None:
        block._expand = marking(block._expand)


def _pair_page(page: OutlineNode, block_b: RamBlock | None, page_size: int) -> None:
    """Give a differing page its counterpart in B, so ``x`` shows B's bytes of it."""
    if block_b is None or block_b.page_offsets is None or page.block_range is None:
        return
    index = page.block_range.start // page_size
    if index >= len(block_b.page_offsets):
        return
    other = page_node(block_b, page_size, index, side="b")
    page.other, other.other = other, page
    page.comparison = (
        ("difference", "~ page content differs"),
        ("A", page.summary),
        ("B", other.summary),
    )
