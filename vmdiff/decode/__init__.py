"""Decode captures into the model. The only package that imports kaitaistruct or _generated.

Imports vmdiff.model, vmdiff.layouts and vmdiff.errors.
"""

from __future__ import annotations

from dataclasses import dataclass

from vmdiff.decode.reader import Progress, decode_source
from vmdiff.decode.source import Source, finish_stream, open_source, source_from_bytes
from vmdiff.layouts import StreamLayout
from vmdiff.model import Stream


@dataclass(slots=True)
class Capture:
    """A decoded stream together with the mapped file its pages live in."""

    source: Source
    stream: Stream

    def read(self, offset: int, size: int) -> bytes:
        """Bytes of the input at an absolute offset (page data, field bytes)."""
        return bytes(self.source.buf[offset : offset + size])

    def close(self) -> None:
        """Release the mapping."""
        self.source.close()

    def __enter__(self) -> Capture:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def open_capture(
    path: str,
    *,
    layout: StreamLayout | None = None,
    index_pages: bool = False,
    progress: Progress | None = None,
) -> Capture:
    """Open and decode a capture, keeping it mapped for later reads of page data."""
    source = open_source(path)
    stream = decode_source(source, layout=layout, index_pages=index_pages, progress=progress)
    finish_stream(source, stream)
    return Capture(source, stream)


def read_stream(
    path: str, *, layout: StreamLayout | None = None, progress: Progress | None = None
) -> Stream:
    """Decode a capture into a Stream (stream faults are in ``Stream.fault``)."""
    with open_capture(path, layout=layout, progress=progress) as capture:
        return capture.stream


def decode_bytes(
    data: bytes, *, layout: StreamLayout | None = None, index_pages: bool = False
) -> Stream:
    """Decode a stream held in memory (tests, fuzzing)."""
    return decode_source(source_from_bytes(data), layout=layout, index_pages=index_pages)


__all__ = ["Capture", "decode_bytes", "open_capture", "read_stream"]
