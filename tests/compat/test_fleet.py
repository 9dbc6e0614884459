"""`vmdiff check` over many captures: one JSON line each, a summary, the worst exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import sample_path
from vmdiff.cli import main


def test_check_many_captures_gives_one_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    names = ["pc-7.2-again", "pc-7.2-e1000", "pc-7.2-kvm", "pc-10.0"]
    captures = [str(sample_path(n)) for n in names]
    dest = str(sample_path("pc-7.2"))
    status = main(["check", *captures, "--dest", dest, "--json-lines", "--jobs", "2"])
    out, err = capsys.readouterr()
    lines = [json.loads(line) for line in out.splitlines()]
    assert [line["capture"] for line in lines] == captures
    assert [line["outcome"] for line in lines] == ["succeed", "fail", "fail", "fail"]
    assert [line["first_failure"]["path"] for line in lines[1:]] == [
        "ram/0000:00:02.0/e1000.rom",
        "kvmclock[0]",
        "configuration/machine_type",
    ]
    assert status == 3
    assert "4 captures" in err and "kvmclock[0]" in err


def test_an_unreadable_capture_is_a_row_not_a_crash(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x89PNG\r\n\x1a\n" + bytes(64))
    ok = str(sample_path("pc-7.2-again"))
    status = main(["check", ok, str(junk), "--dest", str(sample_path("pc-7.2")), "--json-lines"])
    out, _ = capsys.readouterr()
    first, second = (json.loads(line) for line in out.splitlines())
    assert first["outcome"] == "succeed"
    assert "not a QEMU migration stream" in second["error"]
    assert status == 2
