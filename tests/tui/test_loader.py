"""Decoding for the app: progress against the file size, and stopping when the app closes."""

from __future__ import annotations

import pytest

from tests.conftest import sample_path
from vmdiff.tui.loader import Callbacks, Cancelled, load
from vmdiff.tui.sources import ToOpen


def test_load_reports_progress_up_to_the_file_size() -> None:
    path = sample_path("pc-7.2")
    seen: list[tuple[int, int | None]] = []
    capture, outline = load(
        ToOpen(str(path)), "a", Callbacks(lambda d, t: seen.append((d, t)), bool)
    )
    with capture:
        size = path.stat().st_size
        assert seen[0] == (0, size)
        assert all(total == size for _, total in seen)
        assert [done for done, _ in seen] == sorted(done for done, _ in seen)
        assert len(seen) > 2
        assert outline.root.children[0].path == "header"
        assert outline.stream is capture.stream


def test_a_compressed_capture_has_no_known_total() -> None:
    path = sample_path("pc-10.0-mapped-ram")
    seen: list[int | None] = []
    callbacks = Callbacks(lambda done, total: seen.append(total), lambda: False)
    capture, _outline = load(ToOpen(str(path)), "b", callbacks)
    with capture:
        assert set(seen) == {None}
        assert capture.stream.fault is None


def test_load_stops_when_cancelled() -> None:
    calls = []

    def cancelled() -> bool:
        calls.append(1)
        return len(calls) > 3

    with pytest.raises(Cancelled):
        load(
            ToOpen(str(sample_path("pc-7.2"))), "a", Callbacks(lambda done, total: None, cancelled)
        )
