"""The RAM section's START record: its version and every RAM block in the list, in order.

QEMU handles RAM START before any device section, so a missing option ROM block fails the
migration before the missing device's own section is reached (migration/ram.c parse_ramblock).
"""

from __future__ import annotations

from vmdiff.compat.destination import Destination
from vmdiff.compat.verdict import Verdict, VerdictKind
from vmdiff.model import RamBlock, Section, Stream

SUBJECT = "RAM block"


def check_ram_start(section: Section, stream: Stream, dest: Destination) -> list[Verdict]:
    """The ram section verdict followed by one verdict per block, in the stream's block order."""
    verdicts = [_section_version(section, dest)]
    if stream.ram is None:
        return verdicts
    for block in stream.ram.blocks.values():
        verdicts.append(_block(block, section, dest))
    return verdicts


def _section_version(section: Section, dest: Destination) -> Verdict:
    expected = dest.knowledge.ram_section_version if dest.knowledge else 4
    if section.version_id != expected:
        return Verdict(
            VerdictKind.REJECT,
            "section",
            section.path,
            f"the RAM section is version {section.version_id}; QEMU loads only version {expected} "
            "and prints no reason of its own",
            dest.section_failure(section),
            offset=section.span.start,
            predicted=True,
        )
    return Verdict(
        VerdictKind.ACCEPT,
        "section",
        section.path,
        f"RAM section version {expected}",
        offset=section.span.start,
    )


def _block(block: RamBlock, section: Section, dest: Destination) -> Verdict:
    path = f"ram/{block.name}"
    offset = section.span.start
    blocks = dest.profile.ram_blocks
    if blocks is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            path,
            f"the source sends RAM block {block.name} ({block.length:#x} bytes); the profile does "
            "not list the destination's RAM blocks",
            offset=offset,
            needs="the destination's RAM blocks: build the profile from a capture of it",
        )
    local = blocks.value.get(block.name)
    if local is None and not blocks.complete:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            path,
            f"the source sends RAM block {block.name} ({block.length:#x} bytes); the profile "
            "lists only some of the destination's RAM blocks",
            offset=offset,
            needs="the destination's whole RAM block list: a capture of it, or vmdiff profile "
            "--domain-xml XML --qemu BINARY",
        )
    if local is None:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            path,
            f"the destination has no RAM block {block.name} (a device or option ROM it lacks)",
            dest.section_failure(section, dest.message("unknown_ramblock", name=block.name)),
            offset=offset,
        )
    if local.length != block.length:
        return _length(block, local.length, section, dest)
    if (
        block.guest_address is not None
        and local.guest_address is not None
        and block.guest_address != local.guest_address
    ):
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            path,
            f"the block sits at {block.guest_address:#x} on the source and "
            f"{local.guest_address:#x} on the destination; with x-ignore-shared QEMU refuses "
            "that for shared blocks",
            offset=offset,
            needs="whether the destination's block is shared memory",
        )
    return Verdict(
        VerdictKind.ACCEPT,
        SUBJECT,
        path,
        f"the destination has {block.name} with the same length ({block.length:#x})",
        offset=offset,
    )


def _length(block: RamBlock, local: int, section: Section, dest: Destination) -> Verdict:
    path = f"ram/{block.name}"
    offset = section.span.start
    resizeable = dest.knowledge.resizeable_blocks.get(block.name) if dest.knowledge else None
    if resizeable is not None:
        maximum = resizeable.max_length if resizeable.max_length is not None else local
        if block.length <= maximum:
            return Verdict(
                VerdictKind.ACCEPT,
                SUBJECT,
                path,
                f"{block.name} is {block.length:#x} bytes on the source and {local:#x} on the "
                f"destination; it is resizeable up to {maximum:#x}, so QEMU resizes it",
                offset=offset,
            )
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            path,
            f"{block.name} is resizeable only up to {maximum:#x} on the destination",
            dest.section_failure(
                section,
                dest.message(
                    "ram_size_too_large", name=block.name, received=block.length, maximum=maximum
                ),
            ),
            offset=offset,
            predicted=True,
        )
    return Verdict(
        VerdictKind.REJECT,
        SUBJECT,
        path,
        f"{block.name} is {block.length:#x} bytes on the source and {local:#x} on the "
        "destination, and its length is fixed",
        dest.section_failure(
            section,
            dest.message("ram_size_mismatch", name=block.name, received=block.length, local=local),
        ),
        offset=offset,
    )
