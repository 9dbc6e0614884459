"""The go-to-offset dialog (``g``)."""

from __future__ import annotations

import string
from typing import ClassVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Label

_HEX_DIGITS = frozenset(string.hexdigits)


def parse_offset(text: str, current: int, size: int) -> int:
    """An offset typed by the user: ``0x1f3a``, ``1f3a``, ``8000`` (decimal), ``+16``, ``end``.

    Raises ValueError with a message for the dialog.
    """
    typed = text.strip().lower().replace("_", "")
    if not typed:
        raise ValueError("type an offset, e.g. 0x1f3a")
    if typed in ("end", "$"):
        return max(size - 1, 0)
    sign = 0
    if typed[0] in "+-":
        sign = 1 if typed[0] == "+" else -1
        typed = typed[1:].strip()
    if typed.startswith("0x"):
        digits, base = typed[2:], 16
    elif typed.isdigit():
        digits, base = typed, 10
    else:
        digits, base = typed, 16
    if not digits or not set(digits) <= _HEX_DIGITS:
        raise ValueError(f"not an offset: {text.strip()!r} (try 0x1f3a, 8000 or +16)")
    value = int(digits, base)
    offset = current + sign * value if sign else value
    if not 0 <= offset < max(size, 1):
        raise ValueError(f"{offset:#x} is outside the file (0x0..{max(size - 1, 0):#x})")
    return offset


class GotoScreen(ModalScreen[int | None]):
    """Asks for an offset; dismisses with it, or None on Escape."""

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, current: int, size: int) -> None:
        super().__init__()
        self.current = current
        self.size_bytes = size

    def compose(self) -> ComposeResult:
        """A prompt, an input and a line for errors."""
        with Vertical(id="dialog"):
            yield Label(f"Go to offset (0x0..{max(self.size_bytes - 1, 0):#x})", id="dialog-title")
            yield Input(placeholder="0x1f3a, 8000, +16, end", id="goto-input")
            yield Label("hex with 0x or a-f, decimal otherwise; +N/-N from the cursor", id="hint")

    def on_input_submitted(self, event: Input.Submitted) -> None:
        """Jump if the offset is valid, else say why not."""
        try:
            offset = parse_offset(event.value, self.current, self.size_bytes)
        except ValueError as err:
            hint = self.query_one("#hint", Label)
            hint.update(str(err))
            hint.add_class("error")
            return
        self.dismiss(offset)

    def action_cancel(self) -> None:
        """Close without moving."""
        self.dismiss(None)
