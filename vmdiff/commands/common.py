"""Pieces several commands share: opening captures with progress, reporting faults."""

from __future__ import annotations

import argparse
import os
from collections.abc import Iterator
from contextlib import contextmanager

from rich.progress import BarColumn, DownloadColumn, Progress, TimeRemainingColumn

from vmdiff.cli import ConsoleIO
from vmdiff.decode import Capture, open_capture
from vmdiff.layouts import StreamLayout, load_layout
from vmdiff.model import Stream

_PROGRESS_MIN_BYTES = 64 << 20
_PROGRESS_STEP = 8 << 20


def add_layout_argument(parser: argparse.ArgumentParser) -> None:
    """--layout FILE, for streams without their own vmdesc."""
    parser.add_argument(
        "--layout",
        metavar="FILE",
        help="device layouts when the stream has no vmdesc: a -dump-vmstate "
        "file, or a vmdesc saved from another capture of the same QEMU",
    )


def layout_from_args(args: argparse.Namespace) -> StreamLayout | None:
    """The --layout file, loaded, or None."""
    return load_layout(args.layout) if getattr(args, "layout", None) else None


@contextmanager
def decoded(
    path: str, io: ConsoleIO, *, layout: StreamLayout | None = None, index_pages: bool = False
) -> Iterator[Capture]:
    """Open and decode a capture, with a progress bar on stderr for big files on a terminal."""
    size = _size_of(path)
    if not io.err.is_terminal or size < _PROGRESS_MIN_BYTES:
        capture = open_capture(path, layout=layout, index_pages=index_pages)
    else:
        columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
        with Progress(*columns, console=io.err, transient=True) as bar:
            task = bar.add_task(f"decoding {path}", total=size)
            last = [0]

            def advance(pos: int) -> None:
                if pos - last[0] >= _PROGRESS_STEP:
                    last[0] = pos
                    bar.update(task, completed=pos)

            capture = open_capture(path, layout=layout, index_pages=index_pages, progress=advance)
    try:
        yield capture
    finally:
        capture.close()


def _size_of(path: str) -> int:
    try:
        return os.path.getsize(path) if path != "-" else 0
    except OSError:
        return 0


def report_fault(stream: Stream, io: ConsoleIO) -> bool:
    """Print the one-line fault message if decoding stopped early; True if it did."""
    if stream.fault is None:
        return False
    io.error(f"{stream.path}: {stream.fault.message}")
    return True
