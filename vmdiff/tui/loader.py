"""Decode a capture off the UI thread, reporting progress and stopping early when asked.

No Textual here: the browse screen runs ``load`` in a thread worker and relays the callbacks.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from vmdiff.decode import Capture, open_capture
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


def load(request: ToOpen, side: str, callbacks: Callbacks) -> tuple[Capture, Outline]:
    """Decode the capture with a page index and build its tree.

    Raises VmdiffError if the file cannot be opened, Cancelled if the caller gave up.
    """
    try:
        file_size = os.path.getsize(request.path)
    except OSError:
        file_size = 0
    step = max(file_size // PROGRESS_STEPS, 1 << 16)
    last = [-step]

    def progress(pos: int) -> None:
        if callbacks.is_cancelled():
            raise Cancelled
        if pos - last[0] >= step:
            last[0] = pos
            # A compressed capture decodes further than its file is long.
            callbacks.progress(pos, file_size if 0 < pos <= file_size else None)

    capture = open_capture(request.path, layout=request.layout, index_pages=True, progress=progress)
    try:
        outline = build_outline(capture.stream, side=side)
    except BaseException:
        capture.close()
        raise
    return capture, outline
