"""`vmdiff A B` is short for `vmdiff diff A B`, also when A is standard input."""

from __future__ import annotations

import subprocess
import sys

from tests.conftest import sample_path


def test_standard_input_as_a_is_compared() -> None:
    a = sample_path("pc-7.2").read_bytes()
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "vmdiff",
            "-",
            str(sample_path("pc-7.2-again")),
            "--ignore-volatile",
            "--stat",
            "--no-check",
        ],
        input=a,
        capture_output=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert b"no differences" in done.stdout


def test_an_unknown_first_word_is_taken_as_a_capture() -> None:
    done = subprocess.run(
        [sys.executable, "-m", "vmdiff", "no-such-file.bin", "other.bin"],
        capture_output=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.decode().startswith("vmdiff: no-such-file.bin: cannot open")
