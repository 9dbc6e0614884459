"""What a libvirt domain XML says about a destination (or a source), as profile facts.

The XML states the machine type, the accelerator, the UUID, the memory size and the devices
with their PCI addresses. It does not say the QEMU version, the vmsd versions, the option ROMs
or the devices libvirt leaves implicit (the chipset's own functions), so the RAM block and
section lists it gives are partial (``complete=False``): what it cannot say stays unknown.
"""

from __future__ import annotations

import re
import uuid
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from vmdiff.compat.domain_devices import (
    bus_paths,
    describe,
    device_model,
    listed_section_names,
    pci_address,
    qemu_path,
)
from vmdiff.compat.profile import (
    DestinationProfile,
    Fact,
    ProfileError,
    RamBlockFact,
    SectionFact,
    merge_profiles,
)
from vmdiff.compat.rules.sections import PCI_PATH
from vmdiff.decode.containers import (
    LIBVIRT_HEADER_SIZE,
    is_libvirt_image,
    libvirt_container,
    parse_libvirt_header,
)
from vmdiff.decode.domain_xml import MAX_XML_BYTES, DomainInfo, parse_domain_xml
from vmdiff.errors import InputError
from vmdiff.model import Stream

SNIFF_BYTES = 4096
_DOMAIN_START = re.compile(
    rb"^(?:\xef\xbb\xbf)?\s*(?:<\?xml[^>]*\?>\s*)?(?:<!--.*?-->\s*)*<domain[\s>]", re.DOTALL
)
# Upstream QEMU's x86 machine aliases: each points at the newest versioned type of its build.
MACHINE_ALIASES = {
    "pc": "pc-i440fx",
    "q35": "pc-q35",
    "ubuntu": "pc-i440fx",
    "ubuntu-q35": "pc-q35",
}
MAIN_RAM_BLOCK = "pc.ram"
MIB = 1 << 20
ACCELERATORS = {"kvm": "kvm", "qemu": "tcg"}


def is_domain_xml(head: bytes) -> bool:
    """True when ``head`` (a file's first bytes) starts a <domain> document."""
    return _DOMAIN_START.match(head[:SNIFF_BYTES]) is not None


def read_domain_xml(path: str) -> str:
    """The domain XML of a file holding one, or of a libvirt save image."""
    try:
        with open(path, "rb") as f:
            head = f.read(LIBVIRT_HEADER_SIZE)
            if is_libvirt_image(head):
                header = parse_libvirt_header(head, path, Path(path).stat().st_size)
                return libvirt_container(header, f.read(header.data_len), "raw").domain_xml or ""
            data = head + f.read(MAX_XML_BYTES + 1)
    except OSError as err:
        raise InputError(f"{path}: cannot read: {err.strerror}") from None
    if not is_domain_xml(data):
        raise InputError(f"{path}: neither a libvirt domain XML (<domain>) nor a save image")
    return data.decode("utf-8", errors="replace")


@dataclass(slots=True)
class DomainFacts:
    """The facts one domain XML gives, before they become a profile."""

    info: DomainInfo
    origin: str
    machine_alias: str | None = None
    ram_blocks: dict[str, RamBlockFact] = field(default_factory=dict)
    ram_note: str = ""
    sections: dict[str, SectionFact] = field(default_factory=dict)
    placed: list[str] = field(default_factory=list)
    """One line per device placed: ``disk vda (virtio) at 0000:00:02.0: virtio-blk``."""
    device_lines: list[str] = field(default_factory=list)
    """Every device, e.g. ``disk vda (virtio) at 0000:00:02.0``, ``input mouse (ps2)``."""
    devices_by_section: dict[str, str] = field(default_factory=dict)
    """Section path -> the device it belongs to, e.g. ``disk vda (virtio) at 0000:00:02.0``."""
    unplaced: list[str] = field(default_factory=list)
    """Devices on the PCI bus whose sections vmdiff cannot name, and why."""
    pci_paths: set[str] = field(default_factory=set)
    """The qdev paths of every device the XML puts on the PCI bus, placed or not."""
    vcpus_online: int | None = None


def domain_facts(text: str, origin: str) -> DomainFacts:
    """Read the XML (refusing DTDs and entities) and work out its facts."""
    info = parse_domain_xml(text, origin)
    root = ET.fromstring(text)
    facts = DomainFacts(info, origin)
    machine = info.machine_type or ""
    if machine in MACHINE_ALIASES:
        facts.machine_alias = machine
    vcpu = root.find("vcpu")
    if vcpu is not None and vcpu.get("current", "").isdigit():
        facts.vcpus_online = int(vcpu.get("current", "0"))
    else:
        facts.vcpus_online = info.vcpus
    _ram(facts, root)
    _devices(facts, root)
    return facts


def _ram(facts: DomainFacts, root: ET.Element) -> None:
    info = facts.info
    machine = info.machine_type or ""
    if info.memory_bytes is None:
        facts.ram_note = "no <memory>"
    elif info.arch not in ("x86_64", "i686") or not (
        machine in MACHINE_ALIASES or machine.startswith("pc-")
    ):
        facts.ram_note = f"the main RAM block of machine {machine or '?'} is not known to vmdiff"
    elif root.find("cpu/numa") is not None:
        facts.ram_note = "with NUMA cells the RAM blocks are the cells' memory backends"
    elif root.find("devices/memory") is not None:
        facts.ram_note = (
            "memory devices (DIMMs) take their share of <memory> as blocks of their own"
        )
    else:
        # libvirt gives QEMU whole MiB (qemuDomainAlignMemorySizes rounds the size up).
        length = -(-info.memory_bytes // MIB) * MIB
        facts.ram_blocks[MAIN_RAM_BLOCK] = RamBlockFact(MAIN_RAM_BLOCK, length)
        rounded = "" if length == info.memory_bytes else ", rounded up to whole MiB"
        facts.ram_note = f"<memory> {_size(length)}{rounded} is the main RAM block pc.ram"


def _devices(facts: DomainFacts, root: ET.Element) -> None:
    devices = root.find("devices")
    if devices is None:
        return
    paths = bus_paths(devices)
    first_video = True
    for element in devices:
        if element.tag == "emulator":
            continue
        address = pci_address(element)
        primary = first_video
        if element.tag == "video":
            first_video = False
        name = describe(element)
        facts.device_lines.append(f"{name} at {address}" if address else name)
        if address is None:
            continue
        model = device_model(element, primary_video=primary)
        path = qemu_path(address, paths)
        if path is not None:
            facts.pci_paths.add(path)
        if model is None or path is None:
            why = (
                "its sections are not known"
                if model is None
                else "behind a bus vmdiff cannot place"
            )
            facts.unplaced.append(f"{name} at {address}: {why}")
            continue
        for section in model.sections:
            fact = SectionFact(f"{path}/{section}", 0)
            facts.sections[fact.path] = fact
            facts.devices_by_section[fact.path] = f"{name} at {address}"
        facts.placed.append(f"{name} at {address}: {', '.join(model.sections)}")


def profile_from_domain_xml(text: str, origin: str) -> DestinationProfile:
    """The destination facts a domain XML states, each with source ``domain XML ORIGIN``."""
    return profile_from_facts(domain_facts(text, origin))


def profile_from_facts(facts: DomainFacts) -> DestinationProfile:
    """The profile of already-read domain facts."""
    info = facts.info
    source = f"domain XML {facts.origin}"
    profile = DestinationProfile(
        built_from=[
            f"{source} (machine type, accelerator, UUID, memory and the devices at PCI "
            "addresses; no QEMU version, no vmsd versions, no option ROMs, no implicit devices)"
        ]
    )
    machine = info.machine_type
    if machine and facts.machine_alias:
        family = MACHINE_ALIASES[machine]
        profile.built_from.append(
            f"{source}: machine type {machine!r} is an alias, which a QEMU resolves to its own "
            f"newest {family}-X.Y: the destination's QEMU decides (give --qemu, a capture or a "
            "dump)"
        )
    elif machine:
        profile.machine_type = Fact(
            machine, f"{source}: <os><type machine='{machine}'> (a canonical machine type)"
        )
    accel = ACCELERATORS.get(info.domain_type or "")
    if accel is not None:
        profile.accel = Fact(accel, f"{source}: <domain type='{info.domain_type}'>")
    if info.uuid:
        profile.uuid = Fact(info.uuid.lower(), f"{source}: <uuid> (libvirt passes it as -uuid)")
    if facts.ram_blocks:
        profile.ram_blocks = Fact(
            dict(facts.ram_blocks), f"{source}: {facts.ram_note}", complete=False
        )
    elif facts.ram_note:
        profile.built_from.append(f"{source}: RAM blocks not known: {facts.ram_note}")
    if facts.sections:
        placed = "; ".join(facts.placed)
        profile.sections = Fact(
            dict(facts.sections), f"{source}: devices at PCI addresses: {placed}", complete=False
        )
    if facts.unplaced:
        profile.built_from.append(f"{source}: not placed: {'; '.join(facts.unplaced)}")
    return profile


def _size(length: int) -> str:
    return f"{length // MIB} MiB" if length % MIB == 0 else f"{length} bytes"


# --- a source's XML against its own stream --------------------------------------------------


def stream_domain_xml(stream: Stream) -> str | None:
    """The domain XML a libvirt save image holds, or None."""
    container = stream.container
    if container is None or container.kind != "libvirt":
        return None
    return container.domain_xml or None


def xml_stream_mismatches(stream: Stream, facts: DomainFacts) -> list[str]:
    """Where a save image's domain XML and its stream disagree (none for an intact image)."""
    found = []
    machine = facts.info.machine_type
    if machine and not facts.machine_alias and stream.machine_type not in (None, machine):
        found.append(f"the XML says machine type {machine}, the stream {stream.machine_type}")
    blocks = stream.ram.blocks if stream.ram is not None else {}
    for name, block in facts.ram_blocks.items():
        sent = blocks.get(name)
        if sent is None and stream.ram is not None:
            found.append(f"the XML gives RAM block {name}, the stream has none")
        elif sent is not None and sent.length != block.length:
            found.append(
                f"the XML gives {_size(block.length)} of memory, the stream's {name} is "
                f"{_size(sent.length)}"
            )
    sections = {s.path for s in stream.device_sections()}
    for path in facts.sections:
        if path not in sections:
            device = facts.devices_by_section[path]
            found.append(f"the XML has {device}, the stream no section {path}")
    online = sum(1 for s in stream.device_sections() if s.idstr == "cpu")
    if facts.vcpus_online is not None and online and online != facts.vcpus_online:
        found.append(
            f"the XML gives {facts.vcpus_online} vCPUs, the stream has {online} cpu sections"
        )
    config = stream.configuration
    if config is not None and config.uuid is not None and facts.info.uuid:
        sent_uuid = str(uuid.UUID(bytes=config.uuid))
        if facts.info.uuid.lower() != sent_uuid:
            found.append(f"the XML's UUID is {facts.info.uuid}, the stream's {sent_uuid}")
    found += _unlisted_devices(stream, facts)
    return found


def _unlisted_devices(stream: Stream, facts: DomainFacts) -> list[str]:
    """Devices the stream has at a PCI address where the XML has none, of the kinds libvirt
    always writes into the XML (not the implicit chipset functions or default USB)."""
    names = listed_section_names()
    out = []
    for section in stream.device_sections():
        address, _, name = section.idstr.rpartition("/")
        if name in names and PCI_PATH.match(address) and address not in facts.pci_paths:
            out.append(f"the stream has {section.idstr}, the XML no device at {address}")
    return out


def with_image_xml(profile: DestinationProfile, stream: Stream) -> DestinationProfile:
    """A capture's profile plus its domain XML's facts, when the capture is a libvirt save image.

    The image's stream is a capture of the configuration its XML describes, made by the QEMU
    of the host that saved it; the XML adds the facts it states and must agree with the stream.
    """
    text = stream_domain_xml(stream)
    if text is None:
        return profile
    xml_profile = profile_from_domain_xml(text, f"in {stream.path}")
    xml_profile.built_from.insert(
        0,
        f"{stream.path} is a libvirt save image: its stream is a capture of the configuration "
        "its domain XML describes, made by the QEMU of the host that saved it",
    )
    try:
        return merge_profiles([profile, xml_profile])
    except ProfileError as err:
        raise ProfileError(
            f"{stream.path}: its domain XML and its stream disagree, so it describes no one "
            f"destination: {err}"
        ) from None


def source_xml_notes(stream: Stream) -> list[str]:
    """Notes for a verdict report: where a save image's XML and its stream disagree."""
    text = stream_domain_xml(stream)
    if text is None:
        return []
    try:
        facts = domain_facts(text, f"in {stream.path}")
    except InputError as err:
        return [f"the image's domain XML was not read: {err}"]
    return [
        f"the image's domain XML and its stream disagree: {mismatch}"
        for mismatch in xml_stream_mismatches(stream, facts)
    ]
