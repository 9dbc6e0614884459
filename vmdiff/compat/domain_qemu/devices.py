"""<devices>: creation order, the table of device translators, and the one-line devices."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable

from vmdiff.compat.domain_devices import describe, device_model
from vmdiff.compat.domain_qemu.chardevs import (
    translate_channel,
    translate_console,
    translate_serial,
)
from vmdiff.compat.domain_qemu.controllers import add_default_usb, translate_controller
from vmdiff.compat.domain_qemu.disks import translate_disk
from vmdiff.compat.domain_qemu.draft import Draft
from vmdiff.compat.domain_qemu.pci import pci_device
from vmdiff.compat.domain_qemu.video_sound import translate_sound, translate_video


def translate_devices(draft: Draft, devices: ET.Element) -> None:
    """Translate each device, in an order where every bus exists before what sits on it."""
    ordered = sorted(devices, key=_creation_order)
    add_default_usb(draft, devices)
    video_seen = False
    for element in ordered:
        handler = DEVICE_TRANSLATORS.get(element.tag)
        # The first <video> is the primary display: it becomes a different QEMU device.
        if element.tag == "video":
            translate_video(draft, element, primary=not video_seen)
            video_seen = True
        elif handler is None:
            draft.skip(describe(element), "this kind of device is not translated")
        else:
            handler(draft, element)


def _creation_order(element: ET.Element) -> tuple[int, int]:
    """PCI controllers by index, then other controllers, then devices: each names its bus."""
    index = element.get("index", "0")
    number = int(index) if index.isdigit() else 0
    if element.tag == "controller" and element.get("type") == "pci":
        return (0, number)
    return (1, 0) if element.tag == "controller" else (2, 0)


def _interface(draft: Draft, element: ET.Element) -> None:
    what = describe(element)
    if element.get("type") in ("hostdev", "vhostuser", "vdpa"):
        draft.skip(what, f"type='{element.get('type')}' is not translated")
        return
    model = device_model(element)
    if element.find("model") is None:
        draft.skip(what, "no <model>: libvirt picks the default model; name it")
        return
    props = [f"id={draft.next_id('net')}"]
    mac = element.find("mac")
    if mac is not None and mac.get("address"):
        props.append(f"mac={mac.get('address')}")
    driver = element.find("driver")
    if driver is not None and int(driver.get("queues", "1") or "1") > 1:
        draft.skip(f"{what}: <driver queues='{driver.get('queues')}'>", "multiqueue")
        return
    rom = element.find("rom")
    if rom is not None:
        if rom.get("file"):
            draft.skip(f"{what}: <rom file>", "a ROM file of the destination host")
            return
        if rom.get("enabled") == "no":
            props.append("romfile=")
        if rom.get("bar") == "off":
            props.append("rombar=0")
    if element.find("mtu") is not None:
        draft.skip(f"{what}: <mtu>", "not translated (it adds a virtio feature)")
        return
    draft.note(
        "NICs have no back-end: a tap back-end's vnet header and offloads are not reproduced"
    )
    pci_device(draft, element, model, *props, also=frozenset({"rom"}))


def _memballoon(draft: Draft, element: ET.Element) -> None:
    if element.get("model") == "none":
        return
    props = ["id=balloon0"]
    if element.get("autodeflate") == "on":
        props.append("deflate-on-oom=on")
    if element.get("freePageReporting") == "on":
        props.append("free-page-reporting=on")
    pci_device(draft, element, device_model(element), *props)


def _rng(draft: Draft, element: ET.Element) -> None:
    rng_id = draft.next_id("rng")
    draft.note("RNG back-ends are replaced by /dev/urandom")
    if pci_device(draft, element, device_model(element), f"id={rng_id}", f"rng=obj{rng_id}"):
        draft.add("-object", f"rng-random,id=obj{rng_id},filename=/dev/urandom")


def _watchdog(draft: Draft, element: ET.Element) -> None:
    if element.get("model") == "ib700":
        draft.add("-device", "ib700,id=watchdog0")
        return
    pci_device(draft, element, device_model(element), "id=watchdog0")


def _input(draft: Draft, element: ET.Element) -> None:
    kind, bus = element.get("type", ""), element.get("bus", "")
    if bus == "ps2" and kind in ("mouse", "keyboard"):
        return
    if bus == "usb" and kind in ("tablet", "mouse", "keyboard"):
        driver = {"tablet": "usb-tablet", "mouse": "usb-mouse", "keyboard": "usb-kbd"}[kind]
        props = [driver, f"id={draft.next_id('input')}"]
        address = element.find("address")
        if address is not None and address.get("type") == "usb":
            usb_id = draft.usb_ids.get(int(address.get("bus", "0")), "usb")
            props += [f"bus={usb_id}.0", f"port={address.get('port', '1')}"]
        draft.add("-device", ",".join(props))
    elif bus == "virtio":
        pci_device(draft, element, device_model(element), f"id={draft.next_id('input')}")
    else:
        draft.skip(describe(element), "this input device is not translated")


DEVICE_TRANSLATORS: dict[str, Callable[[Draft, ET.Element], None]] = {
    "emulator": lambda draft, element: None,
    "controller": translate_controller,
    "disk": translate_disk,
    "interface": _interface,
    "memballoon": _memballoon,
    "rng": _rng,
    "watchdog": _watchdog,
    "serial": translate_serial,
    "console": translate_console,
    "channel": translate_channel,
    "input": _input,
    "sound": translate_sound,
    "graphics": lambda draft, element: draft.note(
        "<graphics> ignored: a display back-end has no device state"
    ),
    "audio": lambda draft, element: draft.note("<audio> replaced by an audiodev of type none"),
}
