"""``vmdiff check`` and ``vmdiff profile`` end to end on the samples: formats and exit statuses."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import sample_path
from vmdiff.cli import main
from vmdiff.qemu import find_qemu

Run = tuple[int, str, str]


def run(capsys: pytest.CaptureFixture[str], *args: str) -> Run:
    status = main(["--color", "never", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def s(name: str) -> str:
    return str(sample_path(name))


def test_check_exit_3_and_names_the_failure(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", s("pc-7.2-e1000"), "--dest", s("pc-7.2"))
    assert status == 3
    lines = out.splitlines()
    assert lines[1] == (
        'would FAIL at ram/0000:00:02.0/e1000.rom: Unknown ramblock "0000:00:02.0/e1000.rom", '
        "cannot accept migration"
    )
    assert "    error while loading state for instance 0x0 of device 'ram'" in lines


def test_check_exit_0_when_nothing_differs(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", s("pc-7.2"), "--dest", s("pc-7.2-again"), "--brief")
    assert status == 0
    assert out.splitlines()[1] == "would SUCCEED"
    assert "accept " not in out


def test_check_exit_1_for_destination_only_parts(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", s("pc-7.2"), "--dest", s("pc-7.2-e1000"))
    assert status == 1
    assert "only the destination has RAM block 0000:00:02.0/e1000.rom" in out


def test_check_json_follows_the_verdicts_schema(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "check", s("pc-7.2-kvm"), "--dest", s("pc-7.2"), "--json")
    document = json.loads(out)
    assert status == 3
    assert document["format"] == "vmdiff.verdicts/1"
    assert document["outcome"] == "fail"
    assert document["first_failure"]["path"] == "kvmclock[0]"
    assert document["first_failure"]["message"].startswith(
        "Unknown savevm section or instance 'kvmclock' 0."
    )
    verdict = document["verdicts"][0]
    assert {"path", "verdict", "reason", "message"} <= set(verdict)
    assert [v["verdict"] for v in document["verdicts"]].count("reject") == 1


def test_check_markdown_table(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "check", s("pc-7.2-m128"), "--dest", s("pc-7.2"), "--format", "markdown", "--brief"
    )
    assert status == 3
    assert "**would FAIL at ram/pc.ram: Size mismatch: pc.ram: 0x8000000 != 0x4000000" in out
    assert "| reject | `ram/pc.ram` |" in out


def test_check_allow_ignore_turns_a_drop_into_exit_3_not_a_failure(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    profile = tmp_path / "dest.json"
    status, _, _ = run(capsys, "profile", "build", "--capture", s("pc-7.2"), "-o", str(profile))
    assert status == 0
    document = json.loads(profile.read_text())
    del document["vmsds"]["fw_cfg"]["subsections"]["fw_cfg/acpi_mr"]
    document["vmsds"]["fw_cfg"]["subsections_complete"] = True
    profile.write_text(json.dumps(document))
    status, out, _ = run(capsys, "check", s("pc-7.2"), "--dest", str(profile), "--brief")
    assert status == 3 and "would FAIL at fw_cfg[0]/fw_cfg/acpi_mr" in out
    status, out, _ = run(
        capsys, "check", s("pc-7.2"), "--dest", str(profile), "--allow-ignore", "fw_cfg/acpi_mr"
    )
    assert status == 3
    assert "would SUCCEED, 1 subsection silently dropped" in out


def test_profile_build_round_trips_through_check(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out_file = tmp_path / "p.json"
    status, _, err = run(
        capsys,
        "profile",
        "build",
        "--capture",
        s("pc-7.2"),
        "--dump",
        s("dump-7.2-pc-i440fx-7.2"),
        "-o",
        str(out_file),
    )
    assert status == 0 and "QEMU 7.2, pc-i440fx-7.2, tcg" in err
    direct = run(capsys, "check", s("pc-7.2-e1000"), "--dest", s("pc-7.2"), "--json")
    via = run(capsys, "check", s("pc-7.2-e1000"), "--dest", str(out_file), "--json")
    assert json.loads(direct[1])["first_failure"] == json.loads(via[1])["first_failure"]


def test_profile_qemu_version_overrides_the_guess(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, "profile", "build", "--dump", s("dump-7.2-pc-i440fx-7.2"), "--qemu-version", "10.0"
    )
    assert status == 0
    assert json.loads(out)["qemu_version"] == {"value": "10.0", "source": "--qemu-version"}


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("profile",), "nothing to build from"),
        (("profile", "--capture", "x.bin"), "say 'vmdiff profile build'"),
        (("profile", "frobnicate"), "unexpected arguments 'frobnicate'"),
        (("profile", "--qemu", "7.2"), "--qemu needs the destination's QEMU arguments"),
    ],
)
def test_profile_usage_errors_exit_2(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], error: str
) -> None:
    status, _, err = run(capsys, *args)
    assert status == 2 and error in err


def test_check_bad_destination_is_one_line_and_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    bad = tmp_path / "dest.json"
    bad.write_text('{"format": "vmdiff.profile/1", "machine_type": {"value": 7, "source": "me"}}')
    status, out, err = run(capsys, "check", s("pc-7.2"), "--dest", str(bad))
    assert status == 2 and out == ""
    assert err.strip() == f"vmdiff: {bad}: machine_type.value: expected str, found 7"


def test_diff_check_adds_verdicts_for_b_as_destination(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, s("pc-7.2-kvm"), s("pc-7.2"), "--ignore-volatile", "--check")
    assert status == 3
    assert "1 section only in A" in out
    assert "would FAIL at kvmclock[0]: Unknown savevm section or instance 'kvmclock' 0." in out
    status, out, _ = run(capsys, s("pc-7.2"), s("pc-7.2-again"), "--check", "--json")
    document = json.loads(out)
    assert status == 1
    assert (document["format"], document["check"]["format"]) == (
        "vmdiff.diff/1",
        "vmdiff.verdicts/1",
    )
    assert document["check"]["outcome"] == "succeed"


def test_diff_with_a_profile_as_b_only_checks(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    profile = tmp_path / "dest"
    run(capsys, "profile", "build", "--capture", s("pc-7.2"), "-o", str(profile))
    status, out, _ = run(capsys, s("pc-7.2-m128"), str(profile))
    assert status == 3
    assert out.splitlines()[1].startswith("would FAIL at ram/pc.ram: Size mismatch")


def test_check_cut_short_stream_fails_where_the_data_ends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cut = tmp_path / "cut.bin"
    cut.write_bytes(sample_path("pc-7.2").read_bytes()[:300_000])
    status, out, err = run(capsys, "check", str(cut), "--dest", s("pc-7.2"), "--json")
    document = json.loads(out)
    assert status == 2 and "offset 0x493d6" in err
    assert document["first_failure"]["path"] == "offset 0x493d6"
    assert document["first_failure"]["message"] == "load of migration failed: Input/output error"
    assert document["warnings"] == []


def test_check_refuses_junk_and_cut_destinations(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"not a stream at all\n" * 3)
    status, out, err = run(capsys, "check", str(junk), "--dest", s("pc-7.2"))
    assert status == 2 and out == "" and "not a QEMU migration stream" in err
    cut = tmp_path / "cut.bin"
    cut.write_bytes(sample_path("pc-7.2").read_bytes()[:300_000])
    status, out, err = run(capsys, "check", s("pc-7.2"), "--dest", str(cut))
    assert status == 2 and out == ""
    assert "the capture stops at a fault" in err and len(err.splitlines()) == 1


def test_profile_by_running_the_destination_qemu(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    if find_qemu("10.0") is None:
        pytest.skip("QEMU 10.0 not installed: run tools/install-qemu.sh")
    out_file = tmp_path / "dest.json"
    args = ["-M", "pc-i440fx-7.2", "-m", "64", "-accel", "tcg"]
    status, _, err = run(capsys, "profile", "--qemu", "10.0", "-o", str(out_file), "--", *args)
    assert status == 0 and "QEMU 10.0, pc-i440fx-7.2, tcg" in err
    document = json.loads(out_file.read_text())
    assert document["qemu_version"]["value"] == "10.0"
    assert "hpet[0]" in document["sections"]["sections"]
    assert document["vmsds"]["hpet"]["minimum_version_id"] == 1
    status, out, _ = run(capsys, "check", s("pc-7.2"), "--dest", str(out_file), "--brief")
    assert status == 0 and out.splitlines()[1] == "would SUCCEED"
