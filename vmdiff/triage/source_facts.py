"""What a capture says about the source that made it: machine, QEMU versions, accelerator."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vmdiff.compat.domain import domain_facts, stream_domain_xml, xml_stream_mismatches
from vmdiff.decode.domain_xml import DomainInfo
from vmdiff.errors import InputError
from vmdiff.model import Command, Stream

_MACHINE_VERSION = re.compile(
    r"^(?:pc-(?:i440fx|q35)|microvm|virt|pseries|s390-ccw-virtio)-"
    r"(?P<major>\d+)\.(?P<minor>\d+)$"
)
# Sections only KVM creates on x86 (a TCG destination refuses them as unknown).
_KVM_SECTIONS = ("kvmclock",)


@dataclass(slots=True)
class SourceFacts:
    """Facts about the source, each with the evidence it rests on."""

    machine_type: str | None
    qemu_at_least: tuple[int, int] | None = None
    version_evidence: list[str] = field(default_factory=list)
    accelerator: str = "unknown"
    accelerator_evidence: str = ""
    devices: list[str] = field(default_factory=list)
    ram_blocks: list[tuple[str, int]] = field(default_factory=list)
    capabilities: tuple[str, ...] = ()
    domain: DomainXmlFacts | None = None
    """What a libvirt save image's domain XML says about the source."""

    @property
    def qemu_range(self) -> str:
        """E.g. ``QEMU >= 10.0`` or ``unknown``."""
        if self.qemu_at_least is None:
            return "unknown"
        return f"QEMU >= {self.qemu_at_least[0]}.{self.qemu_at_least[1]}"


@dataclass(slots=True)
class DomainXmlFacts:
    """A save image's domain XML: the domain, its size and devices, and where it disagrees with
    the stream (a finding: libvirt writes both from one running domain)."""

    info: DomainInfo | None
    vcpus_online: int | None = None
    devices: list[str] = field(default_factory=list)
    mismatches: list[str] = field(default_factory=list)
    error: str | None = None


def describe_domain_xml(stream: Stream) -> DomainXmlFacts | None:
    """The domain XML facts of a save image, or None for a bare stream."""
    text = stream_domain_xml(stream)
    if text is None:
        return None
    try:
        facts = domain_facts(text, f"in {stream.path}")
    except InputError as err:
        return DomainXmlFacts(None, error=str(err))
    return DomainXmlFacts(
        facts.info,
        facts.vcpus_online,
        facts.device_lines,
        xml_stream_mismatches(stream, facts),
    )


def describe_source(stream: Stream) -> SourceFacts:
    """Work out what the stream itself proves about its source."""
    facts = SourceFacts(machine_type=stream.machine_type)
    floor: list[tuple[tuple[int, int], str]] = []
    if stream.machine_type:
        match = _MACHINE_VERSION.match(stream.machine_type)
        if match:
            version = (int(match["major"]), int(match["minor"]))
            floor.append(
                (
                    version,
                    f"machine type {stream.machine_type} first shipped in "
                    f"{version[0]}.{version[1]}",
                )
            )
    commands = {r.name for r in stream.records if isinstance(r, Command)}
    if "switchover_start" in commands:
        floor.append(((10, 0), "a SWITCHOVER_START command (sent by 10.0 and newer)"))
    if stream.vmdesc and stream.vmdesc.json and "configuration" in stream.vmdesc.json:
        floor.append(((8, 2), "a vmdesc with a 'configuration' entry (8.2 and newer)"))
    if stream.ram and stream.ram.multifd_flushes:
        floor.append(((8, 1), "RAM MULTIFD_FLUSH records (8.1 and newer)"))
    if floor:
        best = max(v for v, _ in floor)
        facts.qemu_at_least = best
        facts.version_evidence = [why for v, why in floor]
    sections = stream.device_sections()
    kvm = [s.path for s in sections if s.idstr in _KVM_SECTIONS]
    if kvm:
        facts.accelerator = "kvm"
        facts.accelerator_evidence = f"KVM-only sections: {', '.join(kvm)}"
    elif sections:
        facts.accelerator = "tcg"
        facts.accelerator_evidence = "no kvmclock section, which every x86 KVM source sends"
    facts.devices = [s.path for s in sections if "/" in s.idstr]
    if stream.ram:
        facts.ram_blocks = [(b.name, b.length) for b in stream.ram.blocks.values()]
    if stream.configuration and stream.configuration.capabilities:
        facts.capabilities = stream.configuration.capabilities
    facts.domain = describe_domain_xml(stream)
    return facts
