"""The built-in knowledge files against their sources: real binaries, real captures, headers."""

from __future__ import annotations

import errno
import os
import re
import subprocess
from functools import cache
from pathlib import Path

import pytest

from tests.conftest import decoded_sample, stream_samples
from vmdiff.compat.knowledge import (
    KNOWN_VERSIONS,
    compat_applies,
    compat_properties,
    version_knowledge,
    x86_knowledge,
)
from vmdiff.model import Command
from vmdiff.qemu import find_qemu

KVM_HEADER = Path("/usr/include/linux/kvm.h")
# Parts QEMU adds around its printf formats: error_setg_errno's ": <strerror>", __func__ for %s.
MESSAGE_EDITS = {"pci_bad_config": ("get_pci_config_device", "{func}")}
ERRNO_SUFFIX = ": Invalid argument"


@cache
def binary_strings(version: str) -> frozenset[str]:
    """Every printable string of that QEMU binary (skips when it is not installed)."""
    qemu = find_qemu(version)
    if qemu is None:
        pytest.skip(f"QEMU {version} not installed: run tools/install-qemu.sh")
    out = subprocess.run(
        ["strings", "-n", "3", str(qemu.path)], capture_output=True, text=True, check=True
    ).stdout
    return frozenset(out.splitlines())


def knowledge(version: str):  # type: ignore[no-untyped-def]
    found = version_knowledge(version)
    assert found is not None
    return found


@pytest.mark.parametrize("version", KNOWN_VERSIONS)
def test_cpu_subsections_are_the_binarys_cpu_names(version: str) -> None:
    names = {s for s in binary_strings(version) if re.fullmatch(r"cpu/[a-z0-9_]+(/[a-z0-9_]+)*", s)}
    facts = knowledge(version).vmsds
    listed = set(facts["cpu"].subsections)
    nested = {n for v in facts.values() if v.name.startswith("cpu/") for n in v.subsections}
    assert listed | nested | {"cpu/kvm_nested_state"} == names
    assert listed.isdisjoint(nested)


def test_cpu_subsections_differ_between_versions_as_documented() -> None:
    old = set(knowledge("7.2").vmsds["cpu"].subsections)
    new = set(knowledge("10.0").vmsds["cpu"].subsections)
    assert new - old == {"cpu/fred", "cpu/msr_hwcr", "cpu/xen_vcpu"}
    assert old <= new


@pytest.mark.parametrize("version", KNOWN_VERSIONS)
def test_knowledge_versions_match_the_captures_of_that_version(version: str) -> None:
    facts = knowledge(version).vmsds
    checked = 0
    for entry in stream_samples():
        if entry["qemu_version"] != version:
            continue
        for section in decoded_sample(entry["name"]).device_sections():
            fact = facts.get(section.vmsd_name or "")
            if fact is None:
                continue
            assert section.version_id == fact.versions[0].version_id, section.path
            for sub in section.subsections:
                assert sub.name in fact.subsections, sub.path
            checked += 1
    assert checked > 20


@pytest.mark.parametrize("version", KNOWN_VERSIONS)
def test_message_templates_are_printf_formats_in_the_binary(version: str) -> None:
    strings = binary_strings(version)
    for key, template in knowledge(version).messages.items():
        old, new = MESSAGE_EDITS.get(key, ("", ""))
        text = template.replace(old, new) if old else template
        text = text.removesuffix(ERRNO_SUFFIX)
        parts = re.split(r"\{[^}]*\}", text)
        pattern = "%[-#0-9.*lz]*[a-zA-Z]".join(re.escape(p) for p in parts)
        assert any(re.fullmatch(pattern, s) for s in strings), f"{key}: {template!r}"


def test_strerror_texts_are_the_c_librarys() -> None:
    texts = knowledge("7.2").strerror
    for name, text in texts.items():
        assert os.strerror(getattr(errno, name)) == text


@pytest.mark.parametrize("version", KNOWN_VERSIONS)
def test_configuration_subsections_are_the_binarys(version: str) -> None:
    names = {s for s in binary_strings(version) if s.startswith("configuration/")}
    assert set(knowledge(version).configuration_subsections) == names


def test_validated_capabilities_follow_the_versions() -> None:
    assert knowledge("7.2").validated_capabilities == ("x-ignore-shared",)
    assert knowledge("10.0").validated_capabilities == ("x-ignore-shared", "mapped-ram")
    assert "mapped-ram" not in knowledge("7.2").capabilities


def test_commands_7_2_stops_before_switchover_start() -> None:
    assert max(knowledge("7.2").commands) == 10
    assert knowledge("10.0").commands[11].name == "switchover_start"


@pytest.mark.skipif(not KVM_HEADER.is_file(), reason="no /usr/include/linux/kvm.h")
def test_kvm_capability_numbers_match_the_kernel_header() -> None:
    header = KVM_HEADER.read_text()
    for name, number in x86_knowledge().kvm_caps.items():
        match = re.search(rf"#define {name} (\d+)", header)
        assert match is not None and int(match[1]) == number, name


def test_every_cpu_subsection_has_a_restore_requirement() -> None:
    requirements = x86_knowledge().requirements
    for version in KNOWN_VERSIONS:
        assert set(knowledge(version).vmsds["cpu"].subsections) <= set(requirements)


def test_switchover_start_compat_matches_the_captures() -> None:
    prop = next(p for p in compat_properties() if p.property == "send-switchover-start")
    for name in ("pc-10.0", "pc-7.2-on-10.0", "q35-10.0"):
        stream = decoded_sample(name)
        sent = any(isinstance(r, Command) and r.name == "switchover_start" for r in stream.records)
        assert stream.machine_type is not None
        assert sent == (not compat_applies(prop, stream.machine_type)), name


def test_smi_count_compat_stops_at_2_11() -> None:
    prop = next(p for p in compat_properties() if p.property == "x-migrate-smi-count")
    assert compat_applies(prop, "pc-i440fx-2.11") and not compat_applies(prop, "pc-q35-2.12")
    assert compat_applies(prop, "pc") is None
