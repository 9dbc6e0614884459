"""The ``vmdiff show`` tree: one line per record, field and subsection, offsets on the right."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from rich.console import Console
from rich.table import Table
from rich.text import Text

from vmdiff.model import Command, EndOfStream, Field, RamBlock, Record, Section, Stream, Subsection
from vmdiff.report.container import container_lines
from vmdiff.report.values import format_bytes, format_field, format_size

FieldFilter = Callable[[Field], bool]
_INDENT = "  "
MAX_TABLE_BLOCKS = 200
"""RAM blocks listed in the text table; real guests have a handful, damaged streams many."""


def render_show(
    stream: Stream,
    console: Console,
    *,
    sections: set[str] | None = None,
    field_filter: FieldFilter | None = None,
    ram_detail: bool = False,
) -> None:
    """Print the stream as an indented tree (restricted to ``sections`` paths if given)."""
    console.print(_title(stream))
    for line in container_lines(stream):
        console.print(line)
    config = stream.configuration
    if config is not None:
        line = Text.assemble(("configuration", "bold"), f"  machine type {config.machine_type}")
        if config.capabilities:
            line.append(f"  capabilities {', '.join(config.capabilities)}")
        if config.uuid is not None:
            line.append(f"  uuid {config.uuid.hex()}")
        if config.target_page_bits is not None:
            line.append(f"  target page bits {config.target_page_bits}")
        console.print(_at(line, config.span.start, config.span.size))
    for line in _records(stream.records, sections, field_filter, 0):
        console.print(line)
    if stream.ram is not None and (sections is None or "ram[0]" in sections):
        console.print(ram_table(stream, detail=ram_detail))
    if stream.vmdesc is not None:
        vmdesc = stream.vmdesc
        devices = len(vmdesc.json.get("devices", [])) if vmdesc.json else 0
        text = f"{devices} devices described" if vmdesc.error is None else vmdesc.error
        console.print(
            _at(Text.assemble(("vmdesc", "bold"), f"  {text}"), vmdesc.span.start, vmdesc.span.size)
        )
    for note in stream.notes:
        console.print(Text(f"note: {note}", style="dim"))


def _title(stream: Stream) -> Text:
    title = Text.assemble((stream.path, "bold"), ": QEMU migration stream")
    if stream.version is not None:
        title.append(f" v{stream.version}")
    title.append(f", {stream.file_size} bytes")
    if stream.stream_offset:
        title.append(f", stream at {stream.stream_offset:#x}")
    if stream.layout_source:
        title.append(f", layouts from {stream.layout_source}")
    return title


def _at(line: Text, offset: int, size: int | None = None) -> Text:
    where = f"  @{offset:#x}" + (f" +{size}" if size is not None else "")
    line.append(where, style="dim")
    return line


def _records(
    records: list[Record] | tuple[Record, ...],
    sections: set[str] | None,
    field_filter: FieldFilter | None,
    depth: int,
) -> Iterator[Text]:
    pad = _INDENT * depth
    for record in records:
        if isinstance(record, Section):
            if sections is not None and record.path not in sections:
                continue
            yield from _section(record, field_filter, pad)
        elif isinstance(record, Command):
            if sections is not None and not record.records:
                continue
            line = Text.assemble(pad, ("COMMAND", "bold magenta"), f" {record.name}")
            if record.data and record.name != "packaged":
                line.append(f" data {record.data.hex()}")
            yield _at(line, record.span.start, record.span.size)
            yield from _records(record.records, sections, field_filter, depth + 1)
        elif isinstance(record, EndOfStream) and sections is None:
            yield _at(Text.assemble(pad, ("EOF", "bold")), record.span.start)


def _section(section: Section, field_filter: FieldFilter | None, pad: str) -> Iterator[Text]:
    line = Text.assemble(
        pad,
        (section.path, "bold cyan"),
        f"  {section.kind.upper()}",
        f"  id {section.section_id}  v{section.version_id}",
    )
    if section.vmsd_name and section.vmsd_name != section.idstr.rsplit("/", 1)[-1]:
        line.append(f"  vmsd {section.vmsd_name}")
    yield _at(line, section.span.start, section.span.size)
    if section.problem is not None:
        yield Text(f"{pad}{_INDENT}! {problem_text(section)}", style="bold red")
    elif section.layout_source and "(fitted" in section.layout_source:
        yield Text(f"{pad}{_INDENT}~ approximate: {section.layout_source}", style="yellow")
    yield from _fields(section.fields, field_filter, pad + _INDENT)
    yield from _subsections(section.subsections, field_filter, pad + _INDENT)


def problem_text(section: Section) -> str:
    """Why a section's body is shown raw, with where its layout and its footer end it."""
    assert section.problem is not None
    problem = section.problem
    text = problem.message
    if problem.actual_end is not None:
        text = f"offset {problem.actual_end:#x}: {text}"
        if problem.expected_end is not None:
            text += f" (its footer is at {problem.expected_end:#x})"
    return text


def _subsections(
    subsections: tuple[Subsection, ...], field_filter: FieldFilter | None, pad: str
) -> Iterator[Text]:
    for sub in subsections:
        label = "subsection (guessed)" if sub.guessed else "subsection"
        line = Text.assemble(pad, (label, "yellow"), f" {sub.name}  v{sub.version_id}")
        yield _at(line, sub.span.start, None if sub.guessed else sub.span.size)
        yield from _fields(sub.fields, field_filter, pad + _INDENT)
        yield from _subsections(sub.subsections, field_filter, pad + _INDENT)


def _fields(
    fields: tuple[Field, ...], field_filter: FieldFilter | None, pad: str
) -> Iterator[Text]:
    for field in fields:
        if field_filter is not None and not _field_matches(field, field_filter):
            continue
        nested = field.type_name in ("struct", "tmp", "vstruct", "qtailq", "qlist") or (
            field.children and any(c.children for c in field.children)
        )
        if nested:
            yield _at(
                Text.assemble(pad, (field.name, "green"), f"  ({field.type_name})"),
                field.span.start,
                field.span.size,
            )
            yield from _fields(field.children, field_filter, pad + _INDENT)
            yield from _subsections(field.subsections, field_filter, pad + _INDENT)
            continue
        value = format_field(field)
        if field.type_name == "raw" and field.value is None:
            value = f"{field.span.size} bytes (not loaded)"
        line = Text.assemble(
            pad, (field.name, "green"), f" = {value}", (f"  {field.type_name}", "dim")
        )
        yield _at(line, field.span.start, field.span.size)


def _field_matches(field: Field, field_filter: FieldFilter) -> bool:
    return field_filter(field) or any(_field_matches(c, field_filter) for c in field.children)


def ram_table(stream: Stream, *, detail: bool = False) -> Table:
    """Per-block RAM statistics; with ``detail``, XBZRLE/compressed pages, bytes and passes,
    and then where each block lives (guest address, mapped-ram bitmap and pages)."""
    assert stream.ram is not None
    ram = stream.ram
    table = Table(
        title=f"RAM: {len(ram.blocks)} blocks, {format_size(ram.total_length)}, "
        f"page size {ram.page_size}, {ram.records} records",
        title_justify="left",
        box=None,
        pad_edge=False,
    )
    table.add_column("block", no_wrap=True)
    columns = ["length", "zero", "full"] + (
        ["xbzrle", "compr.", "payload", "passes"] if detail else []
    )
    for name in columns:
        table.add_column(name, justify="right", no_wrap=True, min_width=len(name))
    blocks = list(ram.blocks.values())[:MAX_TABLE_BLOCKS]
    for block in blocks:
        row = [block.name, format_size(block.length), str(block.zero_pages), str(block.full_pages)]
        if detail:
            row += [
                str(block.xbzrle_pages),
                str(block.compressed_pages),
                format_size(block.payload_bytes),
                str(block.passes),
            ]
        table.add_row(*row)
    notes = []
    if len(ram.blocks) > MAX_TABLE_BLOCKS:
        notes.append(f"… and {len(ram.blocks) - MAX_TABLE_BLOCKS} more blocks (all are in --json)")
    if detail:
        notes += [f"{b.name}: {_block_place(b)}" for b in blocks if _block_place(b)]
    if notes:
        table.caption = "\n".join(notes)
        table.caption_justify = "left"
    return table


def _block_place(block: RamBlock) -> str:
    parts = []
    if block.guest_address is not None:
        parts.append(f"gpa {block.guest_address:#x}")
    if block.mapped is not None:
        parts.append(f"bitmap@{block.mapped.bitmap_offset:#x} pages@{block.mapped.pages_offset:#x}")
    return " ".join(parts)


__all__ = ["format_bytes", "ram_table", "render_show"]
