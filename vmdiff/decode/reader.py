"""Walk a capture record by record with the generated parsers, building the model as it goes.

The grammar (ksy/qemu_migration.ksy) says how each record is laid out; this module supplies what
the wire leaves out: where each device body ends (from its layout), which section_id is RAM,
and the page size and capabilities the RAM records depend on.
"""

from __future__ import annotations

import json
import mmap
import struct
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any, TypeVar

from kaitaistruct import KaitaiStream

from vmdiff.decode._generated.qemu_migration import QemuMigration
from vmdiff.decode.kstream import mapped_stream, parse
from vmdiff.decode.ram import RamDecoder
from vmdiff.decode.source import QEVM_MAGIC, Source
from vmdiff.errors import DecodeError, LayoutError
from vmdiff.layouts import StreamLayout, layout_from_json
from vmdiff.layouts.apply import BodyDecoder, LayoutMismatch
from vmdiff.layouts.fit import Fitter
from vmdiff.layouts.layout import VmsdLayout
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
OWN_VMDESC = "the stream's vmdesc"
"""The layout source of a stream decoded with its own vmdesc."""

Progress = Callable[[int], None]
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class _Header:
    """What a section's header says (PART and END: what their START said)."""

    start: int
    kind: str
    section_id: int
    idstr: str
    instance_id: int
    version_id: int

    @property
    def path(self) -> str:
        return f"{self.idstr}[{self.instance_id}]"


@dataclass(slots=True)
class _Reader:
    source: Source
    stream: Stream
    layout: StreamLayout | None
    index_pages: bool
    progress: Progress | None
    ram: RamDecoder | None = None
    ram_section_id: int | None = None
    live_sections: dict[int, _Header] = field(default_factory=dict)
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
            lambda: QemuMigration.ConfigurationRecord(io), io, pos, "the CONFIGURATION record"
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
        record = self._kaitai(lambda: QemuMigration.VmdescRecord(io), io, pos, "the vmdesc")
        vmdesc_end = int(io.pos())
        json_start = pos + 5
        try:
            document = json.loads(bytes(record.json))
        except json.JSONDecodeError as err:
            self.stream.vmdesc = Vmdesc(Span(pos, vmdesc_end), None, f"not valid JSON: {err}")
            raise DecodeError(json_start + err.pos, "the vmdesc's JSON", err.msg) from None
        except (ValueError, RecursionError) as err:
            self.stream.vmdesc = Vmdesc(Span(pos, vmdesc_end), None, f"not valid JSON: {err}")
            raise DecodeError(json_start, "the vmdesc's JSON", str(err)) from None
        if not isinstance(document, dict):
            self.stream.vmdesc = Vmdesc(Span(pos, vmdesc_end), None, "not a JSON object")
            raise DecodeError(json_start, "a JSON object (the vmdesc)", type(document).__name__)
        self.found_vmdesc = Vmdesc(Span(pos, vmdesc_end), document)
        self.stream.vmdesc = self.found_vmdesc
        if vmdesc_end < end:
            self.stream.notes.append(f"{end - vmdesc_end} bytes after the vmdesc: ignored")

    # -- sections -------------------------------------------------------------------------

    def _section(self, start: int, end: int, kind: str) -> tuple[Section, int]:
        io = mapped_stream(self.buf, start + 1, end)
        if kind in ("start", "full"):
            header = self._kaitai(
                lambda: QemuMigration.SectionStartHeader(io), io, start, "a section header"
            )
            head = _Header(
                start,
                kind,
                header.section_id,
                header.idstr.text,
                header.instance_id,
                header.version_id,
            )
        else:
            part = self._kaitai(
                lambda: QemuMigration.SectionPartHeader(io), io, start, "a section id"
            )
            if part.section_id == self.ram_section_id:
                head = _Header(start, kind, part.section_id, "ram", 0, 4)
            elif part.section_id in self.live_sections:
                head = replace(self.live_sections[part.section_id], start=start, kind=kind)
            else:
                raise DecodeError(
                    start + 1, "the section_id of an earlier START", f"{part.section_id}"
                )
        body_start = int(io.pos())
        if head.idstr == "ram" and kind != "full":
            if kind == "start":
                self.ram_section_id = head.section_id
            assert self.ram is not None
            body_end = self.ram.decode_body(body_start, end)
            return self._finish(head, end, Span(body_start, body_end))
        if kind == "start":
            self.live_sections[head.section_id] = head
        return self._device_section(head, end, body_start)

    def _finish(self, head: _Header, end: int, body: Span, **extra: Any) -> tuple[Section, int]:
        footer = self._footer(body.end, end, head.section_id, head.idstr)
        stop = footer.end if footer else body.end
        section = Section(
            head.kind,
            head.section_id,
            head.idstr,
            head.instance_id,
            head.version_id,
            Span(head.start, stop),
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

    def _device_section(self, head: _Header, end: int, body_start: int) -> tuple[Section, int]:
        """A device body: decoded with its layout, fitted to its footer, or shown raw."""
        layout = self.layout
        vmsd = layout.for_section(head.idstr, head.instance_id) if layout else None
        if head.kind != "full":
            return self._raw_section(head, end, body_start, None)
        if layout is None or vmsd is None:
            missing = SectionProblem("no layout for this device: shown as raw bytes")
            return self._raw_section(head, end, body_start, missing)
        problem: SectionProblem | None = None
        if layout.exact:
            decoded = self._decode_exact(head, end, body_start, layout, vmsd)
            if isinstance(decoded, tuple):
                return decoded
            problem = decoded
            if layout.source == OWN_VMDESC:
                # The stream's own description is wrong: say so, do not paper over it.
                return self._raw_section(head, end, body_start, problem, layout.source)
        return self._fit(head, end, body_start, layout, vmsd, problem)

    def _decode_exact(
        self, head: _Header, end: int, body_start: int, layout: StreamLayout, vmsd: VmsdLayout
    ) -> tuple[Section, int] | SectionProblem:
        decoder = BodyDecoder(self.buf, end, layout, self._subsection_header)
        try:
            fields, subs, body_end = decoder.decode(vmsd, body_start, head.path)
        except LayoutMismatch as mismatch:
            return SectionProblem(
                f"expected {mismatch.expected} (layout from {layout.source}), "
                f"found {mismatch.found}",
                actual_end=mismatch.offset,
            )
        if self._body_ends_at(body_end, end, head.section_id):
            body = Span(body_start, body_end)
            return self._finish(
                head,
                end,
                body,
                vmsd_name=vmsd.name,
                fields=fields,
                subsections=subs,
                layout_source=layout.source,
            )
        if self._is_footer(body_end, end, None):
            # The layout ends the body on a footer with another id: the footer is wrong.
            (found,) = _BE32.unpack_from(self.buf, body_end + 1)
            raise DecodeError(
                body_end + 1,
                f"the footer's section_id {head.section_id} ({head.idstr})",
                f"{found}",
            )
        found = f"{self.buf[body_end]:#04x}" if body_end < end else "end of file"
        return SectionProblem(
            f"expected the footer of section {head.section_id} where the layout from "
            f"{layout.source} ends the body, found {found}",
            actual_end=body_end,
        )

    def _fit(
        self,
        head: _Header,
        end: int,
        body_start: int,
        layout: StreamLayout,
        vmsd: VmsdLayout,
        problem: SectionProblem | None,
    ) -> tuple[Section, int]:
        """Decode with an approximate layout, if exactly one reading fits up to the footer."""
        body_end = self._find_body_end(head, end, body_start)
        fitter = Fitter(self.buf, layout)
        candidates = [vmsd] + [v for v in layout.section_vmsds(vmsd.name) if v != vmsd]
        results = [fitter.fit(c, head.version_id, body_start, body_end) for c in candidates]
        fitting = [r for r in results if r.vmsd is not None]
        result = fitting[0] if len(fitting) == 1 else results[0]
        reason = result.reason
        if len(fitting) > 1:
            reason = f"{len(fitting)} vmsds called {vmsd.name!r} fit"
        if result.vmsd is not None:
            decoder = BodyDecoder(self.buf, body_end, layout, self._subsection_header)
            try:
                fields, subs, decoded_end = decoder.decode(result.vmsd, body_start, head.path)
            except LayoutMismatch as mismatch:
                reason = f"at {mismatch.offset:#x}: {mismatch}"
            else:
                if decoded_end != body_end:
                    reason = f"the fitted reading ends at {decoded_end:#x}"
        if reason:
            message = f"the layout from {layout.source} cannot explain this body: {reason}"
            actual_end = None
            if problem is not None:
                message, actual_end = f"{problem.message}; {message}", problem.actual_end
            return self._raw_section(
                head, end, body_start, SectionProblem(message, actual_end=actual_end), layout.source
            )
        source = f"{layout.source} (fitted to the footer"
        source += (
            f", inferred the length of {', '.join(result.inferred)})" if result.inferred else ")"
        )
        if problem is not None:
            # The layout did not fit as given; say so even though fitting explained the body.
            problem = SectionProblem(
                f"{problem.message}; decoded by fitting the layout to the footer",
                body_end,
                problem.actual_end,
            )
        return self._finish(
            head,
            end,
            Span(body_start, body_end),
            vmsd_name=vmsd.name,
            fields=fields,
            subsections=subs,
            layout_source=source,
            problem=problem,
        )

    def _body_ends_at(self, pos: int, end: int, section_id: int) -> bool:
        if self.footers is False:
            return pos == end or self.buf[pos] in _RECORD_TYPES_AFTER_FOOTER
        return self._is_footer(pos, end, section_id)

    def _is_footer(self, pos: int, end: int, section_id: int | None) -> bool:
        """A footer (for ``section_id``, or any) followed by the end or a record type."""
        if pos + 5 > end or self.buf[pos] != FOOTER_TAG:
            return False
        if section_id is not None and _BE32.unpack_from(self.buf, pos + 1)[0] != section_id:
            return False
        return pos + 5 == end or self.buf[pos + 5] in _RECORD_TYPES_AFTER_FOOTER

    def _find_body_end(self, head: _Header, end: int, body_start: int) -> int:
        """Where the body ends, found by scanning for its footer (no layout needed)."""
        if self.footers is False:
            raise DecodeError(
                body_start, f"a layout for {head.idstr} (no footers to find its end)", "none"
            )
        body_end = self._find_footer(body_start, end, head.section_id)
        if body_end is None:
            raise DecodeError(
                body_start,
                f"the end of {head.idstr}'s body (a footer 7e {head.section_id:08x})",
                "none before the end of the file",
            )
        return body_end

    def _raw_section(
        self,
        head: _Header,
        end: int,
        body_start: int,
        problem: SectionProblem | None,
        layout_source: str | None = None,
    ) -> tuple[Section, int]:
        """The body as raw bytes up to its footer, with the subsection headers seen in it."""
        body_end = self._find_body_end(head, end, body_start)
        if problem is not None:
            problem = SectionProblem(problem.message, body_end, problem.actual_end)
        size = body_end - body_start
        value = bytes(self.buf[body_start:body_end]) if size <= _MAX_INLINE_RAW else None
        raw = Field("raw", f"{head.path}/raw", Span(body_start, body_end), "raw", value)
        guessed = _guess_subsections(self.buf, body_start, body_end, head.idstr, head.path)
        return self._finish(
            head,
            end,
            Span(body_start, body_end),
            fields=(raw,),
            subsections=guessed,
            problem=problem,
            layout_source=layout_source,
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


def printable(text: str) -> str:
    """Text with control characters escaped, so that a name read from a damaged stream
    cannot break the one-line error it appears in."""
    if text.isprintable():
        return text
    return "".join(c if c.isprintable() else repr(c)[1:-1] for c in text)


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
    """Find a vmdesc record that ends the file: 0x06, be32 length, JSON up to the end.

    Searches the mapping in place (nothing copied but the JSON itself).
    """
    data = buf if isinstance(buf, (bytes, bytearray, mmap.mmap)) else bytes(buf)
    low = max(start, end - _VMDESC_SEARCH)
    pos = end
    while True:
        pos = data.rfind(b"\x06", low, pos)
        if pos < 0 or pos + 5 > end:
            return None
        (length,) = _BE32.unpack_from(data, pos + 1)
        if pos + 5 + length == end and data[pos + 5 : pos + 6] == b"{":
            return pos, bytes(data[pos + 5 : end])


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
            own = layout_from_json(stream.vmdesc.json, OWN_VMDESC)
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
        return layout_from_json(json.loads(located[1]), OWN_VMDESC)
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
        if source.size == source.stream_offset:
            raise DecodeError(source.stream_offset, "a QEMU migration stream", "an empty file")
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
        stream.fault = Fault(err.offset, printable(err.expected), printable(err.found))
    except RecursionError:
        stream.fault = Fault(0, "a stream nested less deeply", "too deep")
    return stream
