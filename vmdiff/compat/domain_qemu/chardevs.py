"""Serial ports, consoles and channels, each on a null chardev."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vmdiff.compat.domain_devices import describe
from vmdiff.compat.domain_qemu.draft import Draft


def translate_serial(draft: Draft, element: ET.Element) -> None:
    """<serial>: an isa-serial port."""
    target = element.find("target")
    kind = target.get("type", "isa-serial") if target is not None else "isa-serial"
    port = int(target.get("port", "0")) if target is not None else 0
    if kind != "isa-serial":
        draft.skip(describe(element), f"a {kind} port is not translated")
        return
    draft.serial_ports.add(port)
    chardev = _chardev(draft, f"serial{port}")
    draft.add("-device", f"isa-serial,chardev={chardev},id=serial{port},index={port}")


def translate_console(draft: Draft, element: ET.Element) -> None:
    """<console>: the serial port it names (added if no <serial> is), or a virtio console."""
    target = element.find("target")
    kind = target.get("type", "serial") if target is not None else "serial"
    port = int(target.get("port", "0")) if target is not None else 0
    if kind == "serial":
        if port not in draft.serial_ports and not draft.root.findall("devices/serial"):
            translate_serial(draft, element)
        else:
            draft.note("a serial <console> is the <serial> port itself")
    elif kind == "virtio":
        _virtio_port(draft, element, "virtconsole", "console")
    else:
        draft.skip(describe(element), f"a {kind} console is not translated")


def translate_channel(draft: Draft, element: ET.Element) -> None:
    """<channel>: a virtio serial port (guestfwd is no device)."""
    target = element.find("target")
    kind = target.get("type") if target is not None else None
    if kind == "guestfwd":
        draft.note("guestfwd channels ignored: they are no device")
    elif kind == "virtio":
        _virtio_port(draft, element, "virtserialport", "channel")
    else:
        draft.skip(describe(element), f"a {kind} channel is not translated")


def _chardev(draft: Draft, device_id: str) -> str:
    chardev_id = f"char{device_id}"
    draft.add("-chardev", f"null,id={chardev_id}")
    draft.note("serial ports, consoles and channels get a null back-end")
    return chardev_id


def _virtio_port(draft: Draft, element: ET.Element, driver: str, prefix: str) -> None:
    address = element.find("address")
    target = element.find("target")
    props = [driver]
    if address is not None and address.get("type") == "virtio-serial":
        controller, bus = address.get("controller", "0"), address.get("bus", "0")
        props += [f"bus=virtio-serial{controller}.{bus}", f"nr={address.get('port', '1')}"]
    device_id = draft.next_id(prefix)
    props += [f"chardev={_chardev(draft, device_id)}", f"id={device_id}"]
    if target is not None and target.get("name"):
        props.append(f"name={target.get('name')}")
    draft.add("-device", ",".join(props))
