"""Which nodes are problems or differences; filters and next/previous over them.

No Textual here. A "mark" is anything ``n`` / ``N`` stop at and the filter keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from vmdiff.tui.outline import OutlineNode

FILTERS = ("all", "differences", "problems")
"""The filter modes, in the order ``f`` cycles through them."""

PROBLEM_VERDICTS = frozenset(("reject", "ignore", "unknown"))


def is_problem(node: OutlineNode) -> bool:
    """A fault, an undecodable section, or a verdict other than accept."""
    return node.problem is not None or node.verdict in PROBLEM_VERDICTS


def is_difference(node: OutlineNode) -> bool:
    """Present on one side only, or different between the two."""
    return node.difference is not None


def is_mark(node: OutlineNode) -> bool:
    """What ``n`` and ``N`` stop at."""
    return is_problem(node) or is_difference(node)


_TESTS: dict[str, Callable[[OutlineNode], bool]] = {
    "differences": is_difference,
    "problems": is_problem,
}


@dataclass(slots=True)
class Marks:
    """The marked nodes of one tree in tree order, and the filter predicates."""

    root: OutlineNode
    order: dict[int, int] = field(default_factory=dict)
    marked: list[OutlineNode] = field(default_factory=list)

    def __post_init__(self) -> None:
        for index, node in enumerate(self.root.walk()):
            self.order[id(node)] = index
            if node is not self.root and is_mark(node):
                self.marked.append(node)

    def count(self, mode: str) -> int:
        """How many nodes the filter ``mode`` is about."""
        test = _TESTS.get(mode)
        return len(self.marked) if test is None else sum(1 for n in self.marked if test(n))

    def keep(self, mode: str) -> Callable[[OutlineNode], bool] | None:
        """The tree filter for ``mode``: marked nodes, their ancestors and their descendants."""
        test = _TESTS.get(mode)
        if test is None:
            return None
        hits = [n for n in self.marked if test(n)]
        keep_ids = {id(n) for n in hits}
        for node in hits:
            keep_ids.update(id(a) for a in node.ancestors())
        hit_ids = {id(n) for n in hits}

        def keep(node: OutlineNode) -> bool:
            if id(node) in keep_ids:
                return True
            return any(id(a) in hit_ids for a in node.ancestors())

        return keep

    def _position(self, node: OutlineNode | None) -> int:
        while node is not None:
            if id(node) in self.order:
                return self.order[id(node)]
            node = node.parent
        return -1

    def next_after(
        self, node: OutlineNode | None, *, backwards: bool = False
    ) -> OutlineNode | None:
        """The next (or previous) marked node from ``node``, wrapping around; None if none."""
        if not self.marked:
            return None
        here = self._position(node)
        if backwards:
            before = [n for n in self.marked if self.order[id(n)] < here]
            return before[-1] if before else self.marked[-1]
        after = [n for n in self.marked if self.order[id(n)] > here]
        return after[0] if after else self.marked[0]
