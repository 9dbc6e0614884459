"""Real pairs of captures that differ by one thing: that thing is reported, and nothing else."""

from __future__ import annotations

from tests.conftest import manifest
from tests.diff.helpers import diff_samples, found
from vmdiff.diff import Category, ChangeKind
from vmdiff.diff.filters import any_matches
from vmdiff.diff.volatile import VOLATILE_PATHS

# Adding a device or changing the machine rewrites the ACPI tables QEMU builds for the guest,
# and with them the table loader script and the RSDP that point into them.
ACPI = {
    ("ram//rom@etc/acpi/tables", "value_changed"),
    ("ram//rom@etc/table-loader", "value_changed"),
    ("ram//rom@etc/acpi/rsdp", "value_changed"),
}


def test_manifest_pairs_are_the_ones_tested() -> None:
    pairs = {(e["differs_from"]["name"], e["name"]) for e in manifest() if e.get("differs_from")}
    for pair in [
        ("pc-7.2", "pc-7.2-e1000"),
        ("pc-7.2-e1000", "pc-7.2-rtl8139"),
        ("pc-7.2", "q35-7.2"),
        ("pc-7.2-on-10.0", "pc-10.0"),
        ("pc-7.2", "pc-7.2-on-10.0"),
        ("pc-7.2", "pc-7.2-running"),
        ("pc-7.2", "pc-7.2-m128"),
        ("pc-7.2", "pc-7.2-again"),
    ]:
        assert pair in pairs


def test_compare_device_added() -> None:
    result = diff_samples("pc-7.2", "pc-7.2-e1000", ignore_volatile=True)
    assert found(result) == {
        ("0000:00:02.0/e1000[0]", "only_in_b"),
        ("ram/0000:00:02.0/e1000.rom", "only_in_b"),
        *ACPI,
    }
    (section,) = result.get("0000:00:02.0/e1000[0]")
    assert section.category is Category.SECTION and section.b == 2
    (rom,) = result.get("ram/0000:00:02.0/e1000.rom")
    assert rom.b == 256 << 10


def test_compare_device_model_changed() -> None:
    result = diff_samples("pc-7.2-e1000", "pc-7.2-rtl8139", ignore_volatile=True)
    assert found(result) == {
        ("0000:00:02.0/e1000[0]", "only_in_a"),
        ("0000:00:02.0/rtl8139[0]", "only_in_b"),
        ("ram/0000:00:02.0/e1000.rom", "only_in_a"),
        ("ram/0000:00:02.0/rtl8139.rom", "only_in_b"),
    }


def test_compare_machine_type_changed_i440fx_to_q35() -> None:
    result = diff_samples("pc-7.2", "q35-7.2", ignore_volatile=True)
    assert found(result) == {
        ("configuration/machine_type", "value_changed"),
        ("0000:00:00.0/I440FX[0]", "only_in_a"),
        ("0000:00:01.0/PIIX3[0]", "only_in_a"),
        ("0000:00:01.1/ide[0]", "only_in_a"),
        ("0000:00:01.3/piix4_pm[0]", "only_in_a"),
        ("fdc[0]", "only_in_a"),
        ("0000:00:00.0/mch[0]", "only_in_b"),
        ("0000:00:1f.0/ICH9LPC[0]", "only_in_b"),
        ("0000:00:1f.2/ich9_ahci[0]", "only_in_b"),
        ("0000:00:1f.3/ich9_smb[0]", "only_in_b"),
        # q35 routes 8 PCI interrupt lines, i440fx 4; its HPET timers advertise other IRQs.
        ("PCIBUS[0]/nirq", "value_changed"),
        ("PCIBUS[0]/irq_count", "size_changed"),
        ("hpet[0]/timer[0]/config", "value_changed"),
        ("hpet[0]/timer[1]/config", "value_changed"),
        ("hpet[0]/timer[2]/config", "value_changed"),
        *ACPI,
    }
    (machine,) = result.get("configuration/machine_type")
    assert (machine.a, machine.b) == ("pc-i440fx-7.2", "pc-q35-7.2")
    (irq_count,) = result.get("PCIBUS[0]/irq_count")
    assert (irq_count.a, irq_count.b) == (4, 8)


def test_compare_machine_type_changed_on_qemu_10() -> None:
    result = diff_samples("pc-10.0", "pc-7.2-on-10.0", ignore_volatile=True)
    # The 7.2 machine keeps 7.2's wire format: no SWITCHOVER_START command.
    assert found(result) == {
        ("configuration/machine_type", "value_changed"),
        ("command/switchover_start", "only_in_a"),
    }


# What QEMU 10.0 sends differently from 7.2 for the same pc-i440fx-7.2 machine.
QEMU_VERSION_DIFFERENCES = {
    # hpet's num_timers field is called num_timers_save in 10.0's vmdesc.
    ("hpet[0]/num_timers", "only_in_a"),
    ("hpet[0]/num_timers_save", "only_in_b"),
    # globalstate's 100-byte runstate buffer became 32 bytes and three new fields.
    ("globalstate[0]/runstate", "size_changed"),
    ("globalstate[0]/has_vm_was_suspended", "only_in_b"),
    ("globalstate[0]/vm_was_suspended", "only_in_b"),
    ("globalstate[0]/unused", "only_in_b"),
    *ACPI,
}


def test_compare_qemu_versions_reports_what_changed() -> None:
    result = diff_samples("pc-7.2", "pc-7.2-on-10.0", ignore_volatile=True)
    assert found(result) >= QEMU_VERSION_DIFFERENCES
    (runstate,) = result.get("globalstate[0]/runstate")
    assert isinstance(runstate.a, bytes) and isinstance(runstate.b, bytes)
    assert (len(runstate.a), len(runstate.b), runstate.offset) == (100, 32, 32)


def test_compare_qemu_versions_reports_nothing_else() -> None:
    # Needs the layouts to number QEMU 10.0's unfolded struct arrays like 7.2's: 10.0's vmdesc
    # writes "index" on the first element only (fdc drives, ide bmdma/bus/ifs).
    result = diff_samples("pc-7.2", "pc-7.2-on-10.0", ignore_volatile=True)
    assert found(result) == QEMU_VERSION_DIFFERENCES


def test_compare_paused_and_running() -> None:
    result = diff_samples("pc-7.2", "pc-7.2-running", ignore_volatile=True)
    paths = found(result)
    # Same devices, same versions, same configuration: only state differs.
    assert {d.category for d in result.differences} == {
        Category.FIELD,
        Category.SUBSECTION,
        Category.RAM_BLOCK,
    }
    assert {d.kind for d in result.differences if d.category is not Category.SUBSECTION} == {
        ChangeKind.VALUE_CHANGED
    }
    assert ("cpu[0]/cpu/msr_smi_count", "only_in_b") in paths
    for expected in [
        "cpu_common[0]/halted",
        "cpu[0]/env.eip",
        "cpu[0]/env.cr[0]",
        "apic[0]/spurious_vec",
        "i8259[0]/irq_base",
        "ram/pc.ram",
    ]:
        assert (expected, "value_changed") in paths
    # SeaBIOS ran: it copied itself below 1 MiB and built its tables at the top of RAM.
    (ram,) = result.get("ram/pc.ram")
    assert ram.pages > 0
    assert any(r.start < 1 << 20 for r in ram.ranges)
    assert not any(any_matches(path, VOLATILE_PATHS) for path, _ in paths)


def test_compare_memory_size() -> None:
    result = diff_samples("pc-7.2", "pc-7.2-m128", ignore_volatile=True)
    assert found(result) == {
        ("ram/pc.ram", "size_changed"),
        # The i440fx DRAM row boundary register and the CMOS memory size bytes.
        ("0000:00:00.0/I440FX[0]/parent_obj/config[0]", "value_changed"),
        ("mc146818rtc[0]/cmos_data", "value_changed"),
        ("ram//rom@etc/acpi/tables", "value_changed"),
    }
    (length,) = result.get("ram/pc.ram")
    assert (length.a, length.b) == (64 << 20, 128 << 20)
    assert result.get("0000:00:00.0/I440FX[0]/parent_obj/config[0]")[0].offset == 0x57
    assert result.get("mc146818rtc[0]/cmos_data")[0].offset == 0x17


def test_compare_capture_with_itself() -> None:
    result = diff_samples("pc-7.2-running", "pc-7.2-running")
    assert not result and result.ignored == 0 and result.complete


def test_compare_same_configuration_twice() -> None:
    noisy = diff_samples("pc-7.2", "pc-7.2-again")
    assert noisy and {d.group for d in noisy.differences} == {"mc146818rtc[0]"}
    quiet = diff_samples("pc-7.2", "pc-7.2-again", ignore_volatile=True)
    assert not quiet and quiet.ignored == len(noisy)


def test_compare_mapped_ram_against_stream_layout() -> None:
    result = diff_samples("pc-10.0", "pc-10.0-mapped-ram", ignore_volatile=True)
    # Same guest, other file layout: every page compares equal by content.
    assert found(result) == {
        ("configuration/capabilities", "value_changed"),
        ("ram", "value_changed"),
    }
    (layout,) = result.get("ram")
    assert (layout.a, layout.b) == ("stream", "mapped-ram")
