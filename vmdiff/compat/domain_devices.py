"""The libvirt devices vmdiff knows: the QEMU device each becomes, and the sections it registers.

A device's sections carry its qdev path: ``0000:00:02.0/virtio-blk`` on the root bus, and one
``:slot.function`` more per bridge below it (``0000:00:12.0:01.0/virtio-net``). The names below
were read from real QEMU 7.2 and 10.0 captures, and tests/compat/test_domain_qemu.py checks
them against a real QEMU on every run.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class DeviceModel:
    """The QEMU device a libvirt device becomes, and the sections it registers at its address."""

    driver: str
    sections: tuple[str, ...]
    listed: bool = True
    """libvirt always keeps the device in the XML (so a stream that has it and an XML that does
    not disagree); False for what libvirt adds implicitly, such as the default USB controller."""


def _model(driver: str, *sections: str, listed: bool = True) -> DeviceModel:
    return DeviceModel(driver, sections, listed)


DISK_BUSES = {"virtio": _model("virtio-blk-pci", "virtio-blk")}
NIC_MODELS = {
    "virtio": _model("virtio-net-pci", "virtio-net"),
    "e1000": _model("e1000", "e1000"),
    "e1000e": _model("e1000e", "e1000e"),
    "rtl8139": _model("rtl8139", "rtl8139"),
    "vmxnet3": _model("vmxnet3", "vmxnet3"),
}
CONTROLLER_MODELS = {
    ("scsi", "virtio-scsi"): _model("virtio-scsi-pci", "virtio-scsi"),
    ("scsi", "lsilogic"): _model("lsi53c895a", "lsiscsi"),
    ("usb", "piix3-uhci"): _model("piix3-usb-uhci", "uhci", listed=False),
    ("usb", "qemu-xhci"): _model("qemu-xhci", "xhci", listed=False),
    ("usb", "nec-xhci"): _model("nec-usb-xhci", "xhci", listed=False),
    ("usb", "ich9-ehci1"): _model("ich9-usb-ehci1", "ehci", listed=False),
    ("usb", "ich9-uhci1"): _model("ich9-usb-uhci1", "uhci", listed=False),
    ("usb", "ich9-uhci2"): _model("ich9-usb-uhci2", "uhci", listed=False),
    ("usb", "ich9-uhci3"): _model("ich9-usb-uhci3", "uhci", listed=False),
    ("virtio-serial", None): _model("virtio-serial-pci", "virtio-console"),
    # The chipsets' own disk controllers: built into i440FX (PIIX3 IDE) and q35 (ICH9 AHCI).
    ("ide", None): _model("piix3-ide", "ide", listed=False),
    ("sata", None): _model("ich9-ahci", "ich9_ahci", listed=False),
    ("pci", "pci-bridge"): _model("pci-bridge", "pci_bridge"),
    ("pci", "pcie-root-port"): _model("pcie-root-port", "pcie-root-port"),
    ("pci", "pcie-pci-bridge"): _model("pcie-pci-bridge", "pcie-pci-bridge"),
}
VIDEO_MODELS = {
    "vga": _model("VGA", "vga"),
    "cirrus": _model("cirrus-vga", "cirrus_vga"),
    "bochs": _model("bochs-display", "bochs-display"),
    "qxl": _model("qxl-vga", "qxl"),
    # The first virtio video on x86 is virtio-vga: it registers its GPU's section as well.
    "virtio": _model("virtio-vga", "virtio-gpu", "virtio-vga"),
}
SECONDARY_VIDEO_MODELS = {
    "qxl": _model("qxl", "qxl"),
    "virtio": _model("virtio-gpu-pci", "virtio-gpu"),
}
SOUND_MODELS = {
    "ich6": _model("intel-hda", "intel-hda"),
    "ich9": _model("ich9-intel-hda", "intel-hda"),
    "ac97": _model("AC97", "ac97"),
}
VIRTIO_INPUTS = {
    "tablet": _model("virtio-tablet-pci", "virtio-input"),
    "mouse": _model("virtio-mouse-pci", "virtio-input"),
    "keyboard": _model("virtio-keyboard-pci", "virtio-input"),
}
OTHER_MODELS = {
    ("memballoon", "virtio"): _model("virtio-balloon-pci", "virtio-balloon"),
    ("rng", "virtio"): _model("virtio-rng-pci", "virtio-rng"),
    ("watchdog", "i6300esb"): _model("i6300esb", "i6300esb_wdt"),
}


def listed_section_names() -> frozenset[str]:
    """Section names only devices libvirt always writes into the XML register."""
    tables = [
        *DISK_BUSES.values(),
        *NIC_MODELS.values(),
        *CONTROLLER_MODELS.values(),
        *VIDEO_MODELS.values(),
        *SECONDARY_VIDEO_MODELS.values(),
        *SOUND_MODELS.values(),
        *VIRTIO_INPUTS.values(),
        *OTHER_MODELS.values(),
    ]
    listed = {name for m in tables if m.listed for name in m.sections}
    implicit = {name for m in tables if not m.listed for name in m.sections}
    return frozenset(listed - implicit)


def device_model(element: ET.Element, *, primary_video: bool = True) -> DeviceModel | None:
    """The QEMU device of a <devices> child that sits on the PCI bus, or None if not known."""
    tag = element.tag
    model = _model_name(element)
    if tag == "disk":
        bus = _attr(element.find("target"), "bus")
        return DISK_BUSES.get(bus or "") if element.get("device", "disk") == "disk" else None
    if tag == "interface":
        return NIC_MODELS.get(model or "")
    if tag == "controller":
        kind = element.get("type", "")
        unnamed = kind in ("virtio-serial", "ide", "sata")
        return CONTROLLER_MODELS.get((kind, None if unnamed else model))
    if tag == "video":
        table = VIDEO_MODELS if primary_video else SECONDARY_VIDEO_MODELS
        return table.get(model or "")
    if tag == "sound":
        return SOUND_MODELS.get(model or "")
    if tag == "input" and element.get("bus") == "virtio":
        return VIRTIO_INPUTS.get(element.get("type", ""))
    return OTHER_MODELS.get((tag, model or ""))


def _model_name(element: ET.Element) -> str | None:
    if element.get("model"):
        return element.get("model")
    model = element.find("model")
    if model is not None:
        return model.get("type") or model.get("name")
    return None


def _attr(element: ET.Element | None, name: str) -> str | None:
    return element.get(name) if element is not None else None


def describe(element: ET.Element) -> str:
    """A short name for a device: ``disk vda (virtio)``, ``interface network 52:54:… (e1000)``,
    ``controller usb (qemu-xhci)``."""
    tag = element.tag
    words = [tag]
    if tag in ("controller", "input", "serial", "channel", "interface"):
        words.append(element.get("type") or "")
    if tag == "disk":
        words.append(_attr(element.find("target"), "dev") or "")
        detail = _attr(element.find("target"), "bus")
    else:
        detail = _model_name(element) or element.get("bus")
    if tag == "interface":
        words.append(_attr(element.find("mac"), "address") or "")
    text = " ".join(w for w in words if w)
    return f"{text} ({detail})" if detail else text


@dataclass(frozen=True, slots=True)
class PciAddress:
    """A libvirt <address type='pci'>."""

    domain: int
    bus: int
    slot: int
    function: int
    multifunction: bool = False

    def __str__(self) -> str:
        return f"{self.domain:04x}:{self.bus:02x}:{self.slot:02x}.{self.function:x}"


def pci_address(element: ET.Element) -> PciAddress | None:
    """The device's PCI address, or None (no address, another kind, or unreadable)."""
    address = element.find("address")
    if address is None or address.get("type") != "pci":
        return None
    try:
        domain, bus, slot, function = (
            int(address.get(k, "0"), 0) for k in ("domain", "bus", "slot", "function")
        )
    except ValueError:
        return None
    return PciAddress(domain, bus, slot, function, address.get("multifunction") == "on")


def bus_paths(devices: ET.Element | None) -> dict[int, str]:
    """libvirt PCI bus index -> the qdev path prefix of the devices on that bus.

    Bus 0 is the root (``0000:00``); bus N is the bridge or root port whose controller has
    index N, and its devices' paths continue the bridge's own path.
    """
    paths = {0: "0000:00"}
    if devices is None:
        return paths
    bridges: dict[int, PciAddress] = {}
    for controller in devices.findall("controller"):
        address = pci_address(controller)
        index = controller.get("index", "")
        if controller.get("type") == "pci" and address is not None and index.isdigit():
            bridges[int(index)] = address
    for _ in range(len(bridges)):
        for bus, address in bridges.items():
            parent = paths.get(address.bus)
            if bus not in paths and parent is not None and address.domain == 0:
                paths[bus] = f"{parent}:{address.slot:02x}.{address.function:x}"
    return paths


def qemu_path(address: PciAddress, paths: dict[int, str]) -> str | None:
    """The qdev path of the device at ``address`` (None behind a bus vmdiff cannot place)."""
    prefix = paths.get(address.bus)
    if prefix is None or address.domain != 0:
        return None
    return f"{prefix}:{address.slot:02x}.{address.function:x}"
