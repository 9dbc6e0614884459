"""``vmdiff profile --probe-host`` against this machine's /dev/kvm (skips without KVM)."""

from __future__ import annotations

import json

import pytest

from tests.conftest import sample_path
from vmdiff.cli import main
from vmdiff.compat import ProfileError
from vmdiff.compat.host_probe import probe_host
from vmdiff.compat.knowledge import x86_knowledge
from vmdiff.qemu import kvm_available

needs_kvm = pytest.mark.skipif(not kvm_available(), reason="/dev/kvm is not usable here")
MSR_IA32_TSC = 0x10  # every KVM lists the TSC


@needs_kvm
def test_probe_reads_msrs_capabilities_and_tsc() -> None:
    host = probe_host()
    assert host.msrs is not None and MSR_IA32_TSC in host.msrs
    assert set(host.kvm_caps) == set(x86_knowledge().kvm_caps)
    assert host.kvm_caps["KVM_CAP_XSAVE"] > 0
    assert host.tsc_khz is None or 100_000 < host.tsc_khz < 10_000_000
    assert "KVM_GET_MSR_INDEX_LIST" in host.source


@needs_kvm
def test_probe_host_profile_decides_msr_subsections(
    capsys: pytest.CaptureFixture[str], tmp_path: pytest.TempPathFactory
) -> None:
    profile = tmp_path / "host.json"  # type: ignore[operator]
    assert main(["profile", "--probe-host", "-o", str(profile)]) == 0
    capsys.readouterr()
    document = json.loads(profile.read_text())
    assert document["accel"]["value"] == "kvm"
    assert hex(MSR_IA32_TSC) in document["host"]["msrs"]
    status = main(
        [
            "check",
            str(sample_path("pc-7.2-running")),
            "--dest",
            str(sample_path("pc-7.2-kvm")),
            "--dest",
            str(profile),
            "--json",
        ]
    )
    verdicts = {v["path"]: v for v in json.loads(capsys.readouterr().out)["verdicts"]}
    smi = verdicts["cpu[0]/cpu/msr_smi_count"]
    listed = "0x34" in document["host"]["msrs"]
    assert smi["verdict"] == ("accept" if listed else "ignore")
    assert status in (1, 3)


def test_probe_without_kvm_device_is_a_clear_error() -> None:
    with pytest.raises(ProfileError, match="/nonexistent/kvm: cannot open"):
        probe_host("/nonexistent/kvm")
