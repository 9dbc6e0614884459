"""What the app is given to show: a stream already decoded, or a capture file to decode.

No Textual here: the app decodes ToOpen sources in a worker thread (see loader.py).
"""

from __future__ import annotations

from dataclasses import dataclass

from vmdiff.decode import Capture
from vmdiff.layouts import StreamLayout
from vmdiff.model import Buffer, Stream


@dataclass(frozen=True, slots=True)
class Loaded:
    """A decoded Stream and the bytes its spans point into (tests build the app from these).

    A comparison reads RAM pages through ``capture`` when it is given; with a bare stream it
    compares RAM blocks by name and length only.
    """

    stream: Stream
    buf: Buffer
    capture: Capture | None = None

    @classmethod
    def of(cls, capture: Capture) -> Loaded:
        """A capture that is already open (the caller keeps it open while the app runs)."""
        return cls(capture.stream, capture.source.buf, capture)

    @property
    def name(self) -> str:
        """The file name shown in the status bar."""
        return self.stream.path.rsplit("/", 1)[-1]


@dataclass(frozen=True, slots=True)
class ToOpen:
    """A capture file, decoded by the app once its first screen is up."""

    path: str
    layout: StreamLayout | None = None

    @property
    def name(self) -> str:
        """The file name shown while decoding."""
        return self.path.rsplit("/", 1)[-1]


StreamSource = Loaded | ToOpen
"""What the app accepts for each side."""
