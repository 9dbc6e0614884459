"""Decode the two captures of a comparison, B in a forked child while A decodes here.

Decoding is CPU-bound Python; with two cores, decoding both at once halves the wait for big
captures. The child inherits B's already opened (and, if need be, unpacked) source through
fork, decodes it and sends the Stream back pickled: a few MB even for a GiB of RAM, since pages
stay in the mapped file and only their index travels.
"""

from __future__ import annotations

import multiprocessing
import os
import pickle
import signal
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from multiprocessing.connection import Connection

from vmdiff.decode import Capture
from vmdiff.decode.reader import Progress, decode_source
from vmdiff.decode.source import Source, open_source
from vmdiff.diff.compare import compare
from vmdiff.diff.difference import DiffResult
from vmdiff.diff.options import CompareOptions
from vmdiff.errors import LayoutError
from vmdiff.layouts import StreamLayout, layout_from_json
from vmdiff.model import Stream

PARALLEL_MIN_BYTES = 64 << 20
"""Below this combined size a child costs more than it saves."""


@dataclass(slots=True)
class CapturePair:
    """The two decoded captures of a comparison, and what decoding them had to work around."""

    a: Capture
    b: Capture
    notes: list[str] = field(default_factory=list)


@contextmanager
def open_pair(
    path_a: str,
    path_b: str,
    *,
    layout: StreamLayout | None = None,
    index_pages: bool = False,
    progress: Progress | None = None,
) -> Iterator[CapturePair]:
    """Both captures decoded and mapped; ``progress`` follows A's decoding.

    Without ``layout``, a capture that has no vmdesc of its own (one cut short, say) is
    decoded again with the other capture's vmdesc, and ``notes`` says so.
    """
    with ExitStack() as stack:
        source_a = open_source(path_a)
        stack.callback(source_a.close)
        source_b = open_source(path_b)
        stack.callback(source_b.close)
        child = None
        if _parallel(source_a, source_b):
            child = _start_child(source_b, layout, index_pages)
        stream_a = decode_source(
            source_a, layout=layout, index_pages=index_pages, progress=progress
        )
        stream_b = _finish_child(*child) if child is not None else None
        if stream_b is None:
            stream_b = decode_source(source_b, layout=layout, index_pages=index_pages)
        pair = CapturePair(Capture(source_a, stream_a), Capture(source_b, stream_b))
        if layout is None:
            pair.a = _borrow_layout(pair.a, pair.b, index_pages, pair.notes)
            pair.b = _borrow_layout(pair.b, pair.a, index_pages, pair.notes)
        yield pair


def compare_files(
    path_a: str,
    path_b: str,
    options: CompareOptions | None = None,
    *,
    layout: StreamLayout | None = None,
) -> DiffResult:
    """Decode two captures and compare them: ``vmdiff A B`` without the printing."""
    options = options or CompareOptions()
    with open_pair(path_a, path_b, layout=layout, index_pages=options.ram) as pair:
        result = compare(pair.a, pair.b, options)
    result.notes[:0] = pair.notes
    return result


def _borrow_layout(
    capture: Capture, other: Capture, index_pages: bool, notes: list[str]
) -> Capture:
    own, theirs = capture.stream.vmdesc, other.stream.vmdesc
    if (own is not None and own.json is not None) or theirs is None or theirs.json is None:
        return capture
    source = f"the vmdesc of {other.stream.path}"
    try:
        layout = layout_from_json(theirs.json, source)
    except LayoutError:
        return capture
    stream = decode_source(capture.source, layout=layout, index_pages=index_pages)
    notes.append(f"{stream.path} has no vmdesc of its own: decoded with {source}")
    return Capture(capture.source, stream)


def _parallel(a: Source, b: Source) -> bool:
    return (
        a.size + b.size >= PARALLEL_MIN_BYTES
        and _idle_cores() >= 1.5
        and "fork" in multiprocessing.get_all_start_methods()
    )


def _idle_cores() -> float:
    # Both decoders need a core of their own: on a busy machine the second one only competes
    # with the first, and the pair takes longer than decoding one after the other.
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    return (cores or 1) - os.getloadavg()[0]


def _start_child(
    source: Source, layout: StreamLayout | None, index_pages: bool
) -> tuple[multiprocessing.process.BaseProcess, Connection]:
    receiver, sender = multiprocessing.get_context("fork").Pipe(duplex=False)

    def work() -> None:
        # Ctrl-C is the parent's to handle; this daemon child ends with it.
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            stream = decode_source(source, layout=layout, index_pages=index_pages)
            sender.send_bytes(pickle.dumps(stream, protocol=pickle.HIGHEST_PROTOCOL))
        except Exception:
            # Whatever it was, the parent decodes B itself and reports it properly.
            sender.send_bytes(b"")
        finally:
            sender.close()

    process = multiprocessing.get_context("fork").Process(target=work, daemon=True)
    process.start()
    sender.close()
    return process, receiver


def _finish_child(
    process: multiprocessing.process.BaseProcess, receiver: Connection
) -> Stream | None:
    try:
        data = receiver.recv_bytes()
    except EOFError:
        data = b""
    finally:
        receiver.close()
        process.join()
    if not data:
        return None
    stream = pickle.loads(data)
    return stream if isinstance(stream, Stream) else None


__all__ = ["PARALLEL_MIN_BYTES", "CapturePair", "compare_files", "open_pair"]
