"""The <domain> element: hand each child to its translator, then put the machine line first."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from vmdiff.compat.domain_qemu.devices import translate_devices
from vmdiff.compat.domain_qemu.draft import Draft, Translation
from vmdiff.compat.domain_qemu.machine import (
    check_machine_type,
    machine_args,
    translate_clock,
    translate_cpu,
    translate_features,
    translate_os,
    translate_pm,
)

# Elements with no effect on the machine QEMU builds (host placement, tuning, metadata).
NO_STATE_ELEMENTS = frozenset(
    {
        "name",
        "title",
        "description",
        "metadata",
        "currentMemory",
        "resource",
        "cputune",
        "numatune",
        "blkiotune",
        "memtune",
        "iothreads",
        "iothreadids",
        "on_poweroff",
        "on_reboot",
        "on_crash",
        "on_lockfailure",
        "seclabel",
        "perf",
        "idmap",
        "sysinfo",
    }
)


def _ignore(draft: Draft, element: ET.Element) -> None:
    pass


ELEMENT_TRANSLATORS: dict[str, Callable[[Draft, ET.Element], None]] = {
    "uuid": lambda draft, element: draft.add("-uuid", (element.text or "").strip()),
    # memory, maxMemory and vcpu are read when the head of the line is built.
    "memory": _ignore,
    "maxMemory": _ignore,
    "vcpu": _ignore,
    "vcpus": lambda draft, element: draft.skip("<vcpus>", "per-vCPU hotplug settings"),
    "os": translate_os,
    "features": translate_features,
    "cpu": translate_cpu,
    "clock": translate_clock,
    "pm": translate_pm,
    "devices": translate_devices,
}


def translate_root(root: ET.Element) -> Translation:
    """The translation of a parsed <domain> element."""
    draft = Draft(root)
    check_machine_type(draft)
    domain_type = root.get("type", "")
    if domain_type not in ("kvm", "qemu"):
        draft.skip(f"<domain type='{domain_type}'>", "only kvm and qemu domains")
    for element in root:
        translator = ELEMENT_TRANSLATORS.get(element.tag)
        if translator is not None:
            translator(draft, element)
        elif element.tag not in NO_STATE_ELEMENTS:
            draft.skip(f"<{element.tag}>", "not translated")
    draft.out.args[:0] = machine_args(draft, domain_type)
    draft.out.notes.insert(
        0, f"the emulator {root.findtext('devices/emulator', '?')} is not run: --qemu is"
    )
    return draft.out
