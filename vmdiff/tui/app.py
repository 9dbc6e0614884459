"""The ``vmdiff tui`` application: one main screen, dialogs over it, and a command palette."""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen

from vmdiff.compat import DestinationProfile
from vmdiff.diff import CompareOptions
from vmdiff.tui.palette import PathProvider
from vmdiff.tui.screens.browse import BrowseScreen
from vmdiff.tui.sources import StreamSource

# Actions of the main screen offered in the palette: (action, title, help).
_SCREEN_COMMANDS = (
    ("search", "Search", "Find nodes by name, path or value (/)"),
    ("goto", "Go to offset", "Move the hex cursor to an offset (g)"),
    ("next_mark", "Next problem or difference", "Jump to the next marked node (n)"),
    ("previous_mark", "Previous problem or difference", "Jump to the previous marked node (N)"),
    ("cycle_filter", "Filter", "Show everything, only differences, or only problems (f)"),
    ("export", "Export Markdown", "Write the node under the cursor and below as Markdown (e)"),
    ("swap_side", "Show the other stream's bytes", "In a comparison, swap the hex pane (x)"),
    ("help", "Help", "List every key (F1)"),
)
_TREE_COMMANDS = (
    ("open_all", "Open all below the cursor", "Expand the tree under the cursor (*)"),
    ("close_all", "Close all", "Collapse the whole tree (-)"),
)


class VmdiffApp(App[None]):
    """Browse one capture, compare two, check one against a destination.

    Built from files (decoded in a worker once the first screen is up) or from decoded streams.
    """

    CSS_PATH = "app.tcss"
    TITLE = "vmdiff"
    HORIZONTAL_BREAKPOINTS = [(0, "-narrow"), (120, "-wide")]  # noqa: RUF012 - typed by App
    COMMANDS = App.COMMANDS | {PathProvider}
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("q", "quit", "Quit"),
        Binding("f1", "help", "Help", tooltip="This list of keys"),
    ]

    def __init__(
        self,
        first: StreamSource,
        second: StreamSource | None = None,
        *,
        destination: DestinationProfile | None = None,
        options: CompareOptions | None = None,
    ) -> None:
        super().__init__()
        self.browse = BrowseScreen(first, second, destination=destination, options=options)

    def get_default_screen(self) -> Screen[None]:
        """The main screen."""
        return self.browse

    def action_help(self) -> None:
        """Show the keys (F1)."""
        self.browse.action_help()

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Textual's own commands plus every action of the main screen."""
        yield from super().get_system_commands(screen)
        for action, title, help_text in _SCREEN_COMMANDS:
            if action == "swap_side" and not self.browse.comparing:
                continue
            yield SystemCommand(title, help_text, getattr(self.browse, f"action_{action}"))
        for action, title, help_text in _TREE_COMMANDS:
            yield SystemCommand(
                title, help_text, getattr(self.browse.section_tree, f"action_{action}")
            )
