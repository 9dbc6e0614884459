"""Read the facts vmdiff uses from a libvirt domain XML: machine type, memory, CPU and devices.

The XML comes from files users hand us, so documents with a DTD or entity declarations are
refused before parsing (no entity expansion, no external fetches), and size is capped.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass

from vmdiff.errors import InputError

MAX_XML_BYTES = 16 << 20
_UNITS = {
    "b": 1,
    "bytes": 1,
    "kb": 1000,
    "k": 1024,
    "kib": 1024,
    "mb": 1000**2,
    "m": 1024**2,
    "mib": 1024**2,
    "gb": 1000**3,
    "g": 1024**3,
    "gib": 1024**3,
    "tb": 1000**4,
    "t": 1024**4,
    "tib": 1024**4,
}


@dataclass(frozen=True, slots=True)
class DomainDevice:
    """One child of <devices>: its element name and the attributes that identify it."""

    kind: str
    type: str | None = None
    model: str | None = None
    target: str | None = None
    bus: str | None = None
    address: str | None = None


@dataclass(frozen=True, slots=True)
class DomainInfo:
    """What a domain XML says about the machine a stream came from (or will go to)."""

    name: str | None
    uuid: str | None
    domain_type: str | None
    arch: str | None
    machine_type: str | None
    memory_bytes: int | None
    vcpus: int | None
    cpu_mode: str | None
    cpu_model: str | None
    emulator: str | None
    devices: tuple[DomainDevice, ...]

    def find_devices(self, kind: str) -> list[DomainDevice]:
        """Devices of one element name, e.g. "disk" or "interface"."""
        return [d for d in self.devices if d.kind == kind]


def parse_domain_xml(text: str, source: str = "domain XML") -> DomainInfo:
    """Parse a <domain> document; raise InputError for anything else or anything unsafe."""
    if len(text) > MAX_XML_BYTES:
        raise InputError(f"{source}: {len(text)} bytes of XML, more than a domain definition")
    if "<!DOCTYPE" in text or "<!ENTITY" in text:
        raise InputError(f"{source}: DTDs and entity declarations are not accepted")
    try:
        root = ET.fromstring(text)
    except ET.ParseError as err:
        line, column = err.position
        raise InputError(f"{source}: not well-formed XML (line {line}, column {column})") from None
    if root.tag != "domain":
        raise InputError(f"{source}: expected a <domain> element, found <{root.tag}>")
    os_type = root.find("os/type")
    cpu = root.find("cpu")
    return DomainInfo(
        name=_text(root.find("name")),
        uuid=_text(root.find("uuid")),
        domain_type=root.get("type"),
        arch=os_type.get("arch") if os_type is not None else None,
        machine_type=os_type.get("machine") if os_type is not None else None,
        memory_bytes=_memory(root.find("memory"), source),
        vcpus=_int(_text(root.find("vcpu"))),
        cpu_mode=cpu.get("mode") if cpu is not None else None,
        cpu_model=_text(root.find("cpu/model")),
        emulator=_text(root.find("devices/emulator")),
        devices=tuple(_device(el) for el in root.findall("devices/*") if el.tag != "emulator"),
    )


def _text(element: ET.Element | None) -> str | None:
    if element is None or element.text is None:
        return None
    return element.text.strip()


def _int(text: str | None) -> int | None:
    try:
        return int(text) if text is not None else None
    except ValueError:
        return None


def _memory(element: ET.Element | None, source: str) -> int | None:
    amount = _int(_text(element))
    if element is None or amount is None:
        return None
    unit = element.get("unit", "KiB").lower()
    if unit not in _UNITS:
        raise InputError(f"{source}: unknown memory unit {element.get('unit')!r}")
    return amount * _UNITS[unit]


def _device(element: ET.Element) -> DomainDevice:
    model = element.get("model")
    model_element = element.find("model")
    if model is None and model_element is not None:
        model = model_element.get("type") or model_element.get("name")
    target = element.find("target")
    return DomainDevice(
        kind=element.tag,
        type=element.get("type"),
        model=model,
        target=target.get("dev") if target is not None else None,
        bus=(target.get("bus") if target is not None else None) or element.get("bus"),
        address=_address(element.find("address")),
    )


def _address(element: ET.Element | None) -> str | None:
    if element is None:
        return None
    if element.get("type") == "pci":
        try:
            parts = [int(element.get(k, "0"), 0) for k in ("domain", "bus", "slot", "function")]
        except ValueError:
            return None
        return "{:04x}:{:02x}:{:02x}.{:x}".format(*parts)
    fields = " ".join(f"{k}={v}" for k, v in sorted(element.attrib.items()) if k != "type")
    return f"{element.get('type')} {fields}".strip()
