"""Triage reports on real failing pairs: right culprit, fixes the data supports, no guest data."""

from __future__ import annotations

import json

import pytest

from tests.conftest import SAMPLES, sample_capture
from vmdiff.cli import main
from vmdiff.decode.pages import PageReader

LOGS = SAMPLES / "logs"


def _triage(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str]:
    status = main(["triage", *args])
    return status, capsys.readouterr().out


def test_report_names_the_option_rom_and_its_offset(capsys: pytest.CaptureFixture[str]) -> None:
    status, out = _triage(
        capsys,
        str(SAMPLES / "pc-7.2-e1000.bin"),
        "--json",
        "--log",
        str(LOGS / "extra-rom-10.0.log"),
    )
    report = json.loads(out)
    assert status == 3
    assert report["first_failure"]["path"] == "ram/0000:00:02.0/e1000.rom"
    assert report["first_failure"]["family"] == "unknown_ramblock"
    assert "0000:00:02.0" in report["fixes"][0]
    assert report["source"]["accelerator"] == "tcg"


def test_kvm_source_into_tcg_says_use_kvm(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _triage(
        capsys,
        str(SAMPLES / "pc-7.2-kvm.bin"),
        "--json",
        "--log",
        str(LOGS / "kvm-into-tcg-7.2.log"),
    )
    report = json.loads(out)
    assert report["source"]["accelerator"] == "kvm"
    assert report["first_failure"]["path"] == "kvmclock[0]"
    assert "-accel kvm" in report["fixes"][0]


def test_machine_type_fix_depends_on_which_side_is_newer(
    capsys: pytest.CaptureFixture[str],
) -> None:
    _, newer_source = _triage(capsys, "--json", "--log", str(LOGS / "machine-type-7.2.log"))
    _, newer_dest = _triage(capsys, "--json", "--log", str(LOGS / "machine-type-10.0.log"))
    assert "start the source with `-M pc-i440fx-7.2`" in json.loads(newer_source)["fixes"][0]
    assert "start the destination with `-M pc-i440fx-7.2`" in json.loads(newer_dest)["fixes"][0]


def test_source_version_floor_comes_from_the_stream(capsys: pytest.CaptureFixture[str]) -> None:
    _, out = _triage(capsys, str(SAMPLES / "pc-10.0.bin"), "--json")
    source = json.loads(out)["source"]
    assert source["qemu_at_least"] == "10.0"
    assert any("SWITCHOVER_START" in e for e in source["version_evidence"])
    # 10.0 running the 7.2 machine type sends no SWITCHOVER_START, but its vmdesc says >= 8.2.
    _, out = _triage(capsys, str(SAMPLES / "pc-7.2-on-10.0.bin"), "--json")
    source = json.loads(out)["source"]
    assert source["qemu_at_least"] == "8.2"


def test_report_never_contains_guest_pages(capsys: pytest.CaptureFixture[str]) -> None:
    capture = sample_capture("pc-7.2-running", index_pages=True)
    ram = capture.stream.ram
    assert ram is not None
    reader = PageReader(capture.source.buf, ram.blocks["pc.bios"], ram.page_size)
    page = next(p for _, p in reader.iter_pages() if p is not None and p.strip(b"\0"))
    needles = [page[i : i + 16] for i in range(0, 4096, 512) if page[i : i + 16].strip(b"\0")]
    for fmt in ([], ["--json"]):
        _, out = _triage(
            capsys,
            str(SAMPLES / "pc-7.2-running.bin"),
            *fmt,
            "--log",
            str(LOGS / "machine-type-7.2.log"),
        )
        for needle in needles:
            assert needle.hex() not in out and needle.hex(" ") not in out


def test_no_capture_and_no_log_is_a_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["triage"]) == 2
    assert "give a capture" in capsys.readouterr().err


def test_destination_verdicts_name_the_failure_without_a_log(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out = _triage(
        capsys, str(SAMPLES / "pc-7.2-usb.bin"), "--dest", str(SAMPLES / "pc-7.2.bin"), "--json"
    )
    report = json.loads(out)
    assert status == 3
    assert report["first_failure"]["path"] == "0000:00:02.0/xhci[0]"
    assert report["verdicts"]["outcome"] == "fail"
    assert "give the destination the same device" in report["fixes"][0]
    assert report["values"] == []


def test_field_values_only_with_include_values(capsys: pytest.CaptureFixture[str]) -> None:
    args = [str(SAMPLES / "pc-7.2-usb.bin"), "--dest", str(SAMPLES / "pc-7.2.bin")]
    _, plain = _triage(capsys, *args)
    _, with_values = _triage(capsys, *args, "--include-values")
    assert "Field values" not in plain
    assert "## Field values of the failing section" in with_values
    assert "`0000:00:02.0/xhci[0]/" in with_values


def test_many_captures_give_one_json_line_each(capsys: pytest.CaptureFixture[str]) -> None:
    captures = [str(SAMPLES / f"{name}.bin") for name in ("pc-7.2-again", "pc-7.2-e1000")]
    status = main(
        ["triage", *captures, "--dest", str(SAMPLES / "pc-7.2.bin"), "--json-lines", "--jobs", "2"]
    )
    captured = capsys.readouterr()
    lines = [json.loads(line) for line in captured.out.splitlines()]
    assert [line["capture"] for line in lines] == captures
    assert [line["outcome"] for line in lines] == ["succeed", "fail"]
    assert lines[1]["first_failure"]["path"] == "ram/0000:00:02.0/e1000.rom"
    assert status == 3
    assert "2 captures" in captured.err
