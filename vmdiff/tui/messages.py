"""Messages the decoding worker sends to the screen (posted from its thread)."""

from __future__ import annotations

from textual.message import Message

from vmdiff.decode import Capture
from vmdiff.tui.analysis import Analysis
from vmdiff.tui.outline import Outline


class DecodeProgress(Message):
    """Decoding of one side has reached ``done`` of ``total`` bytes (None: not known)."""

    def __init__(self, side: str, done: int, total: int | None) -> None:
        super().__init__()
        self.side = side
        self.done = done
        self.total = total

    def can_replace(self, message: Message) -> bool:
        """A newer position makes an older one of the same side obsolete."""
        return isinstance(message, DecodeProgress) and message.side == self.side


class CaptureDecoded(Message):
    """One side is decoded: its capture (kept open for the hex pane) and its tree."""

    def __init__(self, side: str, capture: Capture, outline: Outline) -> None:
        super().__init__()
        self.side = side
        self.capture = capture
        self.outline = outline


class AnalysisReady(Message):
    """The comparison and the verdicts are worked out."""

    def __init__(self, analysis: Analysis) -> None:
        super().__init__()
        self.analysis = analysis


class CaptureFailed(Message):
    """One side could not be opened at all (the file is unreadable, not a stream fault)."""

    def __init__(self, side: str, message: str) -> None:
        super().__init__()
        self.side = side
        self.message = message
