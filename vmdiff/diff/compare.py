"""compare(a, b): what differs between two decoded migration streams, by meaning, not bytes."""

from __future__ import annotations

from collections.abc import Sequence

from vmdiff.decode import Capture
from vmdiff.diff.align import pair_by_key, pair_fields, pair_sections, pair_subsections
from vmdiff.diff.difference import (
    Category,
    ChangeKind,
    Difference,
    DiffResult,
    DiffValue,
    PageRange,
    StreamInfo,
)
from vmdiff.diff.filters import any_matches, path_matches
from vmdiff.diff.options import CompareOptions
from vmdiff.diff.ram import PageDigests, compare_pages, indexed
from vmdiff.diff.volatile import VOLATILE_BYTES, VOLATILE_PATHS
from vmdiff.model import (
    Buffer,
    Command,
    Field,
    RamBlock,
    RamSummary,
    Section,
    Span,
    Stream,
    Subsection,
)

Side = Capture | Stream


def compare(a: Side, b: Side, options: CompareOptions | None = None) -> DiffResult:
    """Every difference between stream A and stream B, after the filters in ``options``.

    Pass Captures (from ``open_capture(..., index_pages=True)``) to compare RAM page contents
    and raw fields; with bare Streams, RAM compares by blocks and lengths only.
    """
    return _Comparison(a, b, options or CompareOptions()).run()


def _stream(side: Side) -> Stream:
    return side.stream if isinstance(side, Capture) else side


def _buffer(side: Side) -> Buffer | None:
    return side.source.buf if isinstance(side, Capture) else None


def _info(stream: Stream) -> StreamInfo:
    return StreamInfo(stream.path, stream.machine_type, stream.file_size, stream.fault)


class _Comparison:
    """The state of one comparison: both sides, the filters, and what was found so far."""

    def __init__(self, a: Side, b: Side, options: CompareOptions) -> None:
        self.a, self.b = _stream(a), _stream(b)
        self.buf_a, self.buf_b = _buffer(a), _buffer(b)
        self.options = options
        self.ignore = options.ignore + (VOLATILE_PATHS if options.ignore_volatile else ())
        self.result = DiffResult(_info(self.a), _info(self.b), options=options)

    def run(self) -> DiffResult:
        for label, stream in (("A", self.a), ("B", self.b)):
            if stream.fault is not None:
                self.result.notes.append(
                    f"{label} ({stream.path}) stopped at {stream.fault.message}: "
                    "only what came before it was compared"
                )
        if self._wanted("configuration"):
            self._configuration()
        if self._wanted("command"):
            self._commands()
        self._sections()
        if self.options.ram and self._wanted("ram"):
            self._ram()
        if self._wanted("vmdesc"):
            self._vmdesc()
        return self.result

    # Filtering and recording

    def _wanted(self, *names: str) -> bool:
        patterns = self.options.sections
        return not patterns or any(any_matches(name, patterns) for name in names)

    def _add(self, difference: Difference) -> None:
        if any_matches(difference.path, self.ignore):
            self.result.ignored += 1
        else:
            self.result.differences.append(difference)

    def _presence(
        self,
        path: str,
        category: Category,
        group: str,
        a: DiffValue,
        b: DiffValue,
        span_a: Span | None,
        span_b: Span | None,
        present_a: bool,
        type_name: str | None = None,
    ) -> None:
        kind = ChangeKind.ONLY_IN_A if present_a else ChangeKind.ONLY_IN_B
        self._add(
            Difference(path, kind, category, group, a, b, type_name, span_a=span_a, span_b=span_b)
        )

    # Stream-level records

    def _configuration(self) -> None:
        config_a, config_b = self.a.configuration, self.b.configuration
        group = "configuration"
        if config_a is None or config_b is None:
            if config_a is not None or config_b is not None:
                present = config_a is not None
                self._presence(
                    group,
                    Category.CONFIGURATION,
                    group,
                    config_a.machine_type if config_a else None,
                    config_b.machine_type if config_b else None,
                    config_a.span if config_a else None,
                    config_b.span if config_b else None,
                    present,
                )
            return
        values: list[tuple[str, DiffValue, DiffValue]] = [
            ("machine_type", config_a.machine_type, config_b.machine_type),
            ("capabilities", config_a.capabilities or (), config_b.capabilities or ()),
            ("uuid", config_a.uuid, config_b.uuid),
            ("target_page_bits", config_a.target_page_bits, config_b.target_page_bits),
        ]
        for name, value_a, value_b in values:
            if value_a != value_b:
                self._add(
                    Difference(
                        f"configuration/{name}",
                        ChangeKind.VALUE_CHANGED,
                        Category.CONFIGURATION,
                        group,
                        value_a,
                        value_b,
                        span_a=config_a.span,
                        span_b=config_b.span,
                    )
                )

    def _commands(self) -> None:
        pairs = pair_by_key(_commands(self.a), _commands(self.b), lambda c: c.name)
        for command_a, command_b in pairs:
            either = command_a or command_b
            assert either is not None
            if command_a is None or command_b is None:
                self._presence(
                    either.path,
                    Category.COMMAND,
                    either.path,
                    command_a.data if command_a else None,
                    command_b.data if command_b else None,
                    command_a.span if command_a else None,
                    command_b.span if command_b else None,
                    command_a is not None,
                )
            elif command_a.data != command_b.data:
                self._add(
                    Difference(
                        either.path,
                        ChangeKind.VALUE_CHANGED,
                        Category.COMMAND,
                        either.path,
                        command_a.data,
                        command_b.data,
                        span_a=command_a.span,
                        span_b=command_b.span,
                    )
                )

    def _vmdesc(self) -> None:
        vmdesc_a, vmdesc_b = self.a.vmdesc, self.b.vmdesc
        missing = self.a if vmdesc_a is None else self.b
        if (vmdesc_a is None) != (vmdesc_b is None) and missing.fault is None:
            self._presence(
                "vmdesc",
                Category.RECORD,
                "vmdesc",
                vmdesc_a.span.size if vmdesc_a else None,
                vmdesc_b.span.size if vmdesc_b else None,
                vmdesc_a.span if vmdesc_a else None,
                vmdesc_b.span if vmdesc_b else None,
                vmdesc_a is not None,
            )

    # Device state

    def _sections(self) -> None:
        pairs = [pair for pair in pair_sections(self.a, self.b) if self._section_wanted(*pair)]
        last_paired = max((i for i, (a, b) in enumerate(pairs) if a and b), default=-1)
        beyond = {"A": 0, "B": 0}
        for index, (section_a, section_b) in enumerate(pairs):
            # Past the last section both streams have, a stream that stopped at a fault
            # simply never got there: that is not a difference.
            if index > last_paired and section_a is None and self.a.fault is not None:
                beyond["B"] += 1
            elif index > last_paired and section_b is None and self.b.fault is not None:
                beyond["A"] += 1
            else:
                self._section(section_a, section_b)
        for label, count in beyond.items():
            if count:
                other = "B" if label == "A" else "A"
                self.result.notes.append(
                    f"{count} section{'s' if count > 1 else ''} of {label} come after the "
                    f"point where {other} stopped, not compared"
                )

    def _section_wanted(self, a: Section | None, b: Section | None) -> bool:
        either = a or b
        assert either is not None
        return not either.is_ram and self._wanted(either.idstr, either.path)

    def _section(self, a: Section | None, b: Section | None) -> None:
        either = a or b
        assert either is not None
        group = either.path
        if not self._pair(group, Category.SECTION, group, a, b):
            return
        assert a is not None and b is not None
        if _undecoded(a) or _undecoded(b):
            self._bodies(a, b)
            return
        for label, section in (("A", a), ("B", b)):
            if section.problem is not None:
                self.result.notes.append(
                    f"{section.path} in {label}: {section.problem.message}; "
                    "compared as far as it was decoded"
                )
        self._fields(a.fields, b.fields, group)
        self._subsections(a.subsections, b.subsections, group)

    def _pair(
        self,
        path: str,
        category: Category,
        group: str,
        a: Section | Subsection | None,
        b: Section | Subsection | None,
    ) -> bool:
        """Record a part sent by one side only, or a version change; True when both sent it."""
        if a is None or b is None:
            self._presence(
                path,
                category,
                group,
                a.version_id if a else None,
                b.version_id if b else None,
                a.span if a else None,
                b.span if b else None,
                a is not None,
            )
            return False
        if a.version_id != b.version_id:
            self._add(
                Difference(
                    path,
                    ChangeKind.VERSION_CHANGED,
                    category,
                    group,
                    a.version_id,
                    b.version_id,
                    span_a=a.span,
                    span_b=b.span,
                )
            )
        return True

    def _bodies(self, a: Section, b: Section) -> None:
        """Sections one side could not decode into fields: compare their bodies byte by byte."""
        if self.buf_a is None or self.buf_b is None:
            self.result.notes.append(
                f"{a.path}: not decoded into fields in both streams, and the bytes are not "
                "at hand (compare Captures, not Streams): not compared"
            )
            return
        body_a = bytes(self.buf_a[a.body.start : a.body.end])
        body_b = bytes(self.buf_b[b.body.start : b.body.end])
        if body_a == body_b:
            return
        offset = _first_difference(body_a, body_b, frozenset())
        kind = ChangeKind.VALUE_CHANGED if len(body_a) == len(body_b) else ChangeKind.SIZE_CHANGED
        self._add(
            Difference(
                a.path,
                kind,
                Category.SECTION,
                a.path,
                body_a,
                body_b,
                "raw",
                span_a=a.body,
                span_b=b.body,
                offset=offset,
            )
        )
        self.result.notes.append(
            f"{a.path}: no layout on one side, so its body was compared as raw bytes"
        )

    def _subsections(self, a: Sequence[Subsection], b: Sequence[Subsection], group: str) -> None:
        for sub_a, sub_b in pair_subsections(a, b):
            either = sub_a or sub_b
            assert either is not None
            if not self._pair(either.path, Category.SUBSECTION, group, sub_a, sub_b):
                continue
            assert sub_a is not None and sub_b is not None
            self._fields(sub_a.fields, sub_b.fields, group)
            self._subsections(sub_a.subsections, sub_b.subsections, group)

    def _fields(self, a: Sequence[Field], b: Sequence[Field], group: str) -> None:
        for field_a, field_b in pair_fields(a, b):
            if field_a is None or field_b is None:
                either = field_a or field_b
                assert either is not None
                self._presence(
                    either.path,
                    Category.FIELD,
                    group,
                    field_a.value if field_a else None,
                    field_b.value if field_b else None,
                    field_a.span if field_a else None,
                    field_b.span if field_b else None,
                    field_a is not None,
                    either.type_name,
                )
            else:
                self._field(field_a, field_b, group)

    def _field(self, a: Field, b: Field, group: str) -> None:
        if a.children or b.children:
            if len(a.children) != len(b.children):
                self._add(
                    Difference(
                        a.path,
                        ChangeKind.SIZE_CHANGED,
                        Category.FIELD,
                        group,
                        len(a.children),
                        len(b.children),
                        type_name=a.type_name,
                        span_a=a.span,
                        span_b=b.span,
                    )
                )
            if _is_array(a) and _is_array(b):
                # Elements past the shorter array are covered by the size change above.
                common = min(len(a.children), len(b.children))
                self._fields(a.children[:common], b.children[:common], group)
            else:
                self._fields(a.children, b.children, group)
        else:
            value_a, value_b = _value(a, self.buf_a), _value(b, self.buf_b)
            if isinstance(value_a, bytes) and isinstance(value_b, bytes):
                self._buffer(a, b, value_a, value_b, group)
            elif not _same(value_a, value_b):
                self._add(
                    Difference(
                        a.path,
                        ChangeKind.VALUE_CHANGED,
                        Category.FIELD,
                        group,
                        value_a,
                        value_b,
                        type_name=a.type_name,
                        span_a=a.span,
                        span_b=b.span,
                    )
                )
        self._subsections(a.subsections, b.subsections, group)

    def _buffer(self, a: Field, b: Field, value_a: bytes, value_b: bytes, group: str) -> None:
        if value_a == value_b:
            return
        offset = _first_difference(value_a, value_b, self._volatile_bytes(a.path))
        if offset is None:
            self.result.ignored += 1
            return
        kind = ChangeKind.VALUE_CHANGED if len(value_a) == len(value_b) else ChangeKind.SIZE_CHANGED
        self._add(
            Difference(
                a.path,
                kind,
                Category.FIELD,
                group,
                value_a,
                value_b,
                type_name=a.type_name,
                span_a=a.span,
                span_b=b.span,
                offset=offset,
            )
        )

    def _volatile_bytes(self, path: str) -> frozenset[int]:
        if not self.options.ignore_volatile:
            return frozenset()
        return frozenset().union(
            *(v.byte_offsets for v in VOLATILE_BYTES if path_matches(path, v.pattern))
        )

    # RAM

    def _ram(self) -> None:
        ram_a, ram_b = self.a.ram, self.b.ram
        if ram_a is None or ram_b is None:
            if ram_a is not None or ram_b is not None:
                self._presence(
                    "ram",
                    Category.RAM,
                    "ram",
                    ram_a.total_length if ram_a else None,
                    ram_b.total_length if ram_b else None,
                    None,
                    None,
                    ram_a is not None,
                )
            return
        if ram_a.mapped_ram != ram_b.mapped_ram:
            self._add(
                Difference(
                    "ram",
                    ChangeKind.VALUE_CHANGED,
                    Category.RAM,
                    "ram",
                    _layout(ram_a),
                    _layout(ram_b),
                )
            )
        contents = self._contents_comparable(ram_a, ram_b)
        blocks = pair_by_key(list(ram_a.blocks.values()), list(ram_b.blocks.values()), _block_name)
        for block_a, block_b in blocks:
            either = block_a or block_b
            assert either is not None
            path = f"ram/{either.name}"
            if block_a is None or block_b is None:
                self._presence(
                    path,
                    Category.RAM_BLOCK,
                    path,
                    block_a.length if block_a else None,
                    block_b.length if block_b else None,
                    None,
                    None,
                    block_a is not None,
                )
                continue
            if block_a.length != block_b.length:
                self._add(
                    Difference(
                        path,
                        ChangeKind.SIZE_CHANGED,
                        Category.RAM_BLOCK,
                        path,
                        block_a.length,
                        block_b.length,
                    )
                )
            if contents:
                self._pages(path, block_a, block_b, ram_a.page_size)

    def _contents_comparable(self, ram_a: RamSummary, ram_b: RamSummary) -> bool:
        if self.buf_a is None or self.buf_b is None or not (indexed(ram_a) and indexed(ram_b)):
            self.result.notes.append(
                "RAM page contents were not compared: decode both captures with index_pages=True"
            )
            return False
        if ram_a.page_size != ram_b.page_size:
            self.result.notes.append(
                f"RAM page contents were not compared: page sizes differ "
                f"({ram_a.page_size} and {ram_b.page_size})"
            )
            return False
        return True

    def _pages(self, path: str, block_a: RamBlock, block_b: RamBlock, page_size: int) -> None:
        assert self.buf_a is not None and self.buf_b is not None
        found = compare_pages(
            PageDigests(self.buf_a, block_a, page_size),
            PageDigests(self.buf_b, block_b, page_size),
            partial_a=self.a.fault is not None,
            partial_b=self.b.fault is not None,
        )
        if found.unsent:
            self.result.notes.append(
                f"{path}: {_pages(found.unsent)} sent by only one stream, the other having "
                "stopped at a fault, not compared"
            )
        if found.unknown:
            self.result.notes.append(
                f"{path}: {_pages(found.unknown)} could not be reconstructed "
                "(XBZRLE or corrupt compressed pages), not compared"
            )
        if found.pages:
            self._add(
                Difference(
                    path,
                    ChangeKind.VALUE_CHANGED,
                    Category.RAM_BLOCK,
                    path,
                    pages=found.pages,
                    ranges=tuple(
                        PageRange(first * page_size, last * page_size)
                        for first, last in found.ranges
                    ),
                    page_size=page_size,
                )
            )


def _commands(stream: Stream) -> list[Command]:
    found: list[Command] = []
    for record in stream.records:
        if isinstance(record, Command):
            found.append(record)
            found.extend(r for r in record.records if isinstance(r, Command))
    return found


def _block_name(block: RamBlock) -> str:
    return block.name


def _layout(ram: RamSummary) -> str:
    return "mapped-ram" if ram.mapped_ram else "stream"


def _value(field: Field, buf: Buffer | None) -> DiffValue:
    """The field's value; raw bytes the decoder left in the file are read from it."""
    if field.value is None and field.type_name == "raw" and buf is not None and field.span.size:
        return bytes(buf[field.span.start : field.span.end])
    return field.value


def _first_difference(a: bytes, b: bytes, skip: frozenset[int]) -> int | None:
    """The first differing byte outside ``skip``; the shorter length if only lengths differ."""
    common = min(len(a), len(b))
    if not skip:
        found = next((i for i in range(common) if a[i] != b[i]), None)
    else:
        found = next((i for i in range(common) if a[i] != b[i] and i not in skip), None)
    if found is None and len(a) != len(b):
        return common
    return found


def _pages(count: int) -> str:
    return "1 page" if count == 1 else f"{count} pages"


def _undecoded(section: Section) -> bool:
    # The decoder keeps a section it has no layout for as one raw field (plus any
    # subsections it could recognise in the bytes).
    return section.vmsd_name is None and any(f.type_name == "raw" for f in section.fields)


def _is_array(field: Field) -> bool:
    return all(child.name.endswith("]") for child in field.children)


def _same(a: DiffValue, b: DiffValue) -> bool:
    # Floats restored from the wire can be NaN, which never equals itself.
    if isinstance(a, float) and isinstance(b, float) and a != a and b != b:
        return True
    return a == b


__all__ = ["CompareOptions", "compare"]
