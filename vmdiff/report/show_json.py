"""The ``vmdiff show --json`` document (schema ``vmdiff.show/1``, see docs/json-show.md)."""

from __future__ import annotations

from typing import Any

from vmdiff.model import Command, EndOfStream, Fault, Field, RamBlock, Section, Stream, Subsection
from vmdiff.report.container import container_json
from vmdiff.report.values import json_value

SHOW_FORMAT = "vmdiff.show/1"


def stream_to_json(stream: Stream, sections: list[Section] | None = None) -> dict[str, Any]:
    """The whole decoded stream (or the given sections of it) as one JSON-ready dict."""
    config = stream.configuration
    chosen = stream.iter_sections() if sections is None else sections
    return {
        "format": SHOW_FORMAT,
        "file": stream.path,
        "file_size": stream.file_size,
        "stream_offset": stream.stream_offset,
        "container": container_json(stream.container),
        "version": stream.version,
        "machine_type": stream.machine_type,
        "configuration": None
        if config is None
        else {
            "offset": config.span.start,
            "size": config.span.size,
            "machine_type": config.machine_type,
            "capabilities": list(config.capabilities) if config.capabilities is not None else None,
            "uuid": config.uuid.hex() if config.uuid is not None else None,
            "target_page_bits": config.target_page_bits,
            "subsections": [s.name for s in config.subsections],
        },
        "sections": [section_to_json(s) for s in chosen],
        "commands": [command_to_json(c) for c in _commands(stream.records)],
        "eof_offset": next(
            (r.span.start for r in stream.records if isinstance(r, EndOfStream)), None
        ),
        "ram": None
        if stream.ram is None
        else {
            "page_size": stream.ram.page_size,
            "total_length": stream.ram.total_length,
            "mapped_ram": stream.ram.mapped_ram,
            "records": stream.ram.records,
            "multifd_flushes": stream.ram.multifd_flushes,
            "blocks": [block_to_json(b) for b in stream.ram.blocks.values()],
        },
        "vmdesc": None
        if stream.vmdesc is None
        else {
            "offset": stream.vmdesc.span.start,
            "size": stream.vmdesc.span.size,
            "devices": len(stream.vmdesc.json.get("devices", [])) if stream.vmdesc.json else None,
            "error": stream.vmdesc.error,
        },
        "layout_source": stream.layout_source,
        "fault": fault_to_json(stream.fault),
        "notes": list(stream.notes),
    }


def fault_to_json(fault: Fault | None) -> dict[str, Any] | None:
    """Where and why decoding stopped, or None for a stream decoded to its end."""
    if fault is None:
        return None
    return {
        "offset": fault.offset,
        "expected": fault.expected,
        "found": fault.found,
        "message": fault.message,
    }


def _commands(records: list[Any]) -> list[Command]:
    return [r for r in records if isinstance(r, Command)]


def section_to_json(section: Section) -> dict[str, Any]:
    """One section record."""
    return {
        "kind": section.kind,
        "path": section.path,
        "section_id": section.section_id,
        "idstr": section.idstr,
        "instance_id": section.instance_id,
        "version_id": section.version_id,
        "vmsd_name": section.vmsd_name,
        "offset": section.span.start,
        "size": section.span.size,
        "body_offset": section.body.start,
        "body_size": section.body.size,
        "footer_offset": section.footer.start if section.footer else None,
        "layout_source": section.layout_source,
        "fields": [field_to_json(f) for f in section.fields],
        "subsections": [subsection_to_json(s) for s in section.subsections],
        "problem": None
        if section.problem is None
        else {
            "message": section.problem.message,
            "expected_end": section.problem.expected_end,
            "actual_end": section.problem.actual_end,
        },
    }


def subsection_to_json(sub: Subsection) -> dict[str, Any]:
    """One subsection, with its own fields and nested subsections."""
    return {
        "name": sub.name,
        "path": sub.path,
        "version_id": sub.version_id,
        "offset": sub.span.start,
        "size": sub.span.size,
        "guessed": sub.guessed,
        "fields": [field_to_json(f) for f in sub.fields],
        "subsections": [subsection_to_json(s) for s in sub.subsections],
    }


def field_to_json(field: Field) -> dict[str, Any]:
    """One field; arrays and structs carry ``children``."""
    out: dict[str, Any] = {
        "name": field.name,
        "path": field.path,
        "type": field.type_name,
        "offset": field.span.start,
        "size": field.span.size,
        "value": json_value(field.value),
    }
    if field.children:
        out["children"] = [field_to_json(c) for c in field.children]
    if field.subsections:
        out["subsections"] = [subsection_to_json(s) for s in field.subsections]
    return out


def command_to_json(command: Command) -> dict[str, Any]:
    """One COMMAND record; PACKAGED lists the sections inside it."""
    return {
        "name": command.name,
        "cmd": command.cmd,
        "offset": command.span.start,
        "size": command.span.size,
        "data": command.data.hex(),
        "sections": [section_to_json(r) for r in command.records if isinstance(r, Section)],
    }


def block_to_json(block: RamBlock) -> dict[str, Any]:
    """One RAM block with its page counts."""
    return {
        "name": block.name,
        "length": block.length,
        "guest_address": block.guest_address,
        "mapped_ram": None
        if block.mapped is None
        else {
            "page_size": block.mapped.page_size,
            "bitmap_offset": block.mapped.bitmap_offset,
            "pages_offset": block.mapped.pages_offset,
        },
        "pages": {
            "zero": block.zero_pages,
            "full": block.full_pages,
            "xbzrle": block.xbzrle_pages,
            "compressed": block.compressed_pages,
        },
        "payload_bytes": block.payload_bytes,
        "passes": block.passes,
    }
