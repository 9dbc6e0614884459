"""Controllers: PCI bridges and root ports, USB, SCSI and virtio-serial, and the default USB."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vmdiff.compat.domain_devices import describe, device_model
from vmdiff.compat.domain_qemu.draft import Draft
from vmdiff.compat.domain_qemu.pci import pci_device


def add_default_usb(draft: Draft, devices: ET.Element) -> None:
    """Add the USB controller libvirt adds when the XML names none (refused on q35)."""
    if not any(c.get("type") == "usb" for c in devices.findall("controller")) and not draft.q35:
        draft.add("-device", "piix3-usb-uhci,id=usb,bus=pci.0,addr=0x1.0x2")
        draft.usb_ids[0] = "usb"
        draft.note("no USB controller in the XML: libvirt's default for i440FX, PIIX3 UHCI")
    elif not any(c.get("type") == "usb" for c in devices.findall("controller")):
        draft.skip("USB", "no <controller type='usb'>: libvirt adds its default for q35")


def translate_controller(draft: Draft, element: ET.Element) -> None:
    """<controller>, except the ones the machine builds itself."""
    kind, index = element.get("type", ""), element.get("index", "0")
    model = element.get("model")
    if kind == "pci" and model in ("pci-root", "pcie-root"):
        return
    if kind in ("ide", "sata") and index == "0" and (kind == "sata") == draft.q35:
        return
    if kind == "usb" and model == "none":
        return
    if kind == "pci":
        _pci_controller(draft, element, index)
    elif kind == "usb":
        _usb_controller(draft, element, index)
    elif kind == "scsi":
        props = [f"id=scsi{index}"]
        driver = element.find("driver")
        if model == "virtio-scsi" and driver is not None and driver.get("queues"):
            props.append(f"num_queues={driver.get('queues')}")
        pci_device(draft, element, device_model(element), *props)
    elif kind == "virtio-serial":
        props = [f"id=virtio-serial{index}"]
        if element.get("ports"):
            props.append(f"max_ports={element.get('ports')}")
        pci_device(draft, element, device_model(element), *props)
    else:
        draft.skip(describe(element), "this kind of controller is not translated")


def _pci_controller(draft: Draft, element: ET.Element, index: str) -> None:
    model = device_model(element)
    named = element.find("model")
    if model is not None and named is not None and named.get("name") not in (None, model.driver):
        model = None
    target = element.find("target")
    props = [f"id=pci.{index}"]
    if element.get("model") == "pcie-root-port" and target is not None:
        props += [f"port={target.get('port', '0')}", f"chassis={target.get('chassis', index)}"]
    elif element.get("model") == "pci-bridge":
        chassis = target.get("chassisNr", index) if target is not None else index
        props.append(f"chassis_nr={chassis}")
    pci_device(draft, element, model, *props)


def _usb_controller(draft: Draft, element: ET.Element, index: str) -> None:
    usb_id = "usb" if index == "0" else f"usb{index}"
    draft.usb_ids[int(index)] = usb_id
    props = [f"id={usb_id}"]
    master = element.find("master")
    if master is not None:
        props = [f"masterbus={usb_id}.0", f"firstport={master.get('startport', '0')}"]
    if element.get("ports") and "xhci" in (element.get("model") or ""):
        props += [f"p2={element.get('ports')}", f"p3={element.get('ports')}"]
    pci_device(draft, element, device_model(element), *props)
