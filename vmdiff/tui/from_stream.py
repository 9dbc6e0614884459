"""Build the TUI's tree from a decoded Stream: records, fields, subsections, RAM and the fault.

Imports vmdiff.model, vmdiff.decode.ram (page index entries) and vmdiff.report.values; no Textual.
"""

from __future__ import annotations

from collections.abc import Iterator

from vmdiff.model import (
    Command,
    Configuration,
    EndOfStream,
    Field,
    Record,
    Section,
    Span,
    Stream,
    Subsection,
)
from vmdiff.report.container import container_lines
from vmdiff.report.values import format_field, format_size
from vmdiff.tui.outline import Counts, Outline, OutlineNode, Part
from vmdiff.tui.ram_pages import ram_node

SUMMARY_LIMIT = 16
DETAIL_LIMIT = 64
XML_LIMIT = 4000
_NESTED_TYPES = ("struct", "tmp", "vstruct", "qtailq", "qlist")


def build_outline(stream: Stream, *, side: str = "a") -> Outline:
    """Turn a decoded Stream into the tree the TUI shows."""
    counts = Counts()
    name = stream.path.rsplit("/", 1)[-1]
    version = f"v{stream.version}" if stream.version is not None else "no header"
    root = OutlineNode(
        "stream",
        name,
        "",
        span=Span(0, stream.file_size),
        summary=f"QEMU migration stream {version}, {format_size(stream.file_size)}",
        side=side,
    )
    if stream.container is not None or stream.stream_offset:
        root.add(_container(stream, side))
    if stream.version is not None:
        start = stream.stream_offset
        header = Span(start, start + 8)
        root.add(
            OutlineNode(
                "header",
                "header",
                "header",
                span=header,
                parts=(("header", header),),
                summary=f"magic QEVM, version {stream.version}",
                version=stream.version,
                side=side,
            )
        )
    if stream.configuration is not None:
        root.add(_configuration(stream.configuration, side))
    if stream.ram is not None and stream.ram.blocks:
        root.add(ram_node(stream.ram, side))
    for record in stream.records:
        root.add(_record(record, counts, side))
    if stream.fault is not None:
        decoded_end = max((c.span.end for c in root.children if c.span is not None), default=0)
        root.add(_fault(stream, decoded_end, side))
        counts.problems += 1
    if stream.vmdesc is not None:
        vmdesc = stream.vmdesc
        devices = len(vmdesc.json.get("devices", [])) if vmdesc.json else 0
        text = f"{devices} devices described" if vmdesc.error is None else vmdesc.error
        body = Span(min(vmdesc.span.start + 5, vmdesc.span.end), vmdesc.span.end)
        root.add(
            OutlineNode(
                "vmdesc",
                "vmdesc",
                "vmdesc",
                span=vmdesc.span,
                parts=(("header", Span(vmdesc.span.start, body.start)), ("body", body)),
                summary=text,
                facts=(("layouts", stream.layout_source or "none"),),
                problem=vmdesc.error,
                side=side,
            )
        )
    if stream.notes:
        notes = root.add(
            OutlineNode("notes", "notes", "notes", summary=str(len(stream.notes)), side=side)
        )
        for index, note in enumerate(stream.notes):
            notes.add(OutlineNode("note", note, f"notes/{index}", value=note, side=side))
    counts.problems += sum(1 for n in root.walk() if n.kind == "section" and n.problem)
    return Outline(stream, root, counts)


def _container(stream: Stream, side: str) -> OutlineNode:
    """What wraps the stream: a libvirt save image header, or a compressor."""
    lines = [line.plain.strip() for line in container_lines(stream)]
    container = stream.container
    span = Span(0, stream.stream_offset) if stream.stream_offset else None
    if container is None or not lines:
        return OutlineNode(
            "container",
            "container header",
            "container",
            span=span,
            summary=f"{stream.stream_offset} bytes before the stream",
            side=side,
        )
    kind = "libvirt save image" if container.kind == "libvirt" else f"{container.format} file"
    node = OutlineNode(
        "container",
        kind,
        "container",
        span=span,
        parts=(("header", span),) if span else (),
        summary=lines[0].removeprefix("libvirt save image").strip(),
        facts=tuple(_container_fact(line) for line in lines[1:]),
        problem="incomplete: libvirt never finished writing this image"
        if container.partial
        else None,
        side=side,
    )
    if container.domain_xml:
        xml = container.domain_xml
        shown = xml if len(xml) <= XML_LIMIT else xml[:XML_LIMIT] + "\n…"
        node.add(
            OutlineNode(
                "config-item",
                "domain XML",
                "container/domain_xml",
                summary=f"{len(xml)} characters",
                value=shown,
                facts=(("all of it", "vmdiff show --xml prints the whole document"),),
                side=side,
            )
        )
    return node


def _container_fact(line: str) -> tuple[str, str]:
    if line.startswith("domain "):
        return "domain", line.removeprefix("domain ")
    if line.startswith("!"):
        return "warning", line.lstrip("! ")
    return "note", line


def _configuration(config: Configuration, side: str) -> OutlineNode:
    node = OutlineNode(
        "configuration",
        "configuration",
        "configuration",
        span=config.span,
        parts=(
            ("header", Span(config.span.start, config.span.start + 1)),
            ("body", Span(config.span.start + 1, config.span.end)),
        ),
        summary=config.machine_type,
        side=side,
    )
    items: list[tuple[str, str]] = [("machine_type", repr(config.machine_type))]
    if config.capabilities is not None:
        items.append(("capabilities", ", ".join(config.capabilities) or "none"))
    if config.uuid is not None:
        items.append(("uuid", config.uuid.hex()))
    if config.target_page_bits is not None:
        items.append(("target_page_bits", str(config.target_page_bits)))
    for name, value in items:
        node.add(
            OutlineNode(
                "config-item",
                name,
                f"configuration/{name}",
                summary=value,
                value=value,
                side=side,
            )
        )
    for sub in config.subsections:
        node.add(
            OutlineNode(
                "subsection",
                sub.name,
                sub.path,
                summary=f"v{sub.version_id}",
                version=sub.version_id,
                side=side,
            )
        )
    return node


def _record(record: Record, counts: Counts, side: str) -> OutlineNode:
    if isinstance(record, Section):
        return _section(record, counts, side)
    if isinstance(record, Command):
        counts.commands += 1
        header = Span(record.span.start, min(record.span.start + 5, record.span.end))
        parts: tuple[Part, ...] = (("header", header),)
        if record.span.end > header.end:
            parts += (("body", Span(header.end, record.span.end)),)
        summary = f"cmd {record.cmd}"
        if record.data and record.name != "packaged":
            summary += f", data {record.data[:SUMMARY_LIMIT].hex()}"
        node = OutlineNode(
            "command",
            f"COMMAND {record.name}",
            record.path,
            span=record.span,
            parts=parts,
            summary=summary,
            value=record.data.hex() if record.data and record.name != "packaged" else None,
            side=side,
        )
        for nested in record.records:
            node.add(_record(nested, counts, side))
        return node
    assert isinstance(record, EndOfStream)
    return OutlineNode(
        "eof",
        "EOF",
        record.path,
        span=record.span,
        parts=(("header", record.span),),
        summary="end of device state",
        side=side,
    )


def _section(section: Section, counts: Counts, side: str) -> OutlineNode:
    if section.kind == "full":
        counts.devices += 1
    else:
        counts.iterative += 1
    parts: list[Part] = [("header", Span(section.span.start, section.body.start))]
    if section.body.size:
        parts.append(("body", section.body))
    if section.footer is not None:
        parts.append(("footer", section.footer))
    facts = [("section_id", str(section.section_id)), ("record", section.kind.upper())]
    if section.vmsd_name:
        facts.append(("vmsd", section.vmsd_name))
    if section.layout_source:
        facts.append(("layout", section.layout_source))
    summary = f"v{section.version_id}"
    node = OutlineNode(
        "section",
        section.path if section.kind == "full" else f"{section.path} {section.kind.upper()}",
        # START carries the section's own path, as comparisons and verdicts name it.
        section.path if section.kind in ("full", "start") else f"{section.path}/{section.kind}",
        span=section.span,
        parts=tuple(parts),
        summary=summary,
        version=section.version_id,
        facts=tuple(facts),
        problem=section.problem.message if section.problem else None,
        side=side,
    )
    for child in _fields(section.fields, counts, side):
        node.add(child)
    for sub in section.subsections:
        node.add(_subsection(sub, counts, side))
    return node


def _subsection(sub: Subsection, counts: Counts, side: str) -> OutlineNode:
    counts.subsections += 1
    parts: tuple[Part, ...] = ()
    span: Span | None = None
    if not sub.guessed and sub.span.size:
        span = sub.span
        header_end = min(sub.span.start + 6 + len(sub.name.encode("latin-1")), sub.span.end)
        parts = (("header", Span(sub.span.start, header_end)),)
        if header_end < sub.span.end:
            parts += (("body", Span(header_end, sub.span.end)),)
    node = OutlineNode(
        "subsection",
        sub.name,
        sub.path,
        span=span,
        parts=parts,
        summary=f"v{sub.version_id}" + ("  guessed: no layout" if sub.guessed else ""),
        version=sub.version_id,
        facts=(("position", f"found at {sub.span.start:#x} by name, not decoded"),)
        if sub.guessed
        else (),
        side=side,
    )
    for child in _fields(sub.fields, counts, side):
        node.add(child)
    for nested in sub.subsections:
        node.add(_subsection(nested, counts, side))
    return node


def _fields(fields: tuple[Field, ...], counts: Counts, side: str) -> Iterator[OutlineNode]:
    for item in fields:
        counts.fields += 1
        nested = item.type_name in _NESTED_TYPES or any(c.children for c in item.children)
        if item.type_name == "raw" and item.value is None:
            summary = value = f"{item.span.size} bytes (see the hex pane)"
        elif nested:
            summary, value = f"({item.type_name})", None
        else:
            summary = format_field(item, limit=SUMMARY_LIMIT)
            value = format_field(item, limit=DETAIL_LIMIT)
        node = OutlineNode(
            "field",
            item.name,
            item.path,
            span=item.span if item.span.size else None,
            parts=(("body", item.span),) if item.span.size else (),
            summary=summary,
            type_name=item.type_name,
            value=value,
            side=side,
        )
        for child in _fields(item.children, counts, side):
            node.add(child)
        for sub in item.subsections:
            node.add(_subsection(sub, counts, side))
        yield node


def _fault(stream: Stream, decoded_end: int, side: str) -> OutlineNode:
    fault = stream.fault
    assert fault is not None
    at = min(fault.offset, max(stream.file_size - 1, 0))
    parts: list[Part] = []
    if decoded_end < fault.offset:
        parts.append(("undecoded", Span(decoded_end, fault.offset)))
    if fault.offset < stream.file_size:
        parts.append(("fault", Span(fault.offset, fault.offset + 1)))
    if fault.offset + 1 < stream.file_size:
        parts.append(("undecoded", Span(fault.offset + 1, stream.file_size)))
    return OutlineNode(
        "fault",
        f"fault at {fault.offset:#x}",
        "fault",
        span=Span(at, at + 1) if stream.file_size else None,
        parts=tuple(parts),
        summary=f"expected {fault.expected}, found {fault.found}",
        facts=(
            ("expected", fault.expected),
            ("found", fault.found),
            ("decoded up to", f"{decoded_end:#x}"),
        ),
        problem=fault.message,
        side=side,
    )
