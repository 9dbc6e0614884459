"""``vmdiff tui`` on the command line: bad input exits 2, and batch commands never load Textual."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from vmdiff.cli import main

_WITHOUT_TEXTUAL = (
    "outline",
    "from_stream",
    "ram_pages",
    "marks",
    "export",
    "annotate",
    "verdicts",
    "analysis",
    "loader",
    "sources",
)


def test_tui_reports_a_missing_file(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    missing = tmp_path / "nope.bin"
    assert main(["tui", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"vmdiff: {missing}: no such file"


def test_tui_reports_a_second_file_that_is_a_directory(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "a.bin"
    first.write_bytes(b"QEVM")
    assert main(["tui", str(first), str(tmp_path)]) == 2
    assert capsys.readouterr().err.strip() == f"vmdiff: {tmp_path}: not a readable file"


def test_tui_reports_a_missing_destination(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = tmp_path / "a.bin"
    first.write_bytes(b"QEVM")
    missing = tmp_path / "profile.json"
    assert main(["tui", str(first), "--dest", str(missing)]) == 2
    assert capsys.readouterr().err.strip() == f"vmdiff: {missing}: no such file"


def test_tui_refuses_standard_input(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["tui", "-"]) == 2
    assert "needs files" in capsys.readouterr().err


def test_importing_the_cli_does_not_import_textual() -> None:
    code = "import sys, vmdiff.cli, vmdiff.commands.tui; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"


def test_the_tree_and_analysis_modules_do_not_import_textual() -> None:
    modules = ", ".join(f"vmdiff.tui.{name}" for name in _WITHOUT_TEXTUAL)
    code = f"import sys, {modules}; print('textual' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "False"
