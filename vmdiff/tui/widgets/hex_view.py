"""A hex dump of a whole capture that draws only the rows on screen, straight from the mapping."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.segment import Segment
from rich.style import Style
from textual import events
from textual.binding import Binding, BindingType
from textual.geometry import Size
from textual.message import Message
from textual.reactive import reactive
from textual.scroll_view import ScrollView
from textual.strip import Strip

from vmdiff.model import Buffer
from vmdiff.tui.outline import Part

_ROW_WIDTHS = (16, 8, 4)
_PRINTABLE = frozenset(range(0x20, 0x7F))


def _hex_width(count: int) -> int:
    """Columns taken by ``count`` bytes as "xx " with an extra space after every 8."""
    return 3 * count + max(count - 1, 0) // 8


class HexView(ScrollView, can_focus=True):
    """Offsets, bytes and their ASCII; the selected node's header, body and footer are shaded."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("left", "move(-1)", "Byte left", show=False),
        Binding("right", "move(1)", "Byte right", show=False),
        Binding("up", "move_rows(-1)", "Row up", show=False),
        Binding("down", "move_rows(1)", "Row down", show=False),
        Binding("pageup", "move_pages(-1)", "Page up", show=False),
        Binding("pagedown", "move_pages(1)", "Page down", show=False),
        Binding("home", "row_edge(0)", "Row start", show=False),
        Binding("end", "row_edge(1)", "Row end", show=False),
        Binding("ctrl+home", "edge(0)", "File start", show=False),
        Binding("ctrl+end", "edge(1)", "File end", show=False),
        Binding("[", "node_edge(0)", "First byte of the selected node", show=False),
        Binding("]", "node_edge(1)", "Last byte of the selected node", show=False),
    ]

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "hex-view--offset",
        "hex-view--zero",
        "hex-view--header",
        "hex-view--body",
        "hex-view--footer",
        "hex-view--fault",
        "hex-view--undecoded",
        "hex-view--cursor",
        "hex-view--cursor-blurred",
        "hex-view--dot",
    }

    DEFAULT_CSS = """
    HexView {
        background: $surface;
        & > .hex-view--offset { color: $text-muted; }
        & > .hex-view--zero { color: $text-disabled; }
        & > .hex-view--dot { color: $text-disabled; }
        & > .hex-view--header { background: $warning 35%; color: $text; }
        & > .hex-view--body { background: $primary 40%; color: $text; }
        & > .hex-view--footer { background: $success 40%; color: $text; }
        & > .hex-view--fault { background: $error; color: $text; text-style: bold; }
        & > .hex-view--undecoded { background: $error 20%; }
        & > .hex-view--cursor-blurred { text-style: bold underline; }
        & > .hex-view--cursor { background: $accent; color: $text; text-style: bold; }
    }
    """

    cursor: reactive[int] = reactive(0, init=False)

    class CursorMoved(Message):
        """The user moved the hex cursor to ``offset``."""

        def __init__(self, hex_view: HexView, offset: int) -> None:
            super().__init__()
            self.hex_view = hex_view
            self.offset = offset

        @property
        def control(self) -> HexView:
            """The hex view whose cursor moved."""
            return self.hex_view

    def __init__(
        self, *, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._hex_buf: Buffer = b""
        self._hex_size = 0
        self._hex_parts: tuple[Part, ...] = ()
        self._hex_row_bytes = 16
        self._hex_digits = 4

    @property
    def row_bytes(self) -> int:
        """Bytes per row: 16, or fewer when the pane is narrow."""
        return self._hex_row_bytes

    @property
    def size_bytes(self) -> int:
        """How many bytes the view shows."""
        return self._hex_size

    @property
    def parts(self) -> tuple[Part, ...]:
        """The shaded byte ranges."""
        return self._hex_parts

    def show_buffer(self, buf: Buffer, size: int) -> None:
        """Show ``size`` bytes of ``buf`` from offset 0."""
        self._hex_buf = buf
        self._hex_size = size
        self._hex_digits = max(4, len(f"{max(size - 1, 0):x}"))
        self.set_reactive(HexView.cursor, 0)
        self._layout_rows()
        self.scroll_to(0, 0, animate=False)
        self.refresh()

    def shade(self, parts: Sequence[Part]) -> None:
        """Shade these byte ranges (header, body, footer, fault, undecoded)."""
        self._hex_parts = tuple(parts)
        self.refresh()

    def jump_to(self, offset: int, *, announce: bool = False) -> None:
        """Put the cursor on ``offset`` and scroll its row into view, with context above."""
        offset = self._clamp(offset)
        if announce:
            self.cursor = offset
        else:
            self.set_reactive(HexView.cursor, offset)
        row = offset // self._hex_row_bytes
        top = int(self.scroll_offset.y)
        height = max(self.scrollable_content_region.height, 1)
        if not top <= row < top + height:
            self.scroll_to(y=max(row - height // 4, 0), animate=False)
        self.refresh()

    # -- drawing --------------------------------------------------------------------------

    def _layout_rows(self) -> None:
        width = self.scrollable_content_region.width or self.size.width
        self._hex_row_bytes = next(
            (n for n in _ROW_WIDTHS if self._line_width(n) <= width), _ROW_WIDTHS[-1]
        )
        rows = (self._hex_size + self._hex_row_bytes - 1) // self._hex_row_bytes
        self.virtual_size = Size(self._line_width(self._hex_row_bytes), rows)

    def _line_width(self, row_bytes: int) -> int:
        return self._hex_digits + 2 + _hex_width(row_bytes) + 1 + row_bytes

    def on_resize(self, event: events.Resize) -> None:
        """Refit the bytes per row to the new width, keeping the cursor in view."""
        before = self._hex_row_bytes
        self._layout_rows()
        if before != self._hex_row_bytes:
            self.jump_to(self.cursor)

    def render_line(self, y: int) -> Strip:
        """One row of the dump: offset, hex bytes in groups of 8, ASCII."""
        row = y + int(self.scroll_offset.y)
        width = self.scrollable_content_region.width
        base = self.rich_style
        start = row * self._hex_row_bytes
        if start >= self._hex_size:
            return Strip.blank(width, base)
        end = min(start + self._hex_row_bytes, self._hex_size)
        data = bytes(self._hex_buf[start:end])
        styles = self._byte_styles(start, data)
        offset_style = base + self.get_component_rich_style("hex-view--offset")
        segments = [Segment(f"{start:0{self._hex_digits}x}", offset_style), Segment("  ", base)]
        for index, (byte, style) in enumerate(zip(data, styles, strict=True)):
            if index and index % 8 == 0:
                segments.append(Segment(" ", base))
            joiner = style if self._joins(start + index) else base
            segments.append(Segment(f"{byte:02x}", style))
            segments.append(Segment(" ", joiner))
        if len(data) < self._hex_row_bytes:
            pad = _hex_width(self._hex_row_bytes) - _hex_width(len(data))
            segments.append(Segment(" " * pad, base))
        segments.append(Segment(" ", base))
        dot = base + self.get_component_rich_style("hex-view--dot")
        for byte, style in zip(data, styles, strict=True):
            if byte in _PRINTABLE:
                segments.append(Segment(chr(byte), style))
            else:
                segments.append(Segment(".", style if style is not base else dot))
        return Strip(segments).adjust_cell_length(width, base)

    def _joins(self, offset: int) -> bool:
        """True if the gap after ``offset`` lies inside the same shaded part."""
        for _kind, span in self._hex_parts:
            if offset in span:
                return offset + 1 in span
        return False

    def _byte_styles(self, start: int, data: bytes) -> list[Style]:
        base = self.rich_style
        zero = base + self.get_component_rich_style("hex-view--zero")
        kinds = {
            kind: base + self.get_component_rich_style(f"hex-view--{kind}")
            for kind in ("header", "body", "footer", "fault", "undecoded")
        }
        cursor_class = "hex-view--cursor" if self.has_focus else "hex-view--cursor-blurred"
        cursor = self.get_component_rich_style(cursor_class, partial=True)
        visible = [
            (span, kinds.get(kind, base))
            for kind, span in self._hex_parts
            if span.start < start + len(data) and span.end > start
        ]
        styles: list[Style] = []
        for index, byte in enumerate(data):
            offset = start + index
            style = next((s for span, s in visible if offset in span), None)
            if style is None:
                style = zero if byte == 0 else base
            if offset == self.cursor:
                style = style + cursor
            styles.append(style)
        return styles

    # -- moving ---------------------------------------------------------------------------

    def _clamp(self, offset: int) -> int:
        return min(max(offset, 0), max(self._hex_size - 1, 0))

    def watch_cursor(self, old: int, new: int) -> None:
        """Tell the app, so the tree follows the cursor."""
        self.refresh()
        if old != new:
            self.post_message(self.CursorMoved(self, new))

    def _go(self, offset: int) -> None:
        self.jump_to(offset, announce=True)

    def action_move(self, delta: int) -> None:
        """Move the cursor by ``delta`` bytes."""
        self._go(self.cursor + delta)

    def action_move_rows(self, rows: int) -> None:
        """Move the cursor by whole rows."""
        target = self.cursor + rows * self._hex_row_bytes
        if 0 <= target < self._hex_size:
            self._go(target)

    def action_move_pages(self, pages: int) -> None:
        """Move the cursor and the view by a screenful."""
        height = max(self.scrollable_content_region.height, 1)
        delta = pages * height * self._hex_row_bytes
        self.scroll_to(y=max(int(self.scroll_offset.y) + pages * height, 0), animate=False)
        self._go(self.cursor + delta)

    def action_row_edge(self, end: int) -> None:
        """Move to the first or last byte of the row."""
        row_start = self.cursor - self.cursor % self._hex_row_bytes
        self._go(row_start + (self._hex_row_bytes - 1 if end else 0))

    def action_edge(self, end: int) -> None:
        """Move to the first or last byte of the file."""
        self._go(self._hex_size - 1 if end else 0)

    def action_node_edge(self, end: int) -> None:
        """Move to the first or last byte of the shaded node."""
        if not self._hex_parts:
            return
        first = min(span.start for _kind, span in self._hex_parts)
        last = max(span.end for _kind, span in self._hex_parts) - 1
        self._go(last if end else first)

    def offset_at(self, x: int, y: int) -> int | None:
        """The byte under a point of the widget, in the hex or the ASCII column."""
        row = y + int(self.scroll_offset.y)
        column = x + int(self.scroll_offset.x) - self._hex_digits - 2
        if column < 0:
            return None
        hex_width = _hex_width(self._hex_row_bytes)
        if column < hex_width:
            group, within = divmod(column, 8 * 3 + 1)
            index = group * 8 + min(within // 3, 7)
        else:
            index = column - hex_width - 1
            if index < 0:
                return None
        if index >= self._hex_row_bytes:
            return None
        offset = row * self._hex_row_bytes + index
        return offset if offset < self._hex_size else None

    def on_click(self, event: events.Click) -> None:
        """Put the cursor on the clicked byte."""
        offset = self.offset_at(event.x, event.y)
        if offset is not None:
            self._go(offset)

    def on_focus(self) -> None:
        """Show the cursor in its focused colour."""
        self.refresh()

    def on_blur(self) -> None:
        """Show the cursor in its blurred colour."""
        self.refresh()
