"""Walk a capture record by record with the generated parsers, building the model as it goes.

The grammar (ksy/qemu_migration.ksy) says how each record is laid out; this module supplies what
the wire leaves out: where each device body ends (from its layout), which section_id is RAM,
and the page size and capabilities the RAM records depend on.
"""

from __future__ import annotations

import json
import struct
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from kaitaistruct import KaitaiStream

from vmdiff.decode._generated.qemu_migration import QemuMigration
from vmdiff.decode.kstream import mapped_stream, parse
from vmdiff.decode.ram import RamDecoder
from vmdiff.decode.source import QEVM_MAGIC, Source
from vmdiff.errors import DecodeError, LayoutError
from vmdiff.layouts import StreamLayout, layout_from_json
from vmdiff.layouts.apply import BodyDecoder, LayoutMismatch
from vmdiff.model import (
    Buffer,
    Command,
    Configuration,
    EndOfStream,
    Fault,
    Field,
    RamSummary,
    Record,
    Section,
    SectionProblem,
    Span,
    Stream,
    Subsection,
    Vmdesc,
)

DEFAULT_PAGE_SIZE = 4096
FOOTER_TAG = 0x7E
VMDESC_TAG = 0x06
_RECORD_TYPES_AFTER_FOOTER = frozenset((0x00, 0x01, 0x02, 0x03, 0x04, 0x08))
_SECTION_KINDS = {0x01: "start", 0x02: "part", 0x03: "end", 0x04: "full"}
_MAX_INLINE_RAW = 1 << 20
_VMDESC_SEARCH = 64 << 20
_BE32 = struct.Struct(">I")

Progress = Callable[[int], None]
T = TypeVar("T")


@dataclass(slots=True)
class _Reader:
    source: Source
    stream: Stream
    layout: StreamLayout | None
    index_pages: bool
    progress: Progress | None
    ram: RamDecoder | None = None
    ram_section_id: int | None = None
    live_sections: dict[int, tuple[str, int, int]] = field(default_factory=dict)
    footers: bool | None = None
    found_vmdesc: Vmdesc | None = None

    @property
    def buf(self) -> Buffer:
        return self.source.buf

    # -- the record loop ------------------------------------------------------------------

    def run(self) -> None:
        start, end = self.source.stream_offset, self.source.size
        pos = self._header(start, end)
        pos = self._configuration(pos, end)
        pos = self._records(pos, end, self.stream.records, depth=0)
        self._trailer(pos, end)

    def _header(self, pos: int, end: int) -> int:
        header = self._parse(lambda io: QemuMigration.FileHeader(io), pos, end, "a stream header")
        self.stream.version = header.version
        return pos + 8

    def _configuration(self, pos: int, end: int) -> int:
        if pos >= end or self.buf[pos] != 0x07:
            self.stream.notes.append("no CONFIGURATION record (machine types 2.3 and older)")
            self._start_ram(capabilities=())
            return pos
        io = mapped_stream(self.buf, pos, end)
        record = self._kaitai(
            lambda: QemuMigration.ConfigurationRecord(io), io, pos, "configuration"
        )
        capabilities: tuple[str, ...] | None = None
        uuid: bytes | None = None
        page_bits: int | None = None
        subsections = []
        for sub in getattr(record, "subsections", None) or []:
            body = sub.body
            name = sub.header.name.text
            if isinstance(body, QemuMigration.ConfigCapabilities):
                capabilities = tuple(n.text for n in body.names)
            elif isinstance(body, QemuMigration.ConfigUuid):
                uuid = bytes(body.uuid)
            elif isinstance(body, QemuMigration.ConfigTargetPageBits):
                page_bits = body.bits
            subsections.append(
                Subsection(name, f"configuration/{name}", Span(0, 0), sub.header.version_id)
            )
        end_pos = int(io.pos())
        self.stream.configuration = Configuration(
            span=Span(pos, end_pos),
            machine_type=bytes(record.machine_type).decode("latin-1"),
            capabilities=capabilities,
            uuid=uuid,
            target_page_bits=page_bits,
            subsections=tuple(subsections),
        )
        self._start_ram(capabilities or ())
        return end_pos

    def _start_ram(self, capabilities: tuple[str, ...]) -> None:
        page_size = DEFAULT_PAGE_SIZE
        if self.layout is not None and self.layout.page_size:
            page_size = self.layout.page_size
        else:
            self.stream.notes.append("the page size is not in the stream; assumed 4096 (x86)")
        summary = RamSummary(page_size=page_size, mapped_ram="mapped-ram" in capabilities)
        self.stream.ram = summary
        self.ram = RamDecoder(
            self.buf,
            summary,
            ignore_shared="x-ignore-shared" in capabilities,
            mapped_ram="mapped-ram" in capabilities,
            index_pages=self.index_pages,
        )

    def _records(self, pos: int, end: int, out: list[Record], depth: int) -> int:
        """Read records into ``out`` until EOF (or the end of a PACKAGED payload)."""
        while pos < end:
            if self.progress is not None:
                self.progress(pos)
            rec_type = self.buf[pos]
            if rec_type in _SECTION_KINDS:
                section, pos = self._section(pos, end, _SECTION_KINDS[rec_type])
                out.append(section)
            elif rec_type == 0x08:
                command, pos = self._command(pos, end, depth)
                out.append(command)
            elif rec_type == 0x00 and depth == 0:
                out.append(EndOfStream(Span(pos, pos + 1)))
                return pos + 1
            else:
                raise DecodeError(
                    pos, "a record type (QEMU_VM_*: 0x00-0x04, 0x08)", f"{rec_type:#04x}"
                )
        if depth == 0:
            raise DecodeError(pos, "a record type or EOF (0x00)", "end of file")
        return pos

    def _trailer(self, pos: int, end: int) -> None:
        if pos >= end:
            self.stream.notes.append("no vmdesc after EOF (postcopy, suppress-vmdesc or cut short)")
            return
        if self.buf[pos] != VMDESC_TAG:
            self.stream.notes.append(f"{end - pos} bytes after EOF that are not a vmdesc: ignored")
            return
        io = mapped_stream(self.buf, pos, end)
        record = self._kaitai(lambda: QemuMigration.VmdescRecord(io), io, pos, "vmdesc")
        vmdesc_end = int(io.pos())
        self.found_vmdesc = _vmdesc_model(bytes(record.json), Span(pos, vmdesc_end))
        self.stream.vmdesc = self.found_vmdesc
        if vmdesc_end < end:
            self.stream.notes.append(f"{end - vmdesc_end} bytes after the vmdesc: ignored")

    # -- sections -------------------------------------------------------------------------

    def _section(self, start: int, end: int, kind: str) -> tuple[Section, int]:
        io = mapped_stream(self.buf, start + 1, end)
        if kind in ("start", "full"):
            header = self._kaitai(
                lambda: QemuMigration.SectionStartHeader(io),
                io,
                start,
                "a section header (id, idstr, instance, version)",
            )
            section_id, idstr = header.section_id, header.idstr.text
            instance_id, version_id = header.instance_id, header.version_id
        else:
            part = self._kaitai(
                lambda: QemuMigration.SectionPartHeader(io), io, start, "a section id"
            )
            section_id = part.section_id
            if section_id == self.ram_section_id:
                idstr, instance_id, version_id = "ram", 0, 4
            elif section_id in self.live_sections:
                idstr, instance_id, version_id = self.live_sections[section_id]
            else:
                raise DecodeError(start + 1, "the section_id of an earlier START", f"{section_id}")
        body_start = int(io.pos())
        if idstr == "ram" and kind != "full":
            if kind == "start":
                self.ram_section_id = section_id
            assert self.ram is not None
            body_end = self.ram.decode_body(body_start, end)
            return self._finish(
                start,
                end,
                kind,
                section_id,
                idstr,
                instance_id,
                version_id,
                Span(body_start, body_end),
            )
        if kind == "start":
            self.live_sections[section_id] = (idstr, instance_id, version_id)
        return self._device_section(
            start, end, kind, section_id, idstr, instance_id, version_id, body_start
        )

    def _finish(
        self,
        start: int,
        end: int,
        kind: str,
        section_id: int,
        idstr: str,
        instance_id: int,
        version_id: int,
        body: Span,
        **extra: Any,
    ) -> tuple[Section, int]:
        footer = self._footer(body.end, end, section_id, idstr)
        stop = footer.end if footer else body.end
        section = Section(
            kind,
            section_id,
            idstr,
            instance_id,
            version_id,
            Span(start, stop),
            body,
            footer,
            **extra,
        )
        return section, stop

    def _footer(self, pos: int, end: int, section_id: int, idstr: str) -> Span | None:
        has_tag = pos < end and self.buf[pos] == FOOTER_TAG
        if self.footers is None:
            self.footers = has_tag
            if not has_tag:
                self.stream.notes.append("no section footers (machine types 2.3 and older)")
        if not self.footers:
            return None
        if not has_tag:
            found = f"{self.buf[pos]:#04x}" if pos < end else "end of file"
            raise DecodeError(pos, f"the footer of section {section_id} ({idstr}): 0x7e", found)
        io = mapped_stream(self.buf, pos, end)
        self._kaitai(
            lambda: QemuMigration.SectionFooter(section_id, io),
            io,
            pos,
            f"the footer of section {section_id} ({idstr})",
        )
        return Span(pos, pos + 5)

    def _device_section(
        self,
        start: int,
        end: int,
        kind: str,
        section_id: int,
        idstr: str,
        instance_id: int,
        version_id: int,
        body_start: int,
    ) -> tuple[Section, int]:
        path = f"{idstr}[{instance_id}]"
        vmsd = self.layout.for_section(idstr, instance_id) if self.layout else None
        problem: SectionProblem | None = None
        if vmsd is not None and kind == "full":
            assert self.layout is not None
            decoder = BodyDecoder(self.buf, end, self.layout, self._subsection_header)
            wire_version = None if self.layout.exact else version_id
            try:
                fields, subs, body_end = decoder.decode(vmsd, body_start, path, wire_version)
            except LayoutMismatch as mismatch:
                problem = SectionProblem(
                    f"layout from {self.layout.source} does not fit: {mismatch.message}",
                    actual_end=mismatch.offset,
                )
            else:
                if self._body_ends_at(body_end, end, section_id):
                    return self._finish(
                        start,
                        end,
                        kind,
                        section_id,
                        idstr,
                        instance_id,
                        version_id,
                        Span(body_start, body_end),
                        vmsd_name=vmsd.name,
                        fields=fields,
                        subsections=subs,
                        layout_source=self.layout.source,
                    )
                problem = SectionProblem(
                    f"layout from {self.layout.source} ends the body at {body_end:#x}, "
                    "but the footer is elsewhere",
                    actual_end=body_end,
                )
        elif kind == "full":
            problem = SectionProblem("no layout for this device: shown as raw bytes")
        return self._raw_section(
            start, end, kind, section_id, idstr, instance_id, version_id, body_start, problem
        )

    def _body_ends_at(self, pos: int, end: int, section_id: int) -> bool:
        if self.footers is False:
            return pos == end or self.buf[pos] in _RECORD_TYPES_AFTER_FOOTER
        return self._is_footer(pos, end, section_id)

    def _is_footer(self, pos: int, end: int, section_id: int) -> bool:
        if pos + 5 > end or self.buf[pos] != FOOTER_TAG:
            return False
        if _BE32.unpack_from(self.buf, pos + 1)[0] != section_id:
            return False
        return pos + 5 == end or self.buf[pos + 5] in _RECORD_TYPES_AFTER_FOOTER

    def _raw_section(
        self,
        start: int,
        end: int,
        kind: str,
        section_id: int,
        idstr: str,
        instance_id: int,
        version_id: int,
        body_start: int,
        problem: SectionProblem | None,
    ) -> tuple[Section, int]:
        if self.footers is False:
            raise DecodeError(
                body_start, f"a layout for {idstr} (no footers to find its end)", "none"
            )
        body_end = self._find_footer(body_start, end, section_id)
        if body_end is None:
            raise DecodeError(
                body_start,
                f"the end of {idstr}'s body (a footer 7e {section_id:08x})",
                "none before the end of the file",
            )
        if problem is not None:
            problem = SectionProblem(
                problem.message, expected_end=body_end, actual_end=problem.actual_end
            )
        path = f"{idstr}[{instance_id}]"
        size = body_end - body_start
        value = bytes(self.buf[body_start:body_end]) if size <= _MAX_INLINE_RAW else None
        raw = Field("raw", f"{path}/raw", Span(body_start, body_end), "raw", value)
        guessed = _guess_subsections(self.buf, body_start, body_end, idstr, path)
        return self._finish(
            start,
            end,
            kind,
            section_id,
            idstr,
            instance_id,
            version_id,
            Span(body_start, body_end),
            fields=(raw,),
            subsections=guessed,
            problem=problem,
        )

    def _find_footer(self, pos: int, end: int, section_id: int) -> int | None:
        needle = bytes([FOOTER_TAG]) + _BE32.pack(section_id)
        finder = self.buf.find if isinstance(self.buf, bytes) else self.source.buf.find
        while True:
            found = int(finder(needle, pos, end))
            if found < 0:
                return None
            if self._is_footer(found, end, section_id):
                return found
            pos = found + 1

    def _subsection_header(self, pos: int) -> tuple[str, int, int]:
        io = mapped_stream(self.buf, pos, self.source.size)
        header = self._kaitai(
            lambda: QemuMigration.SubsectionHeader(io), io, pos, "a subsection header"
        )
        return header.name.text, header.version_id, int(io.pos())

    # -- commands -------------------------------------------------------------------------

    def _command(self, start: int, end: int, depth: int) -> tuple[Command, int]:
        io = mapped_stream(self.buf, start + 1, end)
        command = self._kaitai(lambda: QemuMigration.Command(io), io, start, "a command")
        cmd = command.cmd
        name = cmd.name if isinstance(cmd, QemuMigration.MigCmd) else f"unknown_{cmd:#x}"
        number = int(cmd)
        data_start = start + 5
        data = bytes(self.buf[data_start : data_start + command.len])
        pos = int(io.pos())
        nested: list[Record] = []
        if name == "packaged":
            if depth > 0:
                raise DecodeError(start, "a record a PACKAGED payload may hold", "another PACKAGED")
            package_end = pos + command.data.length
            if package_end > end:
                raise DecodeError(
                    data_start, f"{command.data.length} bytes of PACKAGED records", "end of file"
                )
            self._records(pos, package_end, nested, depth + 1)
            pos = package_end
        return Command(name, number, Span(start, pos), data, tuple(nested)), pos

    # -- grammar calls --------------------------------------------------------------------

    def _parse(self, build: Callable[[KaitaiStream], T], pos: int, end: int, what: str) -> T:
        io = mapped_stream(self.buf, pos, end)
        return self._kaitai(lambda: build(io), io, pos, what)

    def _kaitai(self, build: Callable[[], T], io: KaitaiStream, start: int, what: str) -> T:
        return parse(build, io, start, what)


def _vmdesc_model(raw: bytes, span: Span) -> Vmdesc:
    try:
        document = json.loads(raw)
    except (ValueError, RecursionError) as err:
        return Vmdesc(span, None, f"not valid JSON: {err}")
    if not isinstance(document, dict):
        return Vmdesc(span, None, "not a JSON object")
    return Vmdesc(span, document)


def _guess_subsections(
    buf: Buffer, start: int, end: int, idstr: str, path: str
) -> tuple[Subsection, ...]:
    """Subsection headers that seem to sit inside a raw body (guessed from the idstr)."""
    prefix = (idstr.rsplit("/", 1)[-1] + "/").encode("latin-1")
    body = bytes(buf[start:end]) if end - start <= _MAX_INLINE_RAW else b""
    found = []
    at = body.find(prefix)
    while at >= 0:
        name_len = body[at - 1] if at >= 2 else 0
        name = body[at : at + name_len]
        text = name.decode("latin-1")
        plausible = at >= 2 and body[at - 2] == 0x05 and len(name) == name_len
        if plausible and text.isascii() and text.isprintable() and at + name_len + 4 <= len(body):
            (version,) = _BE32.unpack_from(body, at + name_len)
            offset = start + at - 2
            found.append(
                Subsection(text, f"{path}/{text}", Span(offset, offset), version, guessed=True)
            )
        at = body.find(prefix, at + 1)
    return tuple(found)


def find_vmdesc(buf: Buffer, start: int, end: int) -> tuple[int, bytes] | None:
    """Find a vmdesc record that ends the file: 0x06, be32 length, JSON up to the end."""
    view = memoryview(buf)
    low = max(start, end - _VMDESC_SEARCH)
    tail = bytes(view[low:end])
    pos = len(tail)
    while True:
        pos = tail.rfind(b"\x06", 0, pos)
        if pos < 0 or pos + 5 > len(tail):
            return None
        (length,) = _BE32.unpack_from(tail, pos + 1)
        if pos + 5 + length == len(tail) and tail[pos + 5 : pos + 6] == b"{":
            return low + pos, tail[pos + 5 :]


def decode_source(
    source: Source,
    *,
    layout: StreamLayout | None = None,
    index_pages: bool = False,
    progress: Progress | None = None,
) -> Stream:
    """Decode ``source``; stream faults end up in ``Stream.fault``, never as exceptions."""
    stream = _decode_once(source, _own_layout(source) or layout, index_pages, progress)
    if (
        layout is None
        and stream.layout_source is None
        and stream.vmdesc is not None
        and stream.vmdesc.json is not None
    ):
        # The vmdesc was not at the very end (trailing bytes): decode again with it.
        try:
            own = layout_from_json(stream.vmdesc.json, "the stream's vmdesc")
        except LayoutError as err:
            stream.notes.append(f"the vmdesc cannot serve as a layout: {err}")
            return stream
        stream = _decode_once(source, own, index_pages, progress)
    return stream


def _own_layout(source: Source) -> StreamLayout | None:
    if source.size - source.stream_offset < 8:
        return None
    located = find_vmdesc(source.buf, source.stream_offset, source.size)
    if located is None:
        return None
    try:
        return layout_from_json(json.loads(located[1]), "the stream's vmdesc")
    except (ValueError, RecursionError, LayoutError):
        return None  # the trailer is decoded again in stream order, and its fault reported there


def _decode_once(
    source: Source, layout: StreamLayout | None, index_pages: bool, progress: Progress | None
) -> Stream:
    stream = Stream(path=source.path, file_size=source.size, stream_offset=source.stream_offset)
    stream.notes.extend(source.notes)
    stream.layout_source = layout.source if layout else None
    reader = _Reader(source, stream, layout, index_pages, progress)
    try:
        if (
            source.buf[source.stream_offset : source.stream_offset + 4] != QEVM_MAGIC
            and source.size - source.stream_offset >= 4
        ):
            found = bytes(source.buf[source.stream_offset : source.stream_offset + 4])
            raise DecodeError(
                source.stream_offset, "the magic 'QEVM' (a QEMU migration stream)", repr(found)
            )
        reader.run()
    except DecodeError as err:
        stream.fault = Fault(err.offset, err.expected, err.found)
    except RecursionError:
        stream.fault = Fault(0, "a stream nested less deeply", "too deep")
    return stream
