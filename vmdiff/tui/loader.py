"""Decode a capture off the UI thread, reporting progress and stopping early when asked.

No Textual here: the browse screen runs ``load`` in a thread worker and relays the callbacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from vmdiff.decode import Capture, open_capture
from vmdiff.decode.source import QEVM_MAGIC
from vmdiff.tui.from_stream import build_outline
from vmdiff.tui.outline import Outline
from vmdiff.tui.sources import ToOpen

PROGRESS_STEPS = 200
"""Progress is reported at most about this many times per capture."""


class Cancelled(Exception):
    """The app is closing: stop decoding."""


@dataclass(slots=True)
class Callbacks:
    """How the loader reports: ``progress(done, total)`` (total None when unknown)."""

    progress: Callable[[int, int | None], None]
    is_cancelled: Callable[[], bool]


def _plain_stream_size(path: str) -> int:
    """The file's size if offsets in it are stream offsets; 0 when the stream is wrapped.

    A compressed or libvirt-wrapped capture is unpacked first, so its decoded length is
    not known in advance: progress is then shown as bytes decoded, without a percentage.
    """
    try:
        with open(path, "rb") as handle:
            magic = handle.read(len(QEVM_MAGIC))
            return os.fstat(handle.fileno()).st_size if magic == QEVM_MAGIC else 0
    except OSError:
        return 0


def load(request: ToOpen, side: str, callbacks: Callbacks) -> tuple[Capture, Outline]:
    """Decode the capture with a page index and build its tree.

    Raises VmdiffError if the file cannot be opened, Cancelled if the caller gave up.
    """
    file_size = _plain_stream_size(request.path)
    step = max(file_size // PROGRESS_STEPS, 1 << 16)
    last = [-step]
    callbacks.progress(0, file_size or None)

    def progress(pos: int) -> None:
        if callbacks.is_cancelled():
            raise Cancelled
        if pos - last[0] >= step:
            last[0] = pos
            callbacks.progress(pos, file_size or None)

    capture = open_capture(request.path, layout=request.layout, index_pages=True, progress=progress)
    try:
        outline = build_outline(capture.stream, side=side)
    except BaseException:
        capture.close()
        raise
    return capture, outline
