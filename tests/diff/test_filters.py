"""--ignore and --section globs: brackets are literal, a match covers what lies beneath."""

from __future__ import annotations

import pytest

from tests.diff.helpers import diff_samples
from vmdiff.diff.filters import path_matches
from vmdiff.diff.volatile import VOLATILE, VOLATILE_BYTES


@pytest.mark.parametrize(
    ("path", "pattern", "expected"),
    [
        ("cpu[0]/env.eip", "cpu[0]/env.eip", True),
        ("cpu[0]/env.eip", "cpu[0]", True),
        ("cpu[0]/env.eip", "cpu[*]/env.e?p", True),
        ("cpu[0]/env.eip", "cpu0/env.eip", False),
        ("cpu[1]/env.eip", "cpu[0]", False),
        ("cpu[0]/env.eip2", "cpu[0]/env.eip", False),
        ("ram//rom@etc/acpi/tables", "ram/*", True),
        ("cpu_common[0]", "cpu", False),
        ("mc146818rtc[0]/update_timer", "*timer", True),
    ],
)
def test_path_matches(path: str, pattern: str, expected: bool) -> None:
    assert path_matches(path, pattern) is expected


def test_ignore_counts_what_it_drops() -> None:
    full = diff_samples("pc-7.2", "q35-7.2")
    result = diff_samples("pc-7.2", "q35-7.2", ignore=("hpet[*]", "ram/*"))
    dropped = {d.path for d in full.differences} - {d.path for d in result.differences}
    assert dropped == {
        "hpet[0]/timer[0]/config",
        "hpet[0]/timer[1]/config",
        "hpet[0]/timer[2]/config",
        "ram//rom@etc/acpi/tables",
        "ram//rom@etc/table-loader",
        "ram//rom@etc/acpi/rsdp",
    }
    assert result.ignored == len(dropped)


def test_sections_limits_the_comparison() -> None:
    result = diff_samples("pc-7.2", "q35-7.2", sections=("0000:00:*",))
    assert {d.group for d in result.differences} == {
        "0000:00:00.0/I440FX[0]",
        "0000:00:00.0/mch[0]",
        "0000:00:01.0/PIIX3[0]",
        "0000:00:01.1/ide[0]",
        "0000:00:01.3/piix4_pm[0]",
        "0000:00:1f.0/ICH9LPC[0]",
        "0000:00:1f.2/ich9_ahci[0]",
        "0000:00:1f.3/ich9_smb[0]",
    }
    assert result.ignored == 0


def test_volatile_cmos_bytes_only_hide_the_clock() -> None:
    # -m 128 changes the CMOS memory-size bytes, which --ignore-volatile keeps.
    result = diff_samples("pc-7.2", "pc-7.2-m128", ignore_volatile=True)
    (cmos,) = result.get("mc146818rtc[0]/cmos_data")
    assert cmos.offset == 0x17
    assert all(0x17 not in v.byte_offsets for v in VOLATILE_BYTES)


def test_volatile_list_is_documented_in_the_readme() -> None:
    from tests.conftest import ROOT

    readme = (ROOT / "README.md").read_text()
    for volatile in VOLATILE:
        assert f"`{volatile.pattern}`" in readme, volatile.pattern
