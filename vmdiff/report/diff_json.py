"""The ``vmdiff diff --json`` document (schema ``vmdiff.diff/1``, see docs/json-diff.md)."""

from __future__ import annotations

from typing import Any

from vmdiff.diff import Category, ChangeKind, Difference, DiffResult, DiffValue, StreamInfo
from vmdiff.report.diff_describe import excerpt, summary_line
from vmdiff.report.show_json import fault_to_json
from vmdiff.report.values import json_value

DIFF_FORMAT = "vmdiff.diff/1"


def diff_to_json(result: DiffResult, *, stat: bool = False) -> dict[str, Any]:
    """The comparison as one JSON-ready dict; with ``stat``, the summary without differences."""
    summary = result.summary()
    by_category: dict[str, dict[str, int]] = {}
    for (category, kind), count in sorted(summary.counts.items()):
        by_category.setdefault(category.value, {})[kind.value] = count
    document: dict[str, Any] = {
        "format": DIFF_FORMAT,
        "a": _side(result.a),
        "b": _side(result.b),
        "complete": result.complete,
        "options": {
            "ignore": list(result.options.ignore),
            "ignore_volatile": result.options.ignore_volatile,
            "ram": result.options.ram,
            "sections": list(result.options.sections),
        },
        "summary": {
            "differences": summary.total,
            "ignored": summary.ignored,
            "line": summary_line(result),
            "by_category": by_category,
            "ram_pages": summary.ram_pages,
        },
        "notes": list(result.notes),
    }
    if not stat:
        document["differences"] = [difference_to_json(d) for d in result.differences]
    return document


def _side(side: StreamInfo) -> dict[str, Any]:
    return {
        "file": side.path,
        "machine_type": side.machine_type,
        "file_size": side.file_size,
        "fault": fault_to_json(side.fault),
    }


def difference_to_json(d: Difference) -> dict[str, Any]:
    """One difference: path, kind, category, group, both values and where they sit."""
    out: dict[str, Any] = {
        "path": d.path,
        "kind": d.kind.value,
        "category": d.category.value,
        "group": d.group,
        "a": _value(d, d.a),
        "b": _value(d, d.b),
        "type": d.type_name,
        "offset_a": d.span_a.start if d.span_a else None,
        "offset_b": d.span_b.start if d.span_b else None,
    }
    if d.offset is not None:
        out["offset"] = d.offset
        out["excerpt_offset"] = excerpt(b"", d.offset)[0]
        out["size_a"] = len(d.a) if isinstance(d.a, bytes) else None
        out["size_b"] = len(d.b) if isinstance(d.b, bytes) else None
    if d.category is Category.RAM_BLOCK and d.kind is ChangeKind.VALUE_CHANGED:
        out["pages"] = d.pages
        out["page_size"] = d.page_size
        out["ranges"] = [[r.start, r.end] for r in d.ranges]
    return out


def _value(d: Difference, value: DiffValue) -> object:
    if isinstance(value, bytes) and d.offset is not None:
        return excerpt(value, d.offset)[1].hex()
    if isinstance(value, tuple):
        return list(value)
    return json_value(value)


__all__ = ["DIFF_FORMAT", "diff_to_json", "difference_to_json"]
