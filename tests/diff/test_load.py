"""open_pair: B decoded in a forked child gives the same Stream as decoding it here."""

from __future__ import annotations

import json
import pickle
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import sample_path
from vmdiff.cli import main
from vmdiff.diff import CompareOptions, compare, compare_files
from vmdiff.diff import load as pair_loader
from vmdiff.model import Stream
from vmdiff.report.diff_json import diff_to_json


def _compared(parallel_min_bytes: int, monkeypatch: pytest.MonkeyPatch) -> dict[str, object]:
    monkeypatch.setattr(pair_loader, "PARALLEL_MIN_BYTES", parallel_min_bytes)
    a, b = str(sample_path("pc-7.2")), str(sample_path("pc-7.2-running"))
    with pair_loader.open_pair(a, b, index_pages=True) as pair:
        return diff_to_json(compare(pair.a, pair.b))


def test_open_pair_in_a_child_matches_decoding_here(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(pair_loader, "_idle_cores", lambda: 2.0)
    sequential = _compared(1 << 62, monkeypatch)
    children: list[object] = []
    real = pair_loader._finish_child

    def spy(*args: Any) -> Stream | None:
        stream = real(*args)
        children.append(stream)
        return stream

    monkeypatch.setattr(pair_loader, "_finish_child", spy)
    assert _compared(0, monkeypatch) == sequential
    assert len(children) == 1 and isinstance(children[0], Stream)


def test_open_pair_decodes_b_itself_when_the_child_fails(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    expected = _compared(1 << 62, monkeypatch)

    def broken(*args: object, **kwargs: object) -> bytes:
        raise pickle.PicklingError("no")

    monkeypatch.setattr(pair_loader, "_idle_cores", lambda: 2.0)
    monkeypatch.setattr("pickle.dumps", broken)
    assert _compared(0, monkeypatch) == expected


def test_compare_files_is_the_command_without_printing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    cut = tmp_path / "cut.bin"
    cut.write_bytes(sample_path("pc-7.2-running").read_bytes()[:0x98000])
    full = str(sample_path("pc-7.2"))
    result = compare_files(full, str(cut), CompareOptions(ignore_volatile=True))
    assert result.b.fault is not None and not result.complete
    assert any("has no vmdesc of its own" in note for note in result.notes)
    assert main([full, str(cut), "--ignore-volatile", "--json", "--no-check"]) == 1
    assert json.loads(capsys.readouterr().out) == diff_to_json(result)
