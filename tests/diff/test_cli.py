"""``vmdiff A B --no-check`` end to end: exit statuses, formats, filters, colour, bad input.

The verdicts that ``vmdiff A B`` adds by default are tested in test_verdicts.py.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import sample_path
from vmdiff.cli import main

Run = tuple[int, str, str]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    status = main(list(args))
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def s(name: str) -> str:
    return str(sample_path(name))


def test_cli_exit_0_for_a_capture_against_itself(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, s("pc-7.2"), s("pc-7.2"), "--no-check")
    assert status == 0 and err == ""
    assert out.splitlines()[-1] == "no differences"


def test_cli_exit_1_for_differences_and_0_once_filtered(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, s("pc-7.2"), s("pc-7.2-again"), "--no-check")
    assert status == 1
    assert "~ mc146818rtc[0]/last_update" in out
    assert out.splitlines()[-1] == "3 fields differ"
    status, out, _ = run(capsys, s("pc-7.2"), s("pc-7.2-again"), "--ignore-volatile", "--no-check")
    assert status == 0
    assert out.splitlines()[-1] == "no differences (3 ignored)"
    status, _, _ = run(
        capsys, s("pc-7.2"), s("pc-7.2-again"), "--ignore", "mc146818rtc[0]", "--no-check"
    )
    assert status == 0


def test_cli_diff_subcommand_is_the_default(capsys: pytest.CaptureFixture[str]) -> None:
    assert run(capsys, "diff", s("pc-7.2"), s("q35-7.2")) == run(capsys, s("pc-7.2"), s("q35-7.2"))


def test_cli_section_filter(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, s("pc-7.2"), s("q35-7.2"), "--section", "PCIBUS", "--json", "--no-check"
    )
    document = json.loads(out)
    assert status == 1
    assert {d["group"] for d in document["differences"]} == {"PCIBUS[0]"}
    status, out, _ = run(
        capsys, s("pc-7.2"), s("q35-7.2"), "--section", "configuration", "--no-check"
    )
    assert status == 1 and out.splitlines()[-1] == "1 configuration value differs"


def test_cli_no_ram(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, s("pc-7.2"), s("pc-7.2-m128"), "--ignore-volatile", "--no-ram", "--no-check"
    )
    assert status == 1
    assert "ram/" not in out
    assert out.splitlines()[-1] == "2 fields differ (4 ignored)"


def test_cli_json_schema(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, s("pc-7.2"), s("pc-7.2-e1000"), "--json", "--ignore-volatile", "--no-check"
    )
    document = json.loads(out)
    assert status == 1
    assert document["format"] == "vmdiff.diff/1" and "check" not in document
    assert document["complete"] is True
    assert document["summary"]["differences"] == len(document["differences"]) == 5
    assert document["summary"]["ignored"] == 3
    kinds = {d["kind"] for d in document["differences"]}
    assert kinds <= {"only_in_a", "only_in_b", "version_changed", "value_changed", "size_changed"}
    (rom,) = [d for d in document["differences"] if d["path"].endswith("e1000.rom")]
    assert (rom["kind"], rom["a"], rom["b"]) == ("only_in_b", None, 262144)
    tables = next(d for d in document["differences"] if d["path"] == "ram//rom@etc/acpi/tables")
    assert tables["pages"] == 1 and tables["ranges"] == [[0, 4096]]


def test_cli_stat_json_has_the_summary_only(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, s("pc-7.2"), s("q35-7.2"), "--json", "--stat", "--no-check")
    document = json.loads(out)
    assert status == 1 and "differences" not in document
    assert document["summary"]["by_category"]["section"] == {"only_in_a": 5, "only_in_b": 4}


def test_cli_colour_only_when_asked(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("NO_COLOR", raising=False)
    _, piped, _ = run(capsys, s("pc-7.2"), s("pc-7.2-again"))
    assert "\x1b[" not in piped
    _, forced, _ = run(capsys, "--color", "always", s("pc-7.2"), s("pc-7.2-again"))
    assert "\x1b[33m~ \x1b[0m" in forced


def test_cli_missing_file_is_trouble(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    status, out, err = run(capsys, s("pc-7.2"), str(tmp_path / "nope.bin"))
    assert status == 2 and out == ""
    assert err.startswith("vmdiff: ") and "nope.bin" in err and len(err.splitlines()) == 1


def test_cli_not_a_stream_is_trouble(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"this is not a migration stream\n" * 4)
    status, out, err = run(capsys, s("pc-7.2"), str(junk))
    assert status == 2 and out == ""
    assert "not a QEMU migration stream" in err and len(err.splitlines()) == 1


def test_cli_truncated_stream_compares_up_to_the_fault(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    full = sample_path("pc-7.2-running").read_bytes()
    cut = tmp_path / "cut.bin"
    # Cut inside the device sections: after cpu[0], before the vmdesc.
    cut.write_bytes(full[:0x98000])
    status, out, err = run(capsys, s("pc-7.2"), str(cut), "--ignore-volatile")
    assert status == 1
    assert len(err.splitlines()) == 1 and "cut.bin: offset 0x" in err
    assert "has no vmdesc of its own: decoded with the vmdesc of" in out
    assert "sections of A come after the point where B stopped, not compared" in out
    # What B did send still compares field by field...
    assert "~ apic[0]/spurious_vec  0xff → 0x1ff" in out
    # ...cpu[0] too: A's vmdesc does not describe B's msr_smi_count subsection, so the decoder
    # fits the layout to the footer, and the subsection shows as sent by B only.
    assert "+ cpu[0]/cpu/msr_smi_count  subsection only in B (version 1)" in out
    assert "~ cpu[0]/env.eip  0xfff0 → 0xb7b9" in out
    assert "only in A" not in out
