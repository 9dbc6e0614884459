"""Golden files for every output format on real pairs of captures.

The files in tests/diff/golden/ are the reviewed output. After a deliberate change, rewrite
them with ``VMDIFF_UPDATE_GOLDEN=1 .venv/bin/python -m pytest tests/diff/test_golden.py`` and
review ``git diff tests/diff/golden`` before committing.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.conftest import ROOT
from vmdiff.cli import main

GOLDEN = Path(__file__).resolve().parent / "golden"
UPDATE = os.environ.get("VMDIFF_UPDATE_GOLDEN") == "1"

# name: (expected exit status, arguments after "vmdiff diff")
CASES: dict[str, tuple[int, list[str]]] = {
    "q35.txt": (3, ["samples/pc-7.2.bin", "samples/q35-7.2.bin"]),
    "q35.json": (3, ["samples/pc-7.2.bin", "samples/q35-7.2.bin", "--json"]),
    "q35.md": (3, ["samples/pc-7.2.bin", "samples/q35-7.2.bin", "--format", "markdown"]),
    "q35-no-check.txt": (1, ["samples/pc-7.2.bin", "samples/q35-7.2.bin", "--no-check"]),
    "nic.txt": (
        3,
        ["samples/pc-7.2-e1000.bin", "samples/pc-7.2-rtl8139.bin", "--ignore-volatile"],
    ),
    "m128-volatile.txt": (
        3,
        ["samples/pc-7.2.bin", "samples/pc-7.2-m128.bin", "--ignore-volatile"],
    ),
    "running-stat.txt": (
        1,
        ["samples/pc-7.2.bin", "samples/pc-7.2-running.bin", "--ignore-volatile", "--stat"],
    ),
    "running-stat.md": (
        1,
        [
            "samples/pc-7.2.bin",
            "samples/pc-7.2-running.bin",
            "--ignore-volatile",
            "--stat",
            "--format",
            "markdown",
        ],
    ),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_diff_output_matches_golden(
    name: str, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    monkeypatch.delenv("NO_COLOR", raising=False)
    expected_status, args = CASES[name]
    status = main(["diff", *args])
    output = capsys.readouterr().out
    assert status == expected_status
    golden = GOLDEN / name
    if UPDATE:
        golden.parent.mkdir(exist_ok=True)
        golden.write_text(output)
    assert output == golden.read_text(), f"differs from {golden}; see this module's docstring"
