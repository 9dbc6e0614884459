"""Nodes of a decoded migration stream. Offsets are absolute byte offsets in the input file."""

from __future__ import annotations

import mmap
from array import array
from dataclasses import dataclass, field
from typing import Any

FieldValue = int | float | bool | bytes | str | tuple[int, ...] | None
Buffer = bytes | bytearray | memoryview | mmap.mmap
"""Anything holding a capture's bytes: a mapping, or bytes in memory."""


@dataclass(frozen=True, slots=True)
class Span:
    """Bytes [start, end) of the input file."""

    start: int
    end: int

    @property
    def size(self) -> int:
        """Length in bytes."""
        return self.end - self.start

    def __contains__(self, offset: object) -> bool:
        return isinstance(offset, int) and self.start <= offset < self.end


@dataclass(frozen=True, slots=True)
class Field:
    """One VMState field; arrays and structs hold their elements as children."""

    name: str
    path: str
    span: Span
    type_name: str
    value: FieldValue = None
    children: tuple[Field, ...] = ()
    subsections: tuple[Subsection, ...] = ()


@dataclass(frozen=True, slots=True)
class Subsection:
    """An optional part of a device's state, sent when the source's needed() said so."""

    name: str
    path: str
    span: Span
    version_id: int
    fields: tuple[Field, ...] = ()
    subsections: tuple[Subsection, ...] = ()
    guessed: bool = False


@dataclass(frozen=True, slots=True)
class SectionProblem:
    """Why a section body could not be decoded as its layout says."""

    message: str
    expected_end: int | None = None
    actual_end: int | None = None


@dataclass(frozen=True, slots=True)
class Section:
    """A START, PART, END or FULL record with its decoded body."""

    kind: str  # "start" | "part" | "end" | "full"
    section_id: int
    idstr: str
    instance_id: int
    version_id: int
    span: Span
    body: Span
    footer: Span | None
    vmsd_name: str | None = None
    fields: tuple[Field, ...] = ()
    subsections: tuple[Subsection, ...] = ()
    problem: SectionProblem | None = None
    layout_source: str | None = None

    @property
    def path(self) -> str:
        """The key that diffs, verdicts and the TUI share, e.g. ``cpu[0]``."""
        return f"{self.idstr}[{self.instance_id}]"

    @property
    def is_ram(self) -> bool:
        """True for the iterative "ram" handler's records."""
        return self.idstr == "ram"


@dataclass(frozen=True, slots=True)
class Command:
    """A QEMU_VM_COMMAND record; PACKAGED carries a nested stream of records."""

    name: str
    cmd: int
    span: Span
    data: bytes
    records: tuple[Record, ...] = ()

    @property
    def path(self) -> str:
        """E.g. ``command/switchover_start``."""
        return f"command/{self.name}"


@dataclass(frozen=True, slots=True)
class EndOfStream:
    """The QEMU_VM_EOF byte that ends the device state."""

    span: Span
    path: str = "eof"


Record = Section | Command | EndOfStream


@dataclass(frozen=True, slots=True)
class Configuration:
    """The CONFIGURATION record: machine type and the optional subsections."""

    span: Span
    machine_type: str
    capabilities: tuple[str, ...] | None = None
    uuid: bytes | None = None
    target_page_bits: int | None = None
    subsections: tuple[Subsection, ...] = ()


@dataclass(frozen=True, slots=True)
class MappedRamInfo:
    """Where a mapped-ram block's bitmap and pages sit in the file."""

    version: int
    page_size: int
    bitmap_offset: int
    pages_offset: int


@dataclass(slots=True)
class RamBlock:
    """One RAMBlock: its announced length and what the stream sent for it."""

    name: str
    length: int
    guest_address: int | None = None
    mapped: MappedRamInfo | None = None
    zero_pages: int = 0
    full_pages: int = 0
    xbzrle_pages: int = 0
    compressed_pages: int = 0
    payload_bytes: int = 0
    passes: int = 0
    page_offsets: array[int] | None = field(default=None, repr=False)

    @property
    def pages_sent(self) -> int:
        """Every page record for this block, repeats included."""
        return self.zero_pages + self.full_pages + self.xbzrle_pages + self.compressed_pages


@dataclass(slots=True)
class RamSummary:
    """RAM as the stream announced and sent it, per block."""

    page_size: int
    total_length: int = 0
    blocks: dict[str, RamBlock] = field(default_factory=dict)
    records: int = 0
    multifd_flushes: int = 0
    hook_records: int = 0
    mapped_ram: bool = False


@dataclass(frozen=True, slots=True)
class Vmdesc:
    """The JSON trailer describing every device body, as QEMU wrote it."""

    span: Span
    json: dict[str, Any] | None
    error: str | None = None


@dataclass(frozen=True, slots=True)
class Fault:
    """Where and why decoding stopped."""

    offset: int
    expected: str
    found: str

    @property
    def message(self) -> str:
        """One line, as the CLI prints it."""
        return f"offset {self.offset:#x}: expected {self.expected}, found {self.found}"


@dataclass(frozen=True, slots=True)
class Container:
    """What wraps the QEMU stream in the input: a libvirt save image, or a compressor.

    ``kind`` is "libvirt" or "compressed"; ``format`` is raw, gzip, bzip2, xz, lzop, zstd or
    sparse. With a compressed payload, stream offsets count in the unpacked stream.
    """

    kind: str
    format: str
    payload_offset: int = 0
    magic: str | None = None
    partial: bool = False
    version: int | None = None
    data_len: int | None = None
    was_running: bool | None = None
    cookie_offset: int | None = None
    domain_xml: str | None = None
    cookie_xml: str | None = None
    byte_order: str = "little"


@dataclass(slots=True)
class Stream:
    """Everything decoded from one capture, up to the end or to the first fault."""

    path: str
    file_size: int
    stream_offset: int = 0
    version: int | None = None
    configuration: Configuration | None = None
    records: list[Record] = field(default_factory=list)
    ram: RamSummary | None = None
    vmdesc: Vmdesc | None = None
    layout_source: str | None = None
    fault: Fault | None = None
    notes: list[str] = field(default_factory=list)
    container: Container | None = None

    @property
    def machine_type(self) -> str | None:
        """The canonical machine type the source ran, when the stream says."""
        return self.configuration.machine_type if self.configuration else None

    def iter_sections(self) -> list[Section]:
        """Every section record, nested PACKAGED ones included, in stream order."""
        found: list[Section] = []

        def walk(records: list[Record] | tuple[Record, ...]) -> None:
            for record in records:
                if isinstance(record, Section):
                    found.append(record)
                elif isinstance(record, Command):
                    walk(record.records)

        walk(self.records)
        return found

    def device_sections(self) -> list[Section]:
        """FULL sections: one per device instance."""
        return [s for s in self.iter_sections() if s.kind == "full"]

    def find_section(self, idstr: str, instance_id: int) -> Section | None:
        """The FULL section for (idstr, instance_id), or None."""
        for section in self.device_sections():
            if section.idstr == idstr and section.instance_id == instance_id:
                return section
        return None
