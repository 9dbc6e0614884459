"""Putting a device at its PCI address, and refusing device children that would change it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vmdiff.compat.domain_devices import DeviceModel, PciAddress, describe, pci_address
from vmdiff.compat.domain_qemu.draft import Draft

# Children of a device that only configure its back-end, identity or host side.
DEVICE_NO_STATE_CHILDREN = frozenset(
    {
        "address",
        "alias",
        "source",
        "target",
        "driver",
        "boot",
        "backingStore",
        "serial",
        "shareable",
        "readonly",
        "wwn",
        "vendor",
        "product",
        "iotune",
        "encryption",
        "auth",
        "geometry",
        "blockio",
        "transient",
        "mirror",
        "mac",
        "model",
        "link",
        "bandwidth",
        "virtualport",
        "filterref",
        "guest",
        "ip",
        "route",
        "vlan",
        "script",
        "coalesce",
        "tune",
        "port",
        "portForward",
        "acpi",
        "stats",
        "rate",
        "backend",
        "codec",
        "master",
        "log",
        "protocol",
        "acceleration",
    }
)


def unknown_children(draft: Draft, element: ET.Element, also: frozenset[str] = frozenset()) -> bool:
    """Refuse each child that may shape the device's state; True if there was one."""
    strange = [
        c.tag for c in element if c.tag not in DEVICE_NO_STATE_CHILDREN and c.tag not in also
    ]
    for tag in strange:
        draft.skip(f"{describe(element)}: <{tag}>", "not translated")
    return bool(strange)


def place(draft: Draft, element: ET.Element, props: list[str]) -> bool:
    """Add bus= and addr= from the PCI address; False (and skipped) without one."""
    address = pci_address(element)
    if address is None:
        draft.skip(
            describe(element),
            "no PCI address (libvirt assigns one when it defines the domain: use the XML "
            "`virsh dumpxml` prints)",
        )
        return False
    props += _pci_props(address, draft.q35)
    return True


def pci_device(
    draft: Draft,
    element: ET.Element,
    model: DeviceModel | None,
    *props: str,
    also: frozenset[str] = frozenset(),
) -> bool:
    """Add the device at its PCI address; False when it was skipped instead."""
    if model is None:
        draft.skip(describe(element), "this model is not translated")
        return False
    line = [model.driver, *props]
    if unknown_children(draft, element, also) or not place(draft, element, line):
        return False
    draft.add("-device", ",".join(line))
    return True


def _pci_props(address: PciAddress, q35: bool) -> list[str]:
    root = "pcie.0" if q35 else "pci.0"
    bus = root if address.bus == 0 else f"pci.{address.bus}"
    addr = f"0x{address.slot:x}" + (f".0x{address.function:x}" if address.function else "")
    props = [f"bus={bus}", f"addr={addr}"]
    if address.multifunction:
        props.append("multifunction=on")
    return props
