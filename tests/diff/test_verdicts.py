"""``vmdiff A B`` gives the verdicts with B as the destination by default, on real sample pairs.

Exit statuses: 3 when the destination would refuse A or drop state, else 1 if anything
differs, else 0; ``--no-check`` gives the pure comparison (test_cli.py).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.conftest import sample_path
from tests.diff.test_cli import run, s

NIC_ROM_FAILURE = (
    "would FAIL at ram/0000:00:02.0/e1000.rom: "
    'Unknown ramblock "0000:00:02.0/e1000.rom", cannot accept migration'
)


def test_missing_nic_rom_fails_with_exit_3(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, err = run(capsys, s("pc-7.2-e1000"), s("pc-7.2-rtl8139"), "--ignore-volatile")
    assert status == 3 and err == ""
    lines = out.splitlines()
    summary = lines.index(
        "1 section only in A, 1 section only in B, 1 RAM block only in A, "
        "1 RAM block only in B (3 ignored)"
    )
    # The differences come first, then B as the destination: headline, QEMU's lines, rejects.
    assert lines.index("- ram/0000:00:02.0/e1000.rom  RAM block only in A (256 KiB)") < summary
    assert lines[summary + 2] == f"{s('pc-7.2-e1000')} → QEMU 7.2, pc-i440fx-7.2, tcg"
    assert lines[summary + 3] == NIC_ROM_FAILURE
    assert "verdicts (47 accept, 2 reject)" in lines
    rejects = [line.split(":")[0].split() for line in lines if line.startswith("  reject ")]
    assert rejects == [["reject", "ram/0000"], ["reject", "0000"]]
    assert "  0000:00:02.0/rtl8139[0]: only the destination has section" in out
    # The brief form: no accepted verdict is listed.
    assert not [line for line in lines if line.lstrip().startswith("accept ")]


def test_same_configuration_succeeds_with_exit_0_once_volatile_values_are_ignored(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, s("pc-7.2"), s("pc-7.2-again"), "--ignore-volatile")
    assert status == 0
    assert "no differences (3 ignored)\n\n" in out
    assert "\nwould SUCCEED\n\nverdicts (47 accept)\n" in out
    status, out, _ = run(capsys, s("pc-7.2"), s("pc-7.2-again"))
    assert status == 1 and "\nwould SUCCEED\n" in out


def test_extra_nic_on_the_destination_succeeds_with_warnings_and_exit_1(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(capsys, s("pc-7.2"), s("pc-7.2-e1000"), "--ignore-volatile")
    assert status == 1
    assert "\nwould SUCCEED\n" in out and "reject" not in out
    warnings = out.split("only on the destination (not errors: they keep their reset state)\n")[1]
    assert [line.split(":")[0] for line in warnings.splitlines()[:2]] == [
        "  ram/0000",
        "  0000",
    ]
    assert "e1000.rom (0x40000 bytes); it keeps its initial contents" in warnings


def test_check_is_accepted_and_changes_nothing(capsys: pytest.CaptureFixture[str]) -> None:
    pair = (s("pc-7.2-kvm"), s("pc-7.2"), "--ignore-volatile")
    default = run(capsys, *pair)
    assert default[0] == 3 and "would FAIL at kvmclock[0]: Unknown savevm section" in default[1]
    assert run(capsys, *pair, "--check") == default


def test_no_check_is_the_pure_comparison(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, s("pc-7.2-e1000"), s("pc-7.2-rtl8139"), "--no-check")
    assert status == 1
    assert "would" not in out and "verdicts" not in out
    assert out.splitlines()[-1].startswith("1 section only in A, 1 section only in B")
    with pytest.raises(SystemExit) as usage:
        run(capsys, s("pc-7.2"), s("pc-7.2"), "--no-check", "--check")
    assert usage.value.code == 2 and "not allowed with argument" in capsys.readouterr().err


def test_stat_gives_the_headline_and_the_counts(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, s("pc-7.2"), s("q35-7.2"), "--stat")
    assert status == 3
    assert out.splitlines()[-3:] == [
        f"{s('pc-7.2')} → QEMU 7.2, pc-q35-7.2, tcg",
        "would FAIL at configuration/machine_type: "
        "Machine type received is 'pc-i440fx-7.2' and local is 'pc-q35-7.2'",
        "verdicts (39 accept, 7 reject); 4 only on the destination",
    ]


def test_json_carries_the_verdicts_as_check(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(
        capsys, s("pc-7.2-e1000"), s("pc-7.2-rtl8139"), "--ignore-volatile", "--json"
    )
    document = json.loads(out)
    assert status == 3
    assert document["format"] == "vmdiff.diff/1" and document["summary"]["differences"] == 4
    check = document["check"]
    assert (check["format"], check["outcome"]) == ("vmdiff.verdicts/1", "fail")
    assert check["first_failure"]["path"] == "ram/0000:00:02.0/e1000.rom"
    assert check["first_failure"]["message"] == (
        'Unknown ramblock "0000:00:02.0/e1000.rom", cannot accept migration'
    )
    assert check["destination_built_from"][0].startswith(f"capture {s('pc-7.2-rtl8139')}")
    assert len(check["verdicts"]) == 49
    assert [w["path"] for w in check["warnings"]] == [
        "ram/0000:00:02.0/rtl8139.rom",
        "0000:00:02.0/rtl8139[0]",
    ]


def test_markdown_adds_the_verdicts_under_their_own_heading(
    capsys: pytest.CaptureFixture[str],
) -> None:
    status, out, _ = run(
        capsys, s("pc-7.2-e1000"), s("pc-7.2-rtl8139"), "--ignore-volatile", "--format", "markdown"
    )
    assert status == 3
    comparison, verdicts = out.split(f"\n### `{s('pc-7.2-e1000')}` → QEMU 7.2, pc-i440fx-7.2")
    assert comparison.startswith("### vmdiff\n")
    assert "| - | `ram/0000:00:02.0/e1000.rom` | RAM block only in A |" in comparison
    assert "verdicts (47 accept, 2 reject); 2 only on the destination" in verdicts
    assert "| reject | `ram/0000:00:02.0/e1000.rom` |" in verdicts
    assert "| accept |" not in verdicts
    status, out, _ = run(
        capsys, s("pc-7.2"), s("pc-7.2-again"), "--ignore-volatile", "--format", "markdown"
    )
    # Everything accepted: the counts, and no empty table.
    assert status == 0
    assert "**would SUCCEED**\n\nverdicts (47 accept)\n" in out and "| verdict |" not in out


def test_cut_b_cannot_stand_for_the_destination(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cut = tmp_path / "cut.bin"
    cut.write_bytes(sample_path("pc-7.2-running").read_bytes()[:0x98000])
    status, out, _ = run(capsys, s("pc-7.2"), str(cut), "--ignore-volatile", "--json")
    document = json.loads(out)
    assert status == 1
    assert document["check"] is None
    assert document["notes"][-1].startswith("no verdicts: B stops at a fault")


def test_cut_a_would_fail_where_its_data_ends(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    cut = tmp_path / "cut.bin"
    cut.write_bytes(sample_path("pc-7.2").read_bytes()[:300_000])
    status, out, err = run(capsys, str(cut), s("pc-7.2"), "--stat")
    assert status == 3 and "cut.bin: offset 0x493d6" in err
    assert "would FAIL at offset 0x493d6: load of migration failed: Input/output error" in out
    assert run(capsys, str(cut), s("pc-7.2"), "--stat", "--no-check")[0] == 0


def test_profile_as_b_is_checked_and_can_drop_state(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    profile = tmp_path / "dest.json"
    assert run(capsys, "profile", "build", "--capture", s("pc-7.2"), "-o", str(profile))[0] == 0
    document = json.loads(profile.read_text())
    del document["vmsds"]["fw_cfg"]["subsections"]["fw_cfg/acpi_mr"]
    document["vmsds"]["fw_cfg"]["subsections_complete"] = True
    profile.write_text(json.dumps(document))
    status, out, _ = run(capsys, s("pc-7.2"), str(profile), "--stat")
    assert status == 3
    assert out.splitlines()[1].startswith("would FAIL at fw_cfg[0]/fw_cfg/acpi_mr")
    status, out, _ = run(capsys, s("pc-7.2"), str(profile), "--allow-ignore", "fw_cfg/acpi_mr")
    assert status == 3
    lines = out.splitlines()
    assert lines[1] == "would SUCCEED, 1 subsection silently dropped"
    assert lines[4].startswith("  ignore   fw_cfg[0]/fw_cfg/acpi_mr: ")
    status, out, _ = run(capsys, s("pc-7.2"), str(profile), "--json")
    assert status == 3 and json.loads(out)["format"] == "vmdiff.verdicts/1"


@pytest.mark.parametrize(
    ("args", "error"),
    [
        (("--no-check",), "is a destination profile or a -dump-vmstate file, not a capture"),
        (("--no-check", "--qemu-version", "7.2"), "are for the verdicts: drop --no-check"),
    ],
)
def test_options_that_need_the_verdicts_refuse_no_check(
    capsys: pytest.CaptureFixture[str], args: tuple[str, ...], error: str
) -> None:
    dump = str(sample_path("dump-7.2-pc-i440fx-7.2"))
    b = dump if "--qemu-version" not in args else s("pc-7.2")
    status, out, err = run(capsys, s("pc-7.2"), b, *args)
    assert status == 2 and out == ""
    assert error in err and len(err.splitlines()) == 1


def test_qemu_version_replaces_what_b_only_suggests(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, s("pc-7.2-on-10.0"), s("pc-7.2"))
    assert status == 1
    assert "→ QEMU 7.2, pc-i440fx-7.2, tcg" in out and "say --qemu-version" in out
    status, out, _ = run(capsys, s("pc-7.2-on-10.0"), s("pc-7.2"), "--qemu-version", "10.0")
    assert status == 1
    assert "→ QEMU 10.0, pc-i440fx-7.2, tcg" in out and "say --qemu-version" not in out
