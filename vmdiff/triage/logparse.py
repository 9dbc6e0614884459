"""Recognise the migration errors a destination QEMU prints, across QEMU versions.

QEMU's load errors are terse and their wording changes between releases (7.2 and 10.0 print the
same texts; the 10.1+ error-propagation series reworded several). Each pattern below names one
family of failure and pulls out what points into the stream: idstr, instance, section id,
subsection, RAM block, version.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from enum import StrEnum


class Family(StrEnum):
    """What went wrong, independent of the wording."""

    MACHINE_TYPE = "machine_type"
    CONFIG_MISSING = "configuration_missing"
    CAPABILITY = "capability"
    UUID = "uuid"
    PAGE_BITS = "page_bits"
    NOT_A_STREAM = "not_a_stream"
    STREAM_VERSION = "stream_version"
    UNKNOWN_SECTION = "unknown_section"
    UNKNOWN_SECTION_ID = "unknown_section_id"
    UNKNOWN_SECTION_TYPE = "unknown_section_type"
    SECTION_VERSION = "section_version"
    MISSING_FOOTER = "missing_footer"
    FOOTER_MISMATCH = "footer_mismatch"
    UNKNOWN_SUBSECTION = "unknown_subsection"
    FIELD_LOAD = "field_load"
    VALUE_CHECK = "value_check"
    PCI_CONFIG = "pci_config"
    DEVICE_LOAD = "device_load"
    UNKNOWN_RAMBLOCK = "unknown_ramblock"
    RAM_SIZE = "ram_size"
    RAM_FLAGS = "ram_flags"
    RAM_OTHER = "ram_other"
    COMMAND = "command"
    BLOCKED = "blocked"
    CPU_STATE = "cpu_state"
    MSR_WRITE = "msr_write"
    LOAD_FAILED = "load_failed"


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One recognised line of a destination log."""

    family: Family
    line_no: int
    text: str
    details: dict[str, str] = field(default_factory=dict)

    @property
    def idstr(self) -> str | None:
        """The section idstr (or vmsd name) the line names, if any."""
        return self.details.get("idstr")


_HEX = r"[0-9a-fA-F]+"
# (family, pattern); the first match on a line wins, so specific patterns come first.
_PATTERNS: list[tuple[Family, re.Pattern[str]]] = [
    (
        Family.MACHINE_TYPE,
        re.compile(
            r"Machine type received is '(?P<received>[^']*)' and local is '(?P<local>[^']*)'"
        ),
    ),
    (Family.CONFIG_MISSING, re.compile(r"Configuration section missing")),
    (
        Family.CAPABILITY,
        re.compile(
            r"Capability (?P<capability>\S+) is (?P<local>on|off), but received capability is "
            r"(?P<received>on|off)"
        ),
    ),
    (Family.CAPABILITY, re.compile(r"Received unknown capability (?P<capability>\S+)")),
    (Family.UUID, re.compile(r"UUID received is (?P<received>\S+) and local is (?P<local>\S+)")),
    (
        Family.PAGE_BITS,
        re.compile(r"Received TARGET_PAGE_BITS is (?P<received>\d+) but local is (?P<local>\d+)"),
    ),
    (Family.NOT_A_STREAM, re.compile(r"Not a migration stream")),
    (
        Family.STREAM_VERSION,
        re.compile(
            r"SaveVM v2 format is obsolete|Unsupported migration stream version|"
            r"file version \S+ != \S+|format is no longer supported"
        ),
    ),
    (
        Family.UNKNOWN_SECTION,
        re.compile(r"Unknown (?:savevm )?section or instance '(?P<idstr>[^']*)' (?P<instance>\d+)"),
    ),
    (Family.UNKNOWN_SECTION_TYPE, re.compile(r"Unknown (?:savevm )?section type (?P<type>\d+)")),
    (Family.UNKNOWN_SECTION_ID, re.compile(r"Unknown (?:savevm )?section (?P<section_id>\d+)\b")),
    (
        Family.SECTION_VERSION,
        re.compile(
            r"(?:savevm: )?unsupported version (?P<version>\d+) for '(?P<idstr>[^']*)' "
            r"v(?P<local>\d+)"
        ),
    ),
    (
        Family.SECTION_VERSION,
        re.compile(
            r"(?P<idstr>[^\s:]+): incoming version_id (?P<version>\d+) is too "
            r"(?P<direction>old|new)"
            r" for local (?:minimum )?version_id\s+(?P<local>\d+)"
        ),
    ),
    (Family.MISSING_FOOTER, re.compile(r"Missing section footer for (?P<idstr>\S+)")),
    (
        Family.FOOTER_MISMATCH,
        re.compile(
            rf"Mismatched section id in footer for (?P<idstr>\S+) - read 0x(?P<read>{_HEX}) "
            rf"expected 0x(?P<expected>{_HEX})"
        ),
    ),
    (Family.FOOTER_MISMATCH, re.compile(r"Section footer error, section_id: (?P<section_id>\d+)")),
    (
        Family.UNKNOWN_SUBSECTION,
        re.compile(r"VM subsection '(?P<subsection>[^']*)' in '(?P<idstr>[^']*)' does not exist"),
    ),
    (
        Family.PCI_CONFIG,
        re.compile(
            rf"Bad config data: i=0x(?P<index>{_HEX}) read: (?P<read>{_HEX}) device: "
            rf"(?P<device>{_HEX}) cmask: (?P<cmask>{_HEX}) wmask: (?P<wmask>{_HEX}) "
            rf"w1cmask:\s*(?P<w1cmask>{_HEX})"
        ),
    ),
    (Family.FIELD_LOAD, re.compile(r"Failed to load (?P<idstr>[^:\s]+):(?P<field>\S+)")),
    (
        Family.FIELD_LOAD,
        re.compile(
            r"Failed to load element of type (?P<type>.+?) for (?P<field>\S+?):? (?P<reason>.*)"
        ),
    ),
    (Family.VALUE_CHECK, re.compile(r"Input validation failed: (?P<idstr>[^/\s]+)/(?P<field>\S+)")),
    (
        Family.VALUE_CHECK,
        re.compile(
            r"Invalid value (?P<received>-?\d+) expecting positive value <= (?P<local>-?\d+)"
        ),
    ),
    (
        Family.RAM_FLAGS,
        re.compile(r"Unknown combination of migration flags: 0x(?P<flags>[0-9a-f]+)"),
    ),
    (
        Family.UNKNOWN_RAMBLOCK,
        re.compile(r'Unknown ramblock "(?P<block>[^"]*)", cannot accept migration'),
    ),
    (Family.UNKNOWN_RAMBLOCK, re.compile(r"Can't find block (?P<block>\S+)")),
    (
        Family.RAM_SIZE,
        re.compile(
            rf"(?:Size|Length) mismatch: (?P<block>.+?): 0x(?P<received>{_HEX}) != "
            rf"0x(?P<local>{_HEX})"
        ),
    ),
    (
        Family.RAM_OTHER,
        re.compile(
            r"Found a zero page with value (?P<value>\d+)|Ack, bad migration stream!|"
            r"Illegal RAM offset|Mismatched GPAs for block (?P<block>\S+)|"
            r"Mismatched RAM page size|block (?P<block2>\S+) should not be migrated|"
            r"Received an unexpected compressed page|Failed to decompress XBZRLE page"
        ),
    ),
    (
        Family.DEVICE_LOAD,
        re.compile(
            rf"error while loading state for instance 0x(?P<instance>{_HEX}) of device "
            r"'(?P<idstr>[^']*)'"
        ),
    ),
    (
        Family.DEVICE_LOAD,
        re.compile(r"error while loading state section id (?P<section_id>\d+)\((?P<idstr>[^)]*)\)"),
    ),
    (
        Family.COMMAND,
        re.compile(
            rf"MIG_CMD 0x(?P<cmd>{_HEX}) unknown \(len 0x(?P<len>{_HEX})\)|"
            r"(?P<name>\S+) received with bad length|CMD_PING \(0x[0-9a-f]+\) received with no "
            r"return path"
        ),
    ),
    (Family.BLOCKED, re.compile(r"State blocked by non-migratable device '?(?P<idstr>[^']*)'?")),
    (
        Family.CPU_STATE,
        re.compile(
            r"Received nested state when kernel cannot restore it|Mismatch between user-specified "
            r"TSC frequency and migrated TSC frequency|vCPU set in guest-mode inconsistent|"
            r"Unsupported old non-softfloat CPU state|Guest enabled re-enlightenment"
        ),
    ),
    (Family.MSR_WRITE, re.compile(rf"failed to set MSR 0x(?P<msr>{_HEX}) to 0x(?P<value>{_HEX})")),
    (Family.LOAD_FAILED, re.compile(r"load of migration failed: (?P<reason>.+)")),
]


def parse_log(text: str) -> list[LogEvent]:
    """Every recognised migration error in a log (QEMU's or libvirt's stderr, pasted as is)."""
    return list(_events(text.splitlines()))


def _events(lines: Iterable[str]) -> Iterable[LogEvent]:
    for line_no, line in enumerate(lines, 1):
        for family, pattern in _PATTERNS:
            match = pattern.search(line)
            if match is None:
                continue
            details = {k: v for k, v in match.groupdict().items() if v is not None}
            if "block2" in details:
                details["block"] = details.pop("block2")
            yield LogEvent(family, line_no, line.strip(), details)
            break


def root_cause(events: list[LogEvent]) -> LogEvent | None:
    """The line that says what failed: the first that is not a generic wrapper."""
    wrappers = (Family.LOAD_FAILED, Family.DEVICE_LOAD)
    specific = [e for e in events if e.family not in wrappers]
    if specific:
        return specific[0]
    return events[0] if events else None


def enoent_subsection_failure(events: list[LogEvent]) -> LogEvent | None:
    """7.2-10.0 print only the device and ENOENT for an unknown subsection: find that pair."""
    enoent = any(
        e.family is Family.LOAD_FAILED and "No such file or directory" in e.details["reason"]
        for e in events
    )
    if not enoent:
        return None
    return next((e for e in events if e.family is Family.DEVICE_LOAD), None)
