"""Build destination profiles from what a destination left behind: captures and dumps.

- A capture made on the destination configuration gives its machine type, RAM blocks with
  lengths, sections with instances and versions, the subsections it sent and the values it
  checks on load (PCI config space, "equal" fields).
- A ``-dump-vmstate`` file gives every vmsd of the binary by name, with version_id,
  minimum_version_id and the full subsection lists, but no instances, no RAM, and none of the
  vmsds registered outside qdev (cpu, apic, timer, ...: built-in knowledge fills those).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from vmdiff.compat.domain import (
    SNIFF_BYTES,
    is_domain_xml,
    profile_from_domain_xml,
    read_domain_xml,
    with_image_xml,
)
from vmdiff.compat.knowledge import KNOWN_VERSIONS, machine_version_tuple
from vmdiff.compat.profile import (
    ArrayLength,
    CheckedField,
    DestinationProfile,
    Fact,
    ProfileError,
    RamBlockFact,
    SectionFact,
    SubsectionFact,
    VersionRange,
    VmsdFact,
    merge_profiles,
)
from vmdiff.compat.profile_json import load_profile, profile_from_json
from vmdiff.decode import open_capture
from vmdiff.errors import VmdiffError
from vmdiff.model import Command, EndOfStream, Field, Section, Stream

CHECKED_TYPES = frozenset(
    {
        "pci config",
        "int32 equal",
        "uint32 equal",
        "int64 equal",
        "uint8 equal",
        "uint16 equal",
        "int32 le",
    }
)
# vmdesc gained a "configuration" entry in 8.2 (stream-format.md §4.3).
VMDESC_CONFIGURATION_SINCE = (8, 2)


def load_destination(path: str) -> DestinationProfile:
    """A profile from a profile file, a capture, a -dump-vmstate file or a domain XML, told
    apart by content; a libvirt save image adds its domain XML to its stream's facts."""
    head = _head(path)
    if is_domain_xml(head):
        return profile_from_domain_xml(read_domain_xml(path), path)
    if head.lstrip()[:1] == b"{":
        try:
            document = json.loads(Path(path).read_bytes())
        except ValueError as err:
            raise ProfileError(f"{path}: looks like JSON but is not: {err}") from None
        return profile_from_document(document, path)
    with open_capture(path) as capture:
        stream = capture.stream
    if stream.version is None:
        fault = stream.fault.message if stream.fault else "no stream header"
        raise VmdiffError(f"{path}: not a profile, a -dump-vmstate file or a capture ({fault})")
    if not is_complete(stream):
        assert stream.fault is not None
        raise ProfileError(
            f"{path}: the capture stops at a fault ({stream.fault.message}); a destination "
            "profile needs a capture that decodes to its end"
        )
    return with_image_xml(profile_from_stream(stream), stream)


def load_destinations(paths: list[str]) -> DestinationProfile:
    """Every ``--dest`` file merged into one profile."""
    return merge_profiles([load_destination(p) for p in paths])


def profile_from_document(document: object, origin: str) -> DestinationProfile:
    """A profile from a parsed JSON document: a vmdiff profile or a -dump-vmstate file."""
    if isinstance(document, dict) and "format" in document:
        return profile_from_json(document, origin)
    if isinstance(document, dict) and "vmschkmachine" in document:
        return profile_from_dump(document, origin)
    raise ProfileError(
        f"{origin}: neither a vmdiff profile ('format') nor a -dump-vmstate file ('vmschkmachine')"
    )


def _head(path: str) -> bytes:
    try:
        with open(path, "rb") as f:
            return f.read(SNIFF_BYTES)
    except OSError as err:
        raise VmdiffError(f"{path}: cannot read: {err.strerror}") from None


# --- captures ------------------------------------------------------------------------------


def profile_from_stream(stream: Stream) -> DestinationProfile:
    """What a capture made on the destination says about the destination."""
    origin = f"capture {stream.path}"
    profile = DestinationProfile(built_from=[f"{origin} (a migration stream of the destination)"])
    config = stream.configuration
    if config is not None:
        profile.machine_type = Fact(config.machine_type, f"{origin}: configuration record")
        caps = frozenset(config.capabilities or ())
        where = (
            "configuration/capabilities" if config.capabilities else "no configuration/capabilities"
        )
        profile.capabilities = Fact(caps, f"{origin}: {where}")
        if config.uuid is not None:
            profile.uuid = Fact(format_uuid(config.uuid), f"{origin}: configuration/uuid")
    profile.qemu_version = _infer_version(stream, origin)
    profile.accel = _infer_accel(stream, origin)
    if stream.ram is not None:
        blocks = {
            b.name: RamBlockFact(b.name, b.length, b.guest_address)
            for b in stream.ram.blocks.values()
        }
        profile.ram_blocks = Fact(blocks, f"{origin}: RAM block list of the ram section")
    sections: dict[str, SectionFact] = {}
    for section in stream.iter_sections():
        if section.kind in ("start", "full"):
            fact = SectionFact(
                section.idstr, section.instance_id, section.vmsd_name, section.version_id
            )
            sections.setdefault(fact.path, fact)
    if is_complete(stream):
        profile.sections = Fact(sections, f"{origin}: the sections it sent")
    else:
        # The sections after the fault are unknown, so the list cannot be the destination's.
        assert stream.fault is not None
        profile.built_from.append(
            f"{origin} stops at a fault, so its sections are not listed: {stream.fault.message}"
        )
    profile.vmsds = _vmsds_from_stream(stream, origin)
    checked = {
        f.path: CheckedField(f.path, f.type_name, _checked_value(f)) for f in _checked(stream)
    }
    profile.checked_fields = Fact(checked, f"{origin}: field values")
    arrays = {a.path: a for a in _array_lengths(stream)}
    profile.array_lengths = Fact(arrays, f"{origin}: array and buffer lengths")
    return profile


def is_complete(stream: Stream) -> bool:
    """True when the stream decoded at least to its EOF record (a damaged vmdesc aside)."""
    return stream.fault is None or any(isinstance(r, EndOfStream) for r in stream.records)


def format_uuid(raw: bytes) -> str:
    """16 bytes as QEMU prints a UUID (lower case, 8-4-4-4-12)."""
    h = raw.hex()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}"


def _infer_version(stream: Stream, origin: str) -> Fact[str] | None:
    clues = []
    newer = False
    vmdesc = stream.vmdesc.json if stream.vmdesc is not None else None
    if isinstance(vmdesc, dict):
        if "configuration" in vmdesc:
            newer = True
            clues.append("its vmdesc has a 'configuration' entry (8.2 and later)")
        else:
            clues.append("its vmdesc has no 'configuration' entry (8.1 and earlier)")
    if any(isinstance(r, Command) and r.name == "switchover_start" for r in stream.records):
        newer = True
        clues.append("it sent SWITCHOVER_START (10.0 and later)")
    machine = machine_version_tuple(stream.machine_type or "")
    if machine is not None and machine > VMDESC_CONFIGURATION_SINCE:
        newer = True
        clues.append(
            f"machine type {stream.machine_type} needs QEMU {machine[0]}.{machine[1]} or later"
        )
    if not clues:
        return None
    version = KNOWN_VERSIONS[-1] if newer else KNOWN_VERSIONS[0]
    note = f"; vmdiff's nearest known version is {version}: say --qemu-version if it is another"
    return Fact(version, f"{origin}: inferred: " + ", ".join(clues) + note, inferred=True)


def _infer_accel(stream: Stream, origin: str) -> Fact[str]:
    # Every x86 KVM guest with the default CPU model registers kvmclock; TCG never does.
    if any(s.idstr == "kvmclock" for s in stream.device_sections()):
        return Fact("kvm", f"{origin}: inferred from its kvmclock section", inferred=True)
    return Fact("tcg", f"{origin}: inferred: it has no kvmclock section", inferred=True)


def _vmsds_from_stream(stream: Stream, origin: str) -> dict[str, VmsdFact]:
    found: dict[str, tuple[set[int], dict[str, SubsectionFact]]] = {}

    def note(name: str, version: int | None, subsections: list[dict[str, Any]]) -> None:
        versions, subs = found.setdefault(name, (set(), {}))
        if version is not None:
            versions.add(version)
        for sub in subsections:
            subs[str(sub["vmsd_name"])] = SubsectionFact(
                int(sub.get("version", 0)), None, seen=True
            )

    def walk(entry: dict[str, Any]) -> None:
        if "vmsd_name" in entry:
            note(str(entry["vmsd_name"]), _int(entry.get("version")), entry.get("subsections", []))
        for sub in entry.get("subsections", []):
            walk(sub)
        for field in entry.get("fields", []):
            if isinstance(field.get("struct"), dict):
                walk(field["struct"])
            elif "vmsd_name" in field:
                walk(field)

    vmdesc = stream.vmdesc.json if stream.vmdesc is not None else None
    if isinstance(vmdesc, dict) and isinstance(vmdesc.get("devices"), list):
        for device in vmdesc["devices"]:
            if isinstance(device, dict):
                walk(device)
    else:
        for section in stream.device_sections():
            if section.vmsd_name is not None:
                subs = [{"vmsd_name": s.name, "version": s.version_id} for s in section.subsections]
                note(section.vmsd_name, section.version_id, subs)
    return {
        name: VmsdFact(
            name=name,
            source=f"{origin} (vmdesc): version it sent, subsections it sent",
            versions=tuple(VersionRange(v) for v in sorted(versions)),
            subsections=subs,
            subsections_complete=False,
        )
        for name, (versions, subs) in found.items()
    }


def _int(value: object) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _checked(stream: Stream) -> Iterator[Field]:
    def walk(fields: tuple[Field, ...]) -> Iterator[Field]:
        for f in fields:
            if f.type_name in CHECKED_TYPES and isinstance(f.value, int | bytes):
                yield f
            yield from walk(f.children)
            for sub in f.subsections:
                yield from walk(sub.fields)

    for section in stream.device_sections():
        yield from walk(section.fields)
        for sub in _all_subsections(section):
            yield from walk(sub.fields)


def _all_subsections(section: Section) -> Iterator[Any]:
    stack = list(section.subsections)
    while stack:
        sub = stack.pop()
        yield sub
        stack.extend(sub.subsections)


def _array_lengths(stream: Stream) -> Iterator[ArrayLength]:
    def walk(fields: tuple[Field, ...]) -> Iterator[ArrayLength]:
        for index, f in enumerate(fields):
            count = array_length(f)
            if count is not None:
                counts = tuple(
                    s.name for s in fields[:index] if is_integer(s.value) and s.value == count
                )
                yield ArrayLength(f.path, count, counts)
            yield from walk(f.children)
            for sub in f.subsections:
                yield from walk(sub.fields)

    for section in stream.device_sections():
        yield from walk(section.fields)
        for sub in _all_subsections(section):
            yield from walk(sub.fields)


def array_length(field: Field) -> int | None:
    """The number of elements of an array field, else None.

    Buffers are left out: QEMU versions re-cut them between releases (10.0 splits
    globalstate's 100-byte runstate into 32 bytes, two flags and 66 unused bytes) while the
    wire stays compatible, so a buffer's own length proves nothing.
    """
    prefix = f"{field.name}["
    if field.children and all(c.name.startswith(prefix) for c in field.children):
        return len(field.children)
    return None


def is_integer(value: object) -> bool:
    """True for ints that are not bools."""
    return isinstance(value, int) and not isinstance(value, bool)


def _checked_value(field: Field) -> int | bytes:
    value = field.value
    if isinstance(value, bool) or not isinstance(value, int | bytes):
        raise ProfileError(f"{field.path}: no value to check")
    return value


# --- -dump-vmstate -------------------------------------------------------------------------


def profile_from_dump(document: dict[str, Any], origin: str) -> DestinationProfile:
    """What a -dump-vmstate file says: vmsds by name with versions and subsection lists."""
    source = f"dump {origin}"
    profile = DestinationProfile(
        built_from=[
            f"{source} (vmsds by name with versions and subsection lists; a dump has no "
            "instances, no RAM blocks and no cpu, apic, timer, PCIBUS, i2c_bus, acpi_build or "
            "globalstate vmsds)"
        ]
    )
    machine = document.get("vmschkmachine")
    if isinstance(machine, dict) and isinstance(machine.get("Name"), str):
        profile.machine_type = Fact(machine["Name"], f"{source}: vmschkmachine")
    collected: dict[str, tuple[set[tuple[int, int]], dict[str, SubsectionFact]]] = {}

    def walk(desc: dict[str, Any]) -> None:
        name = str(desc["name"])
        versions, subs = collected.setdefault(name, (set(), {}))
        versions.add((int(desc.get("version_id", 0)), int(desc.get("minimum_version_id", 0))))
        for sub in desc.get("Subsections", []):
            subs[str(sub["name"])] = SubsectionFact(
                int(sub.get("version_id", 0)), int(sub.get("minimum_version_id", 0))
            )
            walk(sub)
        for field in desc.get("Fields", []):
            if "num" in field:
                has_num[0] = True
            if isinstance(field.get("Description"), dict):
                walk(field["Description"])

    has_num = [False]
    try:
        for key, entry in document.items():
            if key == "vmschkmachine" or not isinstance(entry, dict):
                continue
            if isinstance(entry.get("Description"), dict):
                walk(entry["Description"])
    except (KeyError, TypeError, ValueError) as err:
        raise ProfileError(f"{origin}: malformed -dump-vmstate entry: {err!r}") from None
    profile.vmsds = {
        name: VmsdFact(
            name=name,
            source=f"{source}",
            versions=tuple(VersionRange(v, m) for v, m in sorted(versions)),
            subsections=subs,
            subsections_complete=True,
        )
        for name, (versions, subs) in collected.items()
    }
    profile.qemu_version = _infer_dump_version(profile, has_num[0], source)
    return profile


def _infer_dump_version(profile: DestinationProfile, has_num: bool, source: str) -> Fact[str]:
    machine = machine_version_tuple(profile.machine_type.value if profile.machine_type else "")
    if machine is not None and machine > (7, 2):
        clue = f"machine type {machine[0]}.{machine[1]} is newer than 7.2"
        version = KNOWN_VERSIONS[-1]
    elif has_num:
        clue = "its array fields carry 'num' (dumps after 7.2 do)"
        version = KNOWN_VERSIONS[-1]
    else:
        clue = "its array fields carry no 'num' (7.2 dumps do not)"
        version = KNOWN_VERSIONS[0]
    return Fact(
        version,
        f"{source}: inferred: {clue}; say --qemu-version if it is another version",
        inferred=True,
    )


def with_qemu_version(profile: DestinationProfile, version: str, source: str) -> DestinationProfile:
    """``profile`` with its QEMU version stated rather than inferred."""
    return merge_profiles([profile, DestinationProfile(qemu_version=Fact(version, source))])


__all__ = [
    "format_uuid",
    "load_destination",
    "load_destinations",
    "load_profile",
    "profile_from_dump",
    "profile_from_stream",
    "with_qemu_version",
]
