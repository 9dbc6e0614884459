"""The main screen: the tree, the hex pane and the details pane, linked both ways."""

from __future__ import annotations

import os
from pathlib import Path
from typing import ClassVar

from rich.text import Text
from textual import work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, Vertical
from textual.screen import Screen
from textual.widgets import Footer, Tree
from textual.worker import get_current_worker

from vmdiff.compat import DestinationProfile
from vmdiff.decode import Capture
from vmdiff.diff import CompareOptions
from vmdiff.errors import VmdiffError
from vmdiff.model import Buffer, Stream
from vmdiff.report.values import format_size
from vmdiff.tui.analysis import Analysis, analyse, analysis_markdown, analysis_status, apply
from vmdiff.tui.export import export_file_name, export_markdown
from vmdiff.tui.from_stream import build_outline
from vmdiff.tui.loader import Callbacks, Cancelled, load
from vmdiff.tui.marks import FILTERS, Marks
from vmdiff.tui.messages import AnalysisReady, CaptureDecoded, CaptureFailed, DecodeProgress
from vmdiff.tui.outline import Outline, OutlineNode
from vmdiff.tui.screens.export import ExportScreen
from vmdiff.tui.screens.goto import GotoScreen
from vmdiff.tui.screens.help import HelpScreen, key_groups
from vmdiff.tui.screens.search import SearchScreen
from vmdiff.tui.sources import Loaded, StreamSource, ToOpen
from vmdiff.tui.widgets.field_panel import FieldPanel
from vmdiff.tui.widgets.hex_view import HexView
from vmdiff.tui.widgets.section_tree import Filter, SectionTree
from vmdiff.tui.widgets.status_bar import StatusBar, stream_status


class BrowseScreen(Screen[None]):
    """One stream (or two, compared): tree on the left, bytes and details on the right."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "search", "Search", tooltip="Search names, paths and values"),
        Binding("g", "goto", "Offset", tooltip="Go to an offset (hex or decimal)"),
        Binding("n", "next_mark", "Next", tooltip="Next problem or difference"),
        Binding(
            "N",
            "previous_mark",
            "Prev",
            key_display="N",
            show=False,
            tooltip="Previous problem or difference",
        ),
        Binding("f", "cycle_filter", "Filter", tooltip="Show all / only differences / problems"),
        Binding("e", "export", "Export", tooltip="Export the node and below as Markdown"),
        Binding("x", "swap_side", "A/B", tooltip="Show the other stream's bytes"),
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
        self.sources: dict[str, StreamSource] = {"a": first}
        if second is not None:
            self.sources["b"] = second
        self.destination = destination
        self.options = options
        self.analysis: Analysis | None = None
        self.outlines: dict[str, Outline] = {}
        self.buffers: dict[str, tuple[Buffer, int]] = {}
        self.decoded: dict[str, Capture | Stream] = {}
        self.captures: list[Capture] = []
        self.marks: Marks | None = None
        self.filter_mode = "all"
        self.hex_side = "a"
        self.last_query = ""
        self._hex_origin: tuple[OutlineNode, OutlineNode] | None = None

    @property
    def comparing(self) -> bool:
        """True when two streams are open."""
        return "b" in self.sources

    # -- layout ---------------------------------------------------------------------------

    def compose(self) -> ComposeResult:
        """Status bar, then tree | (hex over details), then the footer."""
        yield StatusBar(id="status")
        with Horizontal(id="main"):
            yield SectionTree(id="tree")
            with Vertical(id="right"):
                yield HexView(id="hex")
                yield FieldPanel(id="details")
        yield Footer(compact=True)

    @property
    def section_tree(self) -> SectionTree:
        """The stream's tree."""
        return self.query_one(SectionTree)

    @property
    def hex_view(self) -> HexView:
        """The hex pane."""
        return self.query_one(HexView)

    @property
    def details(self) -> FieldPanel:
        """The details pane."""
        return self.query_one(FieldPanel)

    @property
    def status(self) -> StatusBar:
        """The status bar."""
        return self.query_one(StatusBar)

    def on_mount(self) -> None:
        """Show what is already decoded; decode files in workers."""
        self.hex_view.border_title = "bytes"
        self.details.border_title = "details"
        names = ", ".join(s.name for s in self.sources.values())
        self.status.say(Text(f"decoding {names}…", "italic"))
        for side, source in self.sources.items():
            if isinstance(source, Loaded):
                outline = build_outline(source.stream, side=side)
                self.decoded[side] = source.capture or source.stream
                self._accept(side, source.buf, source.stream.file_size, outline)
            else:
                self._decode(side, source)
        self.section_tree.focus()

    def on_unmount(self) -> None:
        """Release the captures (a worker still decoding closes its own file when cancelled)."""
        for capture in self.captures:
            capture.close()

    # -- decoding -------------------------------------------------------------------------

    @work(thread=True, group="decode")
    def _decode(self, side: str, request: ToOpen) -> None:
        worker = get_current_worker()

        def progress(done: int, total: int | None) -> None:
            self.post_message(DecodeProgress(side, done, total))

        callbacks = Callbacks(progress=progress, is_cancelled=lambda: worker.is_cancelled)
        try:
            capture, outline = load(request, side, callbacks)
        except Cancelled:
            return
        except VmdiffError as err:
            self.post_message(CaptureFailed(side, str(err)))
            return
        self.post_message(CaptureDecoded(side, capture, outline))

    def on_decode_progress(self, message: DecodeProgress) -> None:
        """Move the progress bar and say how far decoding has got."""
        name = self.sources[message.side].name
        done = format_size(message.done)
        of = f" of {format_size(message.total)}" if message.total else ""
        self.status.say(Text(f"decoding {name}: {done}{of}…", "italic"))
        self.status.progress(message.done, message.total)

    def on_capture_decoded(self, message: CaptureDecoded) -> None:
        """Keep the capture open for the hex pane and show its tree."""
        self.captures.append(message.capture)
        self.decoded[message.side] = message.capture
        source = message.capture.source
        self._accept(message.side, source.buf, source.size, message.outline)

    def on_capture_failed(self, message: CaptureFailed) -> None:
        """Say why the file could not be opened."""
        if message.side == "analysis":
            self.status.finished()
            self.notify(message.message, title="cannot compare or check", severity="error")
            return
        self.notify(message.message, title="cannot open", severity="error", timeout=10)
        if message.side == "b":
            # Browse A alone rather than nothing at all.
            del self.sources["b"]
            if "a" in self.outlines:
                self._ready()
            return
        self.status.finished()
        self.status.say(Text(f"✗ {message.message}", "bold red"))

    def _accept(self, side: str, buf: Buffer, size: int, outline: Outline) -> None:
        self.outlines[side] = outline
        self.buffers[side] = (buf, size)
        if all(s in self.outlines for s in self.sources):
            self._ready()

    def _ready(self) -> None:
        """Every side is decoded: build the tree to show and select its first record."""
        self.status.finished()
        root = self.outlines["a"].root
        self.marks = Marks(root)
        buf, size = self.buffers[self.hex_side]
        self.hex_view.show_buffer(buf, size)
        self.section_tree.load(root, self._keep())
        self._update_status()
        # After the first layout, so the panes know their height when they scroll.
        self.call_after_refresh(self._first_selection, self._opening_node())
        if self.comparing or self.destination is not None:
            self.status.progress(0, None)
            self._analyse(self.decoded["a"], self.decoded.get("b"))

    def _opening_node(self) -> OutlineNode:
        """Where the cursor starts: on the fault if decoding stopped at one, else the header."""
        root = self.outlines["a"].root
        fault = next((n for n in root.children if n.kind == "fault"), None)
        return fault or (root.children[0] if root.children else root)

    def _first_selection(self, node: OutlineNode) -> None:
        if self.current is None or self.analysis is None:
            self.go_to_node(node)

    @work(thread=True, group="analysis")
    def _analyse(self, a: Capture | Stream, b: Capture | Stream | None) -> None:
        try:
            analysis = analyse(a, b, self.destination, self.options)
        except VmdiffError as err:
            self.post_message(CaptureFailed("analysis", str(err)))
            return
        self.post_message(AnalysisReady(analysis))

    def on_analysis_ready(self, message: AnalysisReady) -> None:
        """Mark the tree with differences and verdicts, and go to the first rejection."""
        self.status.finished()
        self.analysis = message.analysis
        current = self.current
        for side, (capture, outline) in message.analysis.redecoded.items():
            # Decoded again with the other side's vmdesc: the same bytes, now with fields.
            self.decoded[side] = capture
            self.outlines[side] = outline
            current = None
        apply(message.analysis, self.outlines["a"], self.outlines.get("b"))
        root = self.outlines["a"].root
        self.marks = Marks(root)
        self.section_tree.load(root, self._keep())
        self._update_status()
        failure = message.analysis.check.first_failure if message.analysis.check else None
        target = None
        if failure is not None:
            target = next((n for n in self.marks.marked if n.verdict == "reject"), None)
        target = target or current or self._opening_node()
        self.call_after_refresh(self.go_to_node, target)

    def _update_status(self) -> None:
        lines = [
            stream_status(self.outlines[s], s.upper() if self.comparing else "")
            for s in self.sources
            if s in self.outlines
        ]
        if self.analysis is not None:
            lines.extend(analysis_status(self.analysis))
        elif self.comparing or self.destination is not None:
            what = "comparing" if self.comparing else "checking against the destination"
            lines.append(Text(f"{what}…", "italic"))
        if self.filter_mode != "all" and lines:
            count = self.marks.count(self.filter_mode) if self.marks is not None else 0
            lines[0] = Text.assemble((f"{self.filter_mode} only ({count}) ", "reverse"), lines[0])
        text = Text("\n").join(lines)
        text.no_wrap = True
        text.overflow = "ellipsis"
        self.status.say(text)

    # -- linking tree, hex and details ----------------------------------------------------

    @property
    def current(self) -> OutlineNode | None:
        """The node under the tree cursor."""
        node = self.section_tree.cursor_node
        return node.data if node is not None else None

    def on_tree_node_highlighted(self, event: Tree.NodeHighlighted[OutlineNode]) -> None:
        """Show the node's details and its bytes."""
        node = event.node.data
        if node is None:
            return
        self.details.show(node)
        origin = self._hex_origin
        self._hex_origin = None
        if origin is not None and origin[0] is node:
            # The hex cursor chose this node: shade the bytes under it, stay where it is.
            self._show_bytes(origin[1], move=False)
        else:
            self._show_bytes(node, move=True)

    def _show_bytes(self, node: OutlineNode, *, move: bool) -> None:
        if node.span is not None and node.side != self.hex_side and node.side in self.buffers:
            self._switch_hex(node.side)
        parts = node.parts
        if not parts and node.span is not None and node.span.size:
            parts = (("body", node.span),)
        self.hex_view.shade(parts)
        if move and node.span is not None:
            self.hex_view.jump_to(node.span.start)

    def _switch_hex(self, side: str) -> None:
        self.hex_side = side
        buf, size = self.buffers[side]
        self.hex_view.show_buffer(buf, size)
        self.hex_view.border_title = f"bytes of {side.upper()}" if self.comparing else "bytes"

    def on_hex_view_cursor_moved(self, message: HexView.CursorMoved) -> None:
        """Select the innermost node at the hex cursor."""
        outline = self.outlines.get(self.hex_side)
        if outline is None:
            return
        node = outline.node_at(message.offset) or outline.root
        shown = self._shown_node(node)
        if shown is self.current:
            self._show_bytes(node, move=False)
            return
        self._hex_origin = (shown, node)
        if not self.section_tree.reveal(shown):
            self._hex_origin = None

    def _shown_node(self, node: OutlineNode) -> OutlineNode:
        """The tree line standing for ``node``: itself, or its counterpart in A's tree."""
        root = self.outlines["a"].root
        current: OutlineNode | None = node
        while current is not None:
            chain = current.ancestors()
            if current is root or (chain and chain[0] is root):
                return current
            if current.other is not None and current.other.side == "a":
                return current.other
            current = current.parent
        return root

    def go_to_node(self, node: OutlineNode) -> None:
        """Put the tree cursor on ``node``, dropping the filter if it hides the node."""
        if not self.section_tree.reveal(node) and self.filter_mode != "all":
            self._set_filter("all")
            self.section_tree.reveal(node)

    # -- actions --------------------------------------------------------------------------

    def action_search(self) -> None:
        """Open the search dialog."""
        if not self.outlines:
            return

        outlines = [self.outlines[s] for s in self.sources if s in self.outlines]
        screen = SearchScreen(outlines, self.last_query)

        def chosen(node: OutlineNode | None) -> None:
            self.last_query = screen.query_text
            if node is not None:
                self.go_to_node(node)
                self.section_tree.focus()

        self.app.push_screen(screen, chosen)

    def action_goto(self) -> None:
        """Open the go-to-offset dialog."""
        if self.hex_side not in self.buffers:
            return

        def chosen(offset: int | None) -> None:
            if offset is not None:
                self.hex_view.jump_to(offset, announce=True)
                self.hex_view.focus()

        _buf, size = self.buffers[self.hex_side]
        self.app.push_screen(GotoScreen(self.hex_view.cursor, size), chosen)

    def action_next_mark(self) -> None:
        """Go to the next problem or difference."""
        self._step_mark(backwards=False)

    def action_previous_mark(self) -> None:
        """Go to the previous problem or difference."""
        self._step_mark(backwards=True)

    def _step_mark(self, *, backwards: bool) -> None:
        if self.marks is None:
            return
        target = self.marks.next_after(self.current, backwards=backwards)
        if target is None:
            what = "differences or problems" if self.comparing else "problems"
            self.notify(f"No {what} in this stream.", timeout=3)
            return
        self.go_to_node(target)

    def action_cycle_filter(self) -> None:
        """Show everything, only differences, or only problems."""
        modes = [m for m in FILTERS if m != "differences" or self.comparing]
        self._set_filter(modes[(modes.index(self.filter_mode) + 1) % len(modes)])

    def _set_filter(self, mode: str) -> None:
        self.filter_mode = mode
        self.section_tree.set_filter(self._keep())
        self._update_status()

    def _keep(self) -> Filter | None:
        return self.marks.keep(self.filter_mode) if self.marks is not None else None

    def action_export(self) -> None:
        """Write Markdown: the reports for the whole stream, else the node and everything below."""
        node = self.current
        if node is None or "a" not in self.outlines:
            return
        outline = self.outlines[node.side] if node.side in self.outlines else self.outlines["a"]
        whole = node is self.outlines["a"].root and self.analysis is not None

        def chosen(file_name: str | None) -> None:
            if file_name is None:
                return
            if whole and self.analysis is not None:
                text = analysis_markdown(self.analysis)
            else:
                outlines = [self.outlines[s] for s in self.sources if s in self.outlines]
                text = export_markdown(node, outlines, self._keep())
            try:
                Path(file_name).write_text(text, encoding="utf-8")
            except OSError as err:
                self.notify(f"{file_name}: {err.strerror}", severity="error", timeout=8)
                return
            self.notify(f"Wrote {os.path.abspath(file_name)}", timeout=5)

        what = node.path or ("the reports" if whole else "the whole stream")
        self.app.push_screen(ExportScreen(what, export_file_name(node, outline)), chosen)

    def action_swap_side(self) -> None:
        """In a comparison, show the other stream's bytes (of the counterpart node)."""
        if not self.comparing:
            return
        node = self.current
        other = "b" if self.hex_side == "a" else "a"
        if other not in self.buffers:
            return
        self._switch_hex(other)
        target = None
        if node is not None:
            target = node if node.side == other else node.other
        if target is not None:
            self._show_bytes(target, move=True)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """Hide A/B from the footer unless two streams are open."""
        if action == "swap_side":
            return self.comparing
        return True

    def action_help(self) -> None:
        """Show the keys."""
        screen_bindings = [
            b
            for b in self.BINDINGS
            if self.comparing or not (isinstance(b, Binding) and b.action == "swap_side")
        ]
        self.app.push_screen(HelpScreen(key_groups(self.app, screen_bindings)))
