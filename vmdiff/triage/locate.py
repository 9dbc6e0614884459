"""Point a recognised log line at the place in a capture it is about, and say why it failed."""

from __future__ import annotations

from dataclasses import dataclass

from vmdiff.model import Section, Stream, Subsection
from vmdiff.triage.logparse import Family, LogEvent


@dataclass(frozen=True, slots=True)
class Location:
    """Where in the capture a log line points: a path, and its byte offset."""

    path: str
    offset: int
    note: str = ""


_CAUSES = {
    Family.MACHINE_TYPE: "the destination runs a different machine type from the source",
    Family.CONFIG_MISSING: "the destination expects a CONFIGURATION record the stream lacks "
    "(machine types 2.3 and older do not send one)",
    Family.CAPABILITY: "a migration capability is on at one side only",
    Family.UUID: "validate-uuid is on and the two sides run with different -uuid",
    Family.PAGE_BITS: "the two sides use different target page sizes",
    Family.NOT_A_STREAM: "the destination was not given a QEMU migration stream",
    Family.STREAM_VERSION: "the stream's file version is not 3",
    Family.UNKNOWN_SECTION: "the source sent a device (section) the destination does not have",
    Family.UNKNOWN_SECTION_ID: "a PART/END record names a section that was never started",
    Family.UNKNOWN_SECTION_TYPE: "the destination lost sync: a byte that is not a record type "
    "stood where a record should start (126 = 0x7e, a footer read as a record: the section "
    "before it was read short or long)",
    Family.SECTION_VERSION: "the section's version is outside what the destination accepts",
    Family.MISSING_FOOTER: "the destination read this section's body short or long: its layout "
    "differs between the two sides (device properties, QEMU version) or the stream is damaged",
    Family.FOOTER_MISMATCH: "the footer names another section: the body was read short or long, "
    "or the stream is damaged",
    Family.UNKNOWN_SUBSECTION: "the source sent a subsection the destination QEMU does not know",
    Family.FIELD_LOAD: "a field could not be loaded (its value or size is refused)",
    Family.VALUE_CHECK: "a field's value fails the destination's check against its own device",
    Family.PCI_CONFIG: "a read-only PCI config byte differs: a different device model or "
    "property on the destination",
    Family.DEVICE_LOAD: "loading this device's state failed",
    Family.UNKNOWN_RAMBLOCK: "the source has a RAM block the destination lacks (an option ROM, "
    "a memory backend, a device's RAM)",
    Family.RAM_SIZE: "a RAM block has a different size on the destination",
    Family.RAM_FLAGS: "the RAM records do not parse: a damaged or truncated stream, or a "
    "feature (compression, multifd) one side lacks",
    Family.RAM_OTHER: "the RAM records carry something the destination refuses",
    Family.COMMAND: "the stream carries a COMMAND the destination does not understand or "
    "cannot serve (e.g. a PING without a return path)",
    Family.BLOCKED: "a device that cannot be migrated is present",
    Family.CPU_STATE: "the CPU state needs a host capability or setting the destination lacks",
    Family.MSR_WRITE: "KVM refused an MSR value on the destination; QEMU then aborts",
    Family.LOAD_FAILED: "the load failed",
}


_CONFIG_PATHS = {
    Family.MACHINE_TYPE: "configuration/machine_type",
    Family.CAPABILITY: "configuration/capabilities",
    Family.UUID: "configuration/uuid",
    Family.PAGE_BITS: "configuration/target_page_bits",
}


def likely_cause(event: LogEvent) -> str:
    """What this family of failure usually means."""
    return _CAUSES[event.family]


def locate(event: LogEvent, stream: Stream, ram_start_body: bytes | None = None) -> Location | None:
    """The capture location a log line is about, or None when the capture cannot say."""
    family, details = event.family, event.details
    config = stream.configuration
    if family in _CONFIG_PATHS:
        return Location(_CONFIG_PATHS[family], config.span.start) if config else None
    if (
        family in (Family.UNKNOWN_RAMBLOCK, Family.RAM_SIZE, Family.RAM_OTHER)
        and "block" in details
    ):
        return _ram_block(stream, details["block"].strip(), ram_start_body)
    if family is Family.UNKNOWN_SUBSECTION and "subsection" in details:
        found = _subsection_named(stream, details["subsection"])
        return Location(found.path, found.span.start) if found else None
    section = _section_for(event, stream)
    if section is None:
        return None
    if family in (Family.MISSING_FOOTER, Family.FOOTER_MISMATCH):
        where = section.footer.start if section.footer else section.body.end
        return Location(section.path, where, "the footer")
    return Location(section.path, section.span.start)


def _section_for(event: LogEvent, stream: Stream) -> Section | None:
    details = event.details
    sections = stream.iter_sections()
    if "section_id" in details:
        wanted = int(details["section_id"])
        for section in sections:
            if section.section_id == wanted and section.kind in ("start", "full"):
                return section
    idstr = details.get("idstr")
    if idstr is None:
        return None
    instance = int(details.get("instance", "0"), 16 if "0x" in event.text else 10)
    matches = [
        s
        for s in sections
        if s.kind in ("start", "full")
        and (s.idstr == idstr or s.vmsd_name == idstr or s.idstr.endswith("/" + idstr))
    ]
    exact = [s for s in matches if s.instance_id == instance]
    best = exact or matches
    return best[0] if best else None


def _subsection_named(stream: Stream, name: str) -> Subsection | None:
    def walk(subs: tuple[Subsection, ...]) -> Subsection | None:
        for sub in subs:
            if sub.name == name:
                return sub
            found = walk(sub.subsections)
            if found is not None:
                return found
        return None

    for section in stream.device_sections():
        found = walk(section.subsections)
        if found is not None:
            return found
    return None


def _ram_block(stream: Stream, name: str, ram_start_body: bytes | None) -> Location | None:
    start = next((s for s in stream.iter_sections() if s.is_ram and s.kind == "start"), None)
    if start is None:
        return None
    offset = start.body.start
    encoded = name.encode("latin-1")
    if ram_start_body is not None and len(encoded) < 256:
        at = ram_start_body.find(bytes([len(encoded)]) + encoded)
        if at >= 0:
            offset += at
    return Location(f"ram/{name}", offset, "the RAM block list of the START section")
