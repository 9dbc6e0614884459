"""Which sections a destination has, and which versions of them it loads.

A START or FULL record names (idstr, instance_id); the destination must have registered that
pair (migration/savevm.c find_se), with a version_id no older than the vmsd's
minimum_version_id and no newer than its own.
"""

from __future__ import annotations

import re

from vmdiff.compat.destination import Destination
from vmdiff.compat.profile import SectionFact, VersionRange, VmsdFact
from vmdiff.compat.verdict import DestinationWarning, Verdict, VerdictKind
from vmdiff.model import Section, Stream

SUBJECT = "section"
# A PCI device's qdev path: domain:bus:slot.function, then slot.function per bridge below it.
PCI_PATH = re.compile(r"^[0-9a-f]{4}:[0-9a-f]{2}:[0-9a-f]{2}\.[0-7](?::[0-9a-f]{2}\.[0-7])*$")


def check_section(section: Section, dest: Destination) -> Verdict:
    """Whether the destination has this section and loads its version."""
    offset = section.span.start
    sections = dest.profile.sections
    vmsd = dest.vmsd_for_section(section)
    known = dest.profile.find_section(section.idstr, section.instance_id)
    partial = sections is not None and not sections.complete
    occupant = _pci_occupant(section, sections.value) if partial and sections else None
    if known is None and occupant is not None:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            section.path,
            f"the destination has {occupant.idstr} at that PCI address, not {section.idstr}",
            dest.failure_lines(
                dest.message(
                    "unknown_section", idstr=section.idstr, instance_id=section.instance_id
                )
            ),
            offset=offset,
        )
    if known is None and sections is not None and sections.complete:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            section.path,
            f"the destination has no section {section.idstr!r} instance {section.instance_id} "
            "(a device, accelerator or CPU it does not have)",
            dest.failure_lines(
                dest.message(
                    "unknown_section", idstr=section.idstr, instance_id=section.instance_id
                )
            ),
            offset=offset,
        )
    if known is None:
        out_of_range = _out_of_range(section, vmsd, dest) if vmsd is not None else None
        if out_of_range is not None:
            return out_of_range
        what = (
            f"its QEMU knows vmsd {vmsd.name}" if vmsd is not None else "nothing is known about it"
        )
        listed = "lists only some of" if sections is not None else "does not list"
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            section.path,
            f"the profile {listed} the destination's devices; {what}",
            offset=offset,
            needs="the destination's sections: build the profile from a capture of it",
        )
    local_version = known.version_id
    if local_version is None and vmsd is not None and len(vmsd.versions) == 1:
        local_version = vmsd.versions[0].version_id
    if local_version is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            section.path,
            "the destination has this section but its version is not in the profile",
            offset=offset,
            needs=f"the destination's version of {section.vmsd_name or section.idstr}",
        )
    if section.version_id > local_version:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            section.path,
            f"the source sends version {section.version_id}, the destination loads at most "
            f"{local_version}",
            dest.failure_lines(
                dest.message(
                    "section_too_new",
                    version=section.version_id,
                    idstr=section.idstr,
                    local=local_version,
                )
            ),
            offset=offset,
        )
    minimum = _minimum(vmsd, local_version)
    name = vmsd.name if vmsd is not None else (section.vmsd_name or section.idstr)
    if minimum is not None and section.version_id < minimum:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            section.path,
            f"the source sends version {section.version_id}, the destination's {name} needs at "
            f"least {minimum}",
            dest.section_failure(
                section,
                dest.message(
                    "vmsd_too_old", vmsd=name, version=section.version_id, minimum=minimum
                ),
            ),
            offset=offset,
        )
    if minimum is None and section.version_id < local_version:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            section.path,
            f"the source sends version {section.version_id}, older than the destination's "
            f"{local_version}; the destination's minimum_version_id is not in the profile",
            offset=offset,
            needs=f"the minimum_version_id of {name}: add the destination's -dump-vmstate",
        )
    accepted = f"{minimum}..{local_version}" if minimum is not None else str(local_version)
    return Verdict(
        VerdictKind.ACCEPT,
        SUBJECT,
        section.path,
        f"the destination has it ({name}, versions {accepted})",
        offset=offset,
    )


def _pci_occupant(section: Section, listed: dict[str, SectionFact]) -> SectionFact | None:
    """A listed section of another device at the PCI address of ``section``, or None.

    A PCI function holds one device, so a device's sections there exclude any other's.
    """
    address = section.idstr.rpartition("/")[0]
    if not PCI_PATH.match(address):
        return None
    here = [s for s in listed.values() if s.idstr.rpartition("/")[0] == address]
    if not here or any(s.idstr == section.idstr for s in here):
        return None
    return here[0]


def _out_of_range(section: Section, vmsd: VmsdFact, dest: Destination) -> Verdict | None:
    """Without the destination's device list: a version no vmsd of that name accepts fails
    whether or not the device exists (the message depends on which)."""
    if not vmsd.versions:
        return None
    newest = max(v.version_id for v in vmsd.versions)
    minimums = [v.minimum_version_id for v in vmsd.versions]
    known_minimums = [m for m in minimums if m is not None]
    if section.version_id > newest:
        message = dest.message(
            "section_too_new", version=section.version_id, idstr=section.idstr, local=newest
        )
        reason = f"the source sends version {section.version_id}; {vmsd.name} goes up to {newest}"
        lines = dest.failure_lines(message)
    elif len(known_minimums) == len(minimums) and section.version_id < min(known_minimums):
        oldest = min(known_minimums)
        message = dest.message(
            "vmsd_too_old", vmsd=vmsd.name, version=section.version_id, minimum=oldest
        )
        reason = f"the source sends version {section.version_id}; {vmsd.name} needs {oldest}"
        lines = dest.section_failure(section, message)
    else:
        return None
    return Verdict(
        VerdictKind.REJECT,
        SUBJECT,
        section.path,
        f"{reason}, so it fails whether or not the destination has the device (if it does not, "
        "QEMU says the section is unknown instead)",
        lines,
        offset=section.span.start,
        predicted=True,
    )


def _minimum(vmsd: VmsdFact | None, version: int) -> int | None:
    if vmsd is None:
        return None
    matching: list[VersionRange] = [v for v in vmsd.versions if v.version_id == version]
    if matching and matching[0].minimum_version_id is not None:
        return matching[0].minimum_version_id
    return None


def destination_only(stream: Stream, dest: Destination) -> list[DestinationWarning]:
    """Sections and RAM blocks only the destination has: they keep their reset state."""
    warnings = []
    if dest.profile.ram_blocks is not None and stream.ram is not None:
        for name, block in dest.profile.ram_blocks.value.items():
            if name not in stream.ram.blocks:
                warnings.append(
                    DestinationWarning(
                        f"ram/{name}",
                        f"only the destination has RAM block {name} ({block.length:#x} bytes); "
                        "it keeps its initial contents",
                    )
                )
    if dest.profile.sections is not None:
        sent = {s.path for s in stream.iter_sections()}
        for path, fact in dest.profile.sections.value.items():
            if path not in sent:
                warnings.append(
                    DestinationWarning(
                        path,
                        f"only the destination has section {fact.idstr!r} instance "
                        f"{fact.instance_id}; it keeps its reset state",
                    )
                )
    return warnings
