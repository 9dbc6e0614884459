"""Command palette (Ctrl+P) entries: jump to any section, subsection or RAM block by path."""

from __future__ import annotations

from functools import partial

from textual.command import DiscoveryHit, Hit, Hits, Provider

from vmdiff.tui.outline import OutlineNode
from vmdiff.tui.screens.browse import BrowseScreen

_JUMP_KINDS = frozenset(("section", "subsection", "ram-block", "configuration", "fault", "vmdesc"))
_MAX_DISCOVERED = 40


class PathProvider(Provider):
    """Offers "Go to <path>" for the sections, subsections and RAM blocks of the open streams."""

    def _targets(self) -> list[OutlineNode]:
        screen = self.screen if isinstance(self.screen, BrowseScreen) else None
        if screen is None:
            for candidate in self.app.screen_stack:
                if isinstance(candidate, BrowseScreen):
                    screen = candidate
        if screen is None or screen.section_tree.outline_root is None:
            return []
        return [n for n in screen.section_tree.outline_root.walk() if n.kind in _JUMP_KINDS]

    def _go(self, node: OutlineNode) -> None:
        for screen in self.app.screen_stack:
            if isinstance(screen, BrowseScreen):
                screen.go_to_node(node)
                screen.section_tree.focus()

    async def discover(self) -> Hits:
        """The first few device sections, so the palette is not empty before typing."""
        shown = 0
        for node in self._targets():
            if node.kind == "section" and shown < _MAX_DISCOVERED:
                shown += 1
                yield DiscoveryHit(f"Go to {node.path}", partial(self._go, node), help=node.summary)

    async def search(self, query: str) -> Hits:
        """Every target whose "Go to <path>" matches the query."""
        matcher = self.matcher(query)
        for node in self._targets():
            command = f"Go to {node.path}"
            score = matcher.match(command)
            if score > 0:
                yield Hit(
                    score,
                    matcher.highlight(command),
                    partial(self._go, node),
                    text=command,
                    help=node.summary,
                )
