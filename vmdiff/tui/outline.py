"""The tree the TUI shows: nodes with their bytes, found by path, offset or text.

Imports vmdiff.model only (no Textual), so it is tested on its own.
"""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from fnmatch import fnmatchcase

from vmdiff.model import Span, Stream

_OVERLAP_LOOKBACK = 8

Part = tuple[str, Span]
"""A named piece of a node's bytes: "header", "body", "footer", "fault" or "undecoded"."""


@dataclass(eq=False, slots=True)
class OutlineNode:
    """One line of the tree: what it is, where its bytes are, and what to show about it."""

    kind: str
    name: str
    path: str
    span: Span | None = None
    parts: tuple[Part, ...] = ()
    summary: str = ""
    type_name: str | None = None
    value: str | None = None
    version: int | None = None
    facts: tuple[tuple[str, str], ...] = ()
    problem: str | None = None
    parent: OutlineNode | None = field(default=None, repr=False)
    side: str = "a"
    difference: str | None = None
    verdict: str | None = None
    verdict_facts: tuple[tuple[str, str], ...] = ()
    comparison: tuple[tuple[str, str], ...] = ()
    marked_below: int = 0
    block_range: Span | None = None
    other: OutlineNode | None = field(default=None, repr=False)
    _children: list[OutlineNode] | None = field(default=None, repr=False)
    _expand: Callable[[OutlineNode], list[OutlineNode]] | None = field(default=None, repr=False)
    _starts: list[int] | None = field(default=None, repr=False)
    _spanned: list[OutlineNode] | None = field(default=None, repr=False)

    @property
    def children(self) -> list[OutlineNode]:
        """The child nodes; lazily made ones (RAM pages) are made on first use."""
        if self._children is None:
            made = self._expand(self) if self._expand is not None else []
            for child in made:
                child.parent = self
            self._children = made
        return self._children

    @property
    def has_children(self) -> bool:
        """True if the node can be expanded, without making lazy children."""
        if self._children is None:
            return self._expand is not None
        return bool(self._children)

    @property
    def is_lazy(self) -> bool:
        """True while the children are still to be made."""
        return self._children is None and self._expand is not None

    def add(self, child: OutlineNode) -> OutlineNode:
        """Append a child and return it."""
        if self._children is None:
            self._children = []
        child.parent = self
        self._children.append(child)
        return child

    def ancestors(self) -> list[OutlineNode]:
        """From the root down to this node's parent."""
        chain: list[OutlineNode] = []
        node = self.parent
        while node is not None:
            chain.append(node)
            node = node.parent
        return chain[::-1]

    def walk(self) -> Iterator[OutlineNode]:
        """This node and every descendant already made, depth first, in tree order."""
        stack = [self]
        while stack:
            node = stack.pop()
            yield node
            if node._children:
                stack.extend(reversed(node._children))

    def child_at(self, offset: int) -> OutlineNode | None:
        """The child whose bytes hold ``offset`` (children with bytes do not overlap)."""
        if self._spanned is None:
            spanned = [c for c in self.children if c.span is not None and c.span.size > 0]
            spanned.sort(key=lambda c: c.span.start if c.span else 0)
            self._spanned = spanned
            self._starts = [c.span.start for c in spanned if c.span is not None]
        assert self._starts is not None
        index = bisect_right(self._starts, offset) - 1
        # Siblings with bytes do not overlap, but look a little further back in case they do.
        for candidate in reversed(self._spanned[max(0, index - _OVERLAP_LOOKBACK) : index + 1]):
            if candidate.span is not None and offset in candidate.span:
                return candidate
        return None


@dataclass(slots=True)
class Counts:
    """How much a stream holds, for the status bar."""

    devices: int = 0
    iterative: int = 0
    subsections: int = 0
    fields: int = 0
    commands: int = 0
    problems: int = 0


@dataclass(slots=True)
class Outline:
    """The tree of one stream plus the lookups the TUI needs."""

    stream: Stream
    root: OutlineNode
    counts: Counts

    def node_at(self, offset: int) -> OutlineNode | None:
        """The innermost node whose bytes hold ``offset``."""
        node = self.root
        found: OutlineNode | None = None
        while True:
            child = node.child_at(offset)
            if child is None:
                return found
            found = node = child

    def find_path(self, path: str) -> OutlineNode | None:
        """The node with this path, or None."""
        for node in self.root.walk():
            if node.path == path:
                return node
        return None

    def search(self, query: str, limit: int = 500) -> list[OutlineNode]:
        """Nodes whose name, path or value contains ``query`` (or matches it as a glob)."""
        query = query.strip()
        if not query:
            return []
        needle = query.casefold()
        # "*" and "?" make a glob; "[" stays literal, since paths are full of indexes.
        glob = any(ch in query for ch in "*?")
        if glob:
            needle = needle.replace("[", "[[]")
        hits: list[OutlineNode] = []
        for node in self.root.walk():
            if node is self.root:
                continue
            texts = _search_texts(node)
            if glob:
                matched = any(fnmatchcase(t.casefold(), needle) for t in texts)
            else:
                matched = any(needle in t.casefold() for t in texts)
            if matched:
                hits.append(node)
                if len(hits) >= limit:
                    break
        return hits


def _search_texts(node: OutlineNode) -> list[str]:
    texts = [node.name, node.path]
    if node.value:
        texts.append(node.value)
    if node.summary:
        texts.append(node.summary)
    return texts
