"""check() on the real samples: (source, destination profile) → outcome, first failure, verdicts.

The expected messages are the ones real QEMU printed for the same pairs (see test_oracle.py,
which runs the loads); the profile mutations stand for destinations no sample captures.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import pytest

from tests.compat.helpers import check_sample, sample_profile
from tests.conftest import decoded_sample, sample_path
from vmdiff.compat import DestinationProfile, Outcome, VerdictKind, check
from vmdiff.compat.destination import Destination
from vmdiff.compat.profile import (
    CheckedField,
    Fact,
    HostFacts,
    SectionFact,
    SubsectionFact,
    VersionRange,
)
from vmdiff.compat.rules.host import restore_verdict
from vmdiff.decode import decode_bytes

Mutation = Callable[[DestinationProfile], DestinationProfile]
HOST_MSRS = frozenset({0x10, 0x3B, 0x6E0, 0x1A0, 0x34, 0xC0010015})


@dataclass(frozen=True)
class Case:
    """One row: a source sample, the destination and what vmdiff must say."""

    id: str
    source: str
    dest: tuple[str, ...]
    outcome: Outcome
    failure_path: str | None = None
    failure_message: str | None = None
    mutate: Mutation | None = None
    qemu_version: str | None = None


def _without_msr(msr: int) -> Mutation:
    def mutate(profile: DestinationProfile) -> DestinationProfile:
        caps = {"KVM_CAP_TSC_CONTROL": 0}
        profile.host = HostFacts("test host", HOST_MSRS - {msr}, caps, tsc_khz=None)
        return profile

    return mutate


def _host(msrs: frozenset[int], tsc_khz: int | None, tsc_control: int) -> Mutation:
    def mutate(profile: DestinationProfile) -> DestinationProfile:
        profile.host = HostFacts("test host", msrs, {"KVM_CAP_TSC_CONTROL": tsc_control}, tsc_khz)
        return profile

    return mutate


def _pci_device_id(value: int) -> Mutation:
    path = "0000:00:02.0/e1000[0]/parent_obj/config[0]"

    def mutate(profile: DestinationProfile) -> DestinationProfile:
        assert profile.checked_fields is not None
        fields = dict(profile.checked_fields.value)
        config = bytearray(fields[path].value)
        config[2] = value
        fields[path] = CheckedField(path, "pci config", bytes(config))
        profile.checked_fields = Fact(fields, "test: e1000-82545em's device ID")
        return profile

    return mutate


def _section_version(path: str, version: int, minimum: int | None) -> Mutation:
    def mutate(profile: DestinationProfile) -> DestinationProfile:
        assert profile.sections is not None
        sections = dict(profile.sections.value)
        old = sections[path]
        sections[path] = replace(old, version_id=version)
        profile.sections = Fact(sections, "test")
        vmsd = profile.vmsds[old.vmsd or old.idstr]
        profile.vmsds[vmsd.name] = replace(vmsd, versions=(VersionRange(version, minimum),))
        return profile

    return mutate


def _forget_subsection(vmsd: str, name: str, allow: bool = False) -> Mutation:
    def mutate(profile: DestinationProfile) -> DestinationProfile:
        fact = profile.vmsds[vmsd]
        subs = {k: v for k, v in fact.subsections.items() if k != name}
        profile.vmsds[vmsd] = replace(fact, subsections=subs, subsections_complete=True)
        if allow:
            profile.allow_ignore = Fact(frozenset({name}), "test operator")
        return profile

    return mutate


def _subsection_version(vmsd: str, name: str, version: int) -> Mutation:
    def mutate(profile: DestinationProfile) -> DestinationProfile:
        fact = profile.vmsds[vmsd]
        subs = dict(fact.subsections)
        subs[name] = SubsectionFact(version, 1)
        profile.vmsds[vmsd] = replace(fact, subsections=subs)
        return profile

    return mutate


def _array_length(path: str, length: int) -> Mutation:
    def mutate(profile: DestinationProfile) -> DestinationProfile:
        assert profile.array_lengths is not None
        arrays = dict(profile.array_lengths.value)
        arrays[path] = replace(arrays[path], length=length)
        profile.array_lengths = Fact(arrays, "test")
        return profile

    return mutate


def _machine(machine: str) -> Mutation:
    def mutate(profile: DestinationProfile) -> DestinationProfile:
        profile.machine_type = Fact(machine, "test")
        return profile

    return mutate


def _uuid(value: str | None) -> Mutation:
    def mutate(profile: DestinationProfile) -> DestinationProfile:
        profile.uuid = Fact(value, "test")
        return profile

    return mutate


def _nested_kvm(profile: DestinationProfile) -> DestinationProfile:
    profile.host = HostFacts("test host", HOST_MSRS, {"KVM_CAP_NESTED_STATE": 0})
    return profile


UNKNOWN_RAMBLOCK = 'Unknown ramblock "0000:00:02.0/e1000.rom", cannot accept migration'
KVMCLOCK = (
    "Unknown savevm section or instance 'kvmclock' 0. Make sure that your current VM setup "
    "matches your saved VM setup, including any hotplugged devices"
)
CASES = [
    Case("same configuration", "pc-7.2", ("pc-7.2-again",), Outcome.SUCCEED),
    Case(
        "missing NIC fails on its ROM block first",
        "pc-7.2-e1000",
        ("pc-7.2", "dump-7.2-pc-i440fx-7.2"),
        Outcome.FAIL,
        "ram/0000:00:02.0/e1000.rom",
        UNKNOWN_RAMBLOCK,
    ),
    Case("extra NIC is only a warning", "pc-7.2", ("pc-7.2-e1000",), Outcome.SUCCEED),
    Case(
        "NIC model change",
        "pc-7.2-rtl8139",
        ("pc-7.2-e1000",),
        Outcome.FAIL,
        "ram/0000:00:02.0/rtl8139.rom",
        'Unknown ramblock "0000:00:02.0/rtl8139.rom", cannot accept migration',
    ),
    Case(
        "more RAM",
        "pc-7.2-m128",
        ("pc-7.2",),
        Outcome.FAIL,
        "ram/pc.ram",
        "Size mismatch: pc.ram: 0x8000000 != 0x4000000: Invalid argument",
    ),
    Case(
        "less RAM",
        "pc-7.2",
        ("pc-7.2-m128",),
        Outcome.FAIL,
        "ram/pc.ram",
        "Size mismatch: pc.ram: 0x4000000 != 0x8000000: Invalid argument",
    ),
    Case("KVM into TCG", "pc-7.2-kvm", ("pc-7.2",), Outcome.FAIL, "kvmclock[0]", KVMCLOCK),
    Case(
        "10.0 default machine into 7.2",
        "pc-10.0",
        ("pc-7.2", "dump-7.2-pc-i440fx-7.2"),
        Outcome.FAIL,
        "configuration/machine_type",
        "Machine type received is 'pc-i440fx-10.0' and local is 'pc-i440fx-7.2'",
    ),
    Case(
        "7.2 default machine into 10.0",
        "pc-7.2",
        ("pc-10.0",),
        Outcome.FAIL,
        "configuration/machine_type",
        "Machine type received is 'pc-i440fx-7.2' and local is 'pc-i440fx-10.0'",
    ),
    Case("7.2 into 10.0 on pc-i440fx-7.2", "pc-7.2", ("pc-7.2-on-10.0",), Outcome.SUCCEED),
    Case("10.0 on pc-i440fx-7.2 into 7.2", "pc-7.2-on-10.0", ("pc-7.2",), Outcome.SUCCEED),
    Case(
        "x-ignore-shared source, plain destination",
        "pc-10.0-ignore-shared",
        ("pc-10.0",),
        Outcome.FAIL,
        "configuration/capabilities",
        "Capability x-ignore-shared is off, but received capability is on",
    ),
    Case(
        "plain source, x-ignore-shared destination",
        "pc-10.0",
        ("pc-10.0-ignore-shared",),
        Outcome.FAIL,
        "configuration/capabilities",
        "Capability x-ignore-shared is on, but received capability is off",
    ),
    Case(
        "mapped-ram into 7.2, which has no such capability",
        "pc-10.0-mapped-ram",
        ("pc-7.2",),
        Outcome.FAIL,
        "configuration/capabilities",
        "Received unknown capability mapped-ram",
    ),
    Case(
        "mapped-ram into mapped-ram", "pc-10.0-mapped-ram", ("pc-10.0-mapped-ram",), Outcome.SUCCEED
    ),
    Case(
        "smi count into a kernel without MSR 0x34",
        "pc-7.2-running",
        ("pc-7.2-kvm",),
        Outcome.DROP,
        mutate=_without_msr(0x34),
    ),
    Case(
        "TSC frequency a host without TSC scaling cannot give back",
        "pc-7.2-kvm",
        ("pc-7.2-kvm",),
        Outcome.DROP,
        mutate=_host(HOST_MSRS, tsc_khz=1_000_000, tsc_control=0),
    ),
    Case(
        "TSC scaling restores any frequency",
        "pc-7.2-kvm",
        ("pc-7.2-kvm",),
        Outcome.SUCCEED,
        mutate=_host(HOST_MSRS, tsc_khz=1_000_000, tsc_control=1),
    ),
    Case(
        "e1000 into e1000-82545em (device ID 0x100f)",
        "pc-7.2-e1000",
        ("pc-7.2-e1000",),
        Outcome.FAIL,
        "0000:00:02.0/e1000[0]/parent_obj/config[0]",
        "get_pci_config_device: Bad config data: i=0x2 read: e device: f cmask: ff wmask: 0 "
        "w1cmask:0",
        mutate=_pci_device_id(0x0F),
    ),
    Case(
        "section newer than the destination's",
        "pc-7.2",
        ("pc-7.2",),
        Outcome.FAIL,
        "cpu[0]",
        "savevm: unsupported version 12 for 'cpu' v11",
        mutate=_section_version("cpu[0]", 11, 10),
    ),
    Case(
        "section older than the destination's minimum",
        "pc-7.2",
        ("pc-7.2",),
        Outcome.FAIL,
        "cpu[0]",
        "cpu: incoming version_id 12 is too old for local minimum version_id  13",
        mutate=_section_version("cpu[0]", 14, 13),
    ),
    Case(
        "unknown subsection: QEMU names nothing, vmdiff names it",
        "pc-7.2",
        ("pc-7.2",),
        Outcome.FAIL,
        "fw_cfg[0]/fw_cfg/acpi_mr",
        "error while loading state for instance 0x0 of device 'fw_cfg'",
        mutate=_forget_subsection("fw_cfg", "fw_cfg/acpi_mr"),
    ),
    Case(
        "unknown subsection the operator allows to drop",
        "pc-7.2",
        ("pc-7.2",),
        Outcome.DROP,
        mutate=_forget_subsection("fw_cfg", "fw_cfg/acpi_mr", allow=True),
    ),
    Case(
        "subsection newer than the destination's",
        "pc-7.2",
        ("pc-7.2",),
        Outcome.FAIL,
        "fw_cfg[0]/fw_cfg/acpi_mr",
        "fw_cfg/acpi_mr: incoming version_id 1 is too new for local version_id 0",
        mutate=_subsection_version("fw_cfg", "fw_cfg/acpi_mr", 0),
    ),
    Case(
        "3 hpet timers into 5 on 7.2: the count travels in num_timers",
        "pc-7.2",
        ("pc-7.2",),
        Outcome.SUCCEED,
        mutate=_array_length("hpet[0]/timer", 5),
    ),
    Case(
        "3 hpet timers into 5 on 10.0, which validates the count",
        "pc-7.2",
        ("pc-7.2-on-10.0",),
        Outcome.FAIL,
        "hpet[0]/num_timers",
        "Input validation failed: hpet/num_timers must match",
        mutate=_array_length("hpet[0]/timer", 5),
    ),
    Case(
        "fewer MTRRs than the source, counted by the destination",
        "pc-7.2",
        ("pc-7.2",),
        Outcome.FAIL,
        "cpu[0]/env.mtrr_var",
        "Missing section footer for cpu",
        mutate=_array_length("cpu[0]/env.mtrr_var", 4),
    ),
    Case(
        "SWITCHOVER_START into 7.2",
        "pc-10.0",
        ("pc-7.2",),
        Outcome.FAIL,
        "command/switchover_start",
        "MIG_CMD 0xb unknown (len 0x0)",
        mutate=_machine("pc-i440fx-10.0"),
    ),
    Case(
        "UUIDs differ",
        "pc-10.0-ignore-shared",
        ("pc-10.0-ignore-shared",),
        Outcome.FAIL,
        "configuration/uuid",
        "UUID received is 12345678-1234-5678-1234-567812345678 and local is "
        "87654321-1234-5678-1234-567812345678",
        mutate=_uuid("87654321-1234-5678-1234-567812345678"),
    ),
    Case(
        "destination without a UUID only warns",
        "pc-10.0-ignore-shared",
        ("pc-10.0-ignore-shared",),
        Outcome.SUCCEED,
        mutate=_uuid(None),
    ),
    Case(
        "only a dump: the devices are not known",
        "pc-7.2",
        ("dump-7.2-pc-i440fx-7.2",),
        Outcome.UNKNOWN,
    ),
]


@pytest.mark.parametrize("case", CASES, ids=[c.id for c in CASES])
def test_check_predicts_outcome_and_first_failure(case: Case) -> None:
    profile = sample_profile(*case.dest, qemu_version=case.qemu_version)
    if case.mutate is not None:
        profile = case.mutate(profile)
    result = check_sample(case.source, profile)
    assert result.outcome is case.outcome, result.headline
    failure = result.first_failure
    if case.failure_path is None:
        assert failure is None
    else:
        assert failure is not None
        assert (failure.path, failure.qemu_message) == (case.failure_path, case.failure_message)
        assert result.headline.startswith(f"would FAIL at {case.failure_path}: ")


def test_check_predicts_the_assertion_when_the_destination_has_no_buffer() -> None:
    # The count travels in num_timers, but this destination holds no timers at all.
    profile = _array_length("hpet[0]/timer", 0)(sample_profile("pc-7.2"))
    result = check_sample("pc-7.2", profile)
    failure = result.first_failure
    assert failure is not None and failure.crash and failure.predicted
    assert failure.qemu_messages == (
        "vmstate_load_state: Assertion `first_elem || !n_elems || !size' failed.",
    )
    assert result.headline == "would FAIL at hpet[0]/timer: the destination QEMU would abort"


def test_check_names_the_missing_msr_of_a_dropped_subsection() -> None:
    profile = _without_msr(0x34)(sample_profile("pc-7.2-kvm"))
    result = check_sample("pc-7.2-running", profile)
    ignored = [v for v in result.verdicts if v.kind is VerdictKind.IGNORE]
    assert [v.path for v in ignored] == ["cpu[0]/cpu/msr_smi_count"]
    assert ignored[0].needs == "MSR 0x34 (MSR_SMI_COUNT) in KVM_GET_MSR_INDEX_LIST"
    assert "x-migrate-smi-count=off" in ignored[0].reason
    assert result.headline == "would SUCCEED, 1 subsection silently dropped"


def test_check_accepts_smi_count_when_the_kernel_lists_the_msr() -> None:
    profile = _host(HOST_MSRS, None, 0)(sample_profile("pc-7.2-kvm"))
    result = check_sample("pc-7.2-running", profile)
    verdict = next(v for v in result.verdicts if v.path == "cpu[0]/cpu/msr_smi_count")
    assert verdict.kind is VerdictKind.ACCEPT
    assert "MSR 0x34" in verdict.reason


def test_check_leaves_msr_subsections_unknown_without_host_facts() -> None:
    result = check_sample("pc-7.2-running", sample_profile("pc-7.2-kvm"))
    verdict = next(v for v in result.verdicts if v.path == "cpu[0]/cpu/msr_smi_count")
    assert verdict.kind is VerdictKind.UNKNOWN
    assert verdict.needs is not None and "--probe-host" in verdict.needs


def test_check_reports_tcg_only_state_as_kept_under_tcg() -> None:
    result = check_sample("pc-7.2-running", sample_profile("pc-7.2"))
    verdict = next(v for v in result.verdicts if v.path == "cpu[0]/cpu/msr_smi_count")
    assert (verdict.kind, verdict.reason) == (VerdictKind.ACCEPT, "tcg keeps it in the CPU state")


def test_check_gives_the_full_qemu_output_of_an_unknown_subsection() -> None:
    profile = _forget_subsection("fw_cfg", "fw_cfg/acpi_mr")(sample_profile("pc-7.2"))
    failure = check_sample("pc-7.2", profile).first_failure
    assert failure is not None
    assert failure.qemu_messages == (
        "error while loading state for instance 0x0 of device 'fw_cfg'",
        "load of migration failed: No such file or directory",
    )
    assert "fw_cfg/acpi_mr" in failure.reason


def test_check_chains_field_messages_for_a_pci_config_mismatch() -> None:
    profile = _pci_device_id(0x0F)(sample_profile("pc-7.2-e1000"))
    failure = check_sample("pc-7.2-e1000", profile).first_failure
    assert failure is not None
    assert failure.qemu_messages[1:] == (
        "Failed to load PCIDevice:config",
        "Failed to load e1000:parent_obj",
        "error while loading state for instance 0x0 of device '0000:00:02.0/e1000'",
        "load of migration failed: Invalid argument",
    )


def test_check_warns_about_destination_only_parts() -> None:
    result = check_sample("pc-7.2", sample_profile("pc-7.2-e1000"))
    assert [w.path for w in result.warnings] == [
        "ram/0000:00:02.0/e1000.rom",
        "0000:00:02.0/e1000[0]",
    ]


def test_check_verdicts_follow_stream_order() -> None:
    result = check_sample("pc-7.2", sample_profile("pc-7.2-again"))
    paths = [v.path for v in result.verdicts]
    assert paths[:4] == [
        "configuration/machine_type",
        "configuration/target-page-bits",
        "configuration/capabilities",
        "ram[0]",
    ]
    assert paths.index("ram/pc.ram") < paths.index("timer[0]") < paths.index("cpu[0]")
    assert paths.index("cpu[0]") < paths.index("cpu[0]/cpu/poll_control_msr")
    assert paths[-1] == "globalstate[0]"


def test_host_rule_rejects_nested_state_without_the_capability() -> None:
    # No sample carries cpu/nested_state: rename a real cpu subsection to exercise the rule.
    cpu = decoded_sample("pc-7.2-kvm").find_section("cpu", 0)
    assert cpu is not None
    sub = replace(cpu.subsections[0], name="cpu/nested_state", path="cpu[0]/cpu/nested_state")
    dest = Destination.from_profile(_nested_kvm(sample_profile("pc-7.2-kvm")))
    vmsd = dest.vmsd("cpu")
    assert vmsd is not None
    verdict = restore_verdict(sub, vmsd, cpu, dest)
    assert verdict is not None and verdict.kind is VerdictKind.REJECT
    assert verdict.qemu_messages[0] == "Received nested state when kernel cannot restore it"
    assert verdict.qemu_messages[-2:] == (
        "error while loading state for instance 0x0 of device 'cpu'",
        "load of migration failed: Invalid argument",
    )


def test_check_knows_the_cpu_subsections_a_dump_lacks() -> None:
    result = check_sample("pc-7.2-running", sample_profile("pc-7.2", "dump-7.2-pc-i440fx-7.2"))
    verdict = next(v for v in result.verdicts if v.path == "cpu[0]/cpu/msr_smi_count")
    assert verdict.kind is VerdictKind.ACCEPT


def test_check_section_without_profile_sections_is_unknown_but_subsections_are_judged() -> None:
    profile = sample_profile("dump-7.2-pc-i440fx-7.2")
    profile.accel = Fact("tcg", "test")
    result = check_sample("pc-7.2", profile)
    by_path = {v.path: v for v in result.verdicts}
    assert by_path["cpu[0]"].kind is VerdictKind.UNKNOWN
    assert by_path["fw_cfg[0]/fw_cfg/acpi_mr"].kind is VerdictKind.ACCEPT
    assert by_path["cpu[0]/cpu/poll_control_msr"].kind is VerdictKind.ACCEPT


def test_check_unlisted_destination_section_is_rejected() -> None:
    profile = sample_profile("pc-7.2")
    assert profile.sections is not None
    sections = {k: v for k, v in profile.sections.value.items() if k != "hpet[0]"}
    sections["hpet[1]"] = SectionFact("hpet", 1, "hpet", 2)
    profile.sections = Fact(sections, "test")
    failure = check_sample("pc-7.2", profile).first_failure
    assert failure is not None and failure.path == "hpet[0]"


def test_check_without_device_list_still_rejects_a_version_no_vmsd_accepts() -> None:
    old = b"\x06fw_cfg" + bytes(4) + (2).to_bytes(4, "big")
    new = b"\x06fw_cfg" + bytes(4) + (99).to_bytes(4, "big")
    stream = decode_bytes(sample_path("pc-7.2").read_bytes().replace(old, new))
    result = check(stream, sample_profile("dump-7.2-pc-i440fx-7.2"))
    failure = result.first_failure
    assert failure is not None and failure.path == "fw_cfg[0]" and failure.predicted
    assert failure.qemu_message == "savevm: unsupported version 99 for 'fw_cfg' v2"
