"""Words for differences: what each one says, and the summary lines, shared by every format."""

from __future__ import annotations

import uuid
from dataclasses import dataclass

from vmdiff.compat import CheckResult, VerdictKind
from vmdiff.diff import Category, ChangeKind, Difference, DiffResult, DiffValue, Summary
from vmdiff.report.values import format_size, format_value

EXCERPT_BYTES = 16
RANGES_SHOWN = 6

_NOUNS = {
    Category.CONFIGURATION: "configuration",
    Category.SECTION: "section",
    Category.SUBSECTION: "subsection",
    Category.FIELD: "field",
    Category.RAM: "RAM",
    Category.RAM_BLOCK: "RAM block",
    Category.COMMAND: "command",
    Category.RECORD: "record",
}


@dataclass(frozen=True, slots=True)
class Described:
    """One difference in words: a marker, what changed, each side's value, extra lines."""

    marker: str
    change: str
    a: str = ""
    b: str = ""
    details: tuple[tuple[str, str], ...] = ()
    """(label, text) lines shown under the difference, e.g. buffer excerpts."""


def marker(difference: Difference) -> str:
    """``-`` only in A, ``+`` only in B, ``~`` both have it but it differs."""
    if difference.kind is ChangeKind.ONLY_IN_A:
        return "-"
    if difference.kind is ChangeKind.ONLY_IN_B:
        return "+"
    return "~"


def describe(difference: Difference) -> Described:
    """What the difference says, as short phrases (no page content, ever)."""
    d = difference
    mark = marker(d)
    noun = _NOUNS[d.category]
    if d.kind in (ChangeKind.ONLY_IN_A, ChangeKind.ONLY_IN_B):
        side = "A" if d.kind is ChangeKind.ONLY_IN_A else "B"
        value = d.a if d.kind is ChangeKind.ONLY_IN_A else d.b
        shown = _presence_value(d, value)
        text = shown if side == "A" else ""
        return Described(
            mark, f"{noun} only in {side}", text, "" if side == "A" else shown, _excerpts(d)
        )
    if d.kind is ChangeKind.VERSION_CHANGED:
        return Described(mark, "version", str(d.a), str(d.b))
    if d.category is Category.RAM_BLOCK and d.kind is ChangeKind.SIZE_CHANGED:
        return Described(mark, "length", _size(d.a), _size(d.b))
    if d.category is Category.RAM_BLOCK:
        return Described(mark, f"{_plural(d.pages, 'page')} {_differ(d.pages)}", details=_ranges(d))
    if d.category is Category.RAM:
        return Described(mark, "layout", _plain(d.a), _plain(d.b))
    if d.offset is not None and isinstance(d.a, bytes) and isinstance(d.b, bytes):
        sizes = f"{len(d.a)} bytes" if len(d.a) == len(d.b) else f"{len(d.a)} → {len(d.b)} bytes"
        return Described(
            mark, f"{sizes}, first difference at byte {d.offset:#x}", details=_excerpts(d)
        )
    if d.kind is ChangeKind.SIZE_CHANGED:
        return Described(mark, "elements", str(d.a), str(d.b))
    return Described(mark, "value", _value(d, d.a), _value(d, d.b))


def excerpt(data: bytes, offset: int) -> tuple[int, bytes]:
    """A short window of ``data`` around ``offset``: (where it starts, its bytes)."""
    start = offset & ~7
    return start, data[start : start + EXCERPT_BYTES]


def _excerpts(d: Difference) -> tuple[tuple[str, str], ...]:
    lines = []
    for label, value in (("A", d.a), ("B", d.b)):
        if isinstance(value, bytes) and d.offset is not None:
            start, window = excerpt(value, d.offset)
            lines.append((label, f"@{start:#x}: {window.hex(' ') or '(ends here)'}"))
    return tuple(lines)


def _ranges(d: Difference) -> tuple[tuple[str, str], ...]:
    shown = [f"{r.start:#x}-{r.end - 1:#x}" for r in d.ranges[:RANGES_SHOWN]]
    more = len(d.ranges) - RANGES_SHOWN
    text = ", ".join(shown) + (f", and {_plural(more, 'more range')}" if more > 0 else "")
    return (("at", text),)


def _presence_value(d: Difference, value: DiffValue) -> str:
    if d.category in (Category.SECTION, Category.SUBSECTION):
        return f"version {_plain(value)}"
    if d.category is Category.RAM_BLOCK:
        return _size(value)
    if d.category in (Category.COMMAND, Category.RECORD, Category.RAM):
        return ""
    if isinstance(value, bytes):
        return format_value("buffer", value)
    return _value(d, value)


def _value(d: Difference, value: DiffValue) -> str:
    if d.path == "configuration/uuid" and isinstance(value, bytes) and len(value) == 16:
        return str(uuid.UUID(bytes=value))
    if d.category is Category.CONFIGURATION and isinstance(value, tuple):
        return "[" + ", ".join(str(v) for v in value) + "]"
    if d.category is Category.CONFIGURATION and isinstance(value, str):
        return value
    if value is None and d.category is Category.FIELD:
        return f"({d.type_name})" if d.type_name else "-"
    if isinstance(value, tuple):
        return "[" + ", ".join(format_value(d.type_name or "", v) for v in value) + "]"
    return format_value(d.type_name or "", value)


def _plain(value: DiffValue) -> str:
    return "-" if value is None else str(value)


def _size(value: DiffValue) -> str:
    return format_size(value) if isinstance(value, int) else "-"


def _differ(count: int) -> str:
    return "differs" if count == 1 else "differ"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"


def summary_line(result: DiffResult) -> str:
    """E.g. ``3 sections only in A, 12 fields differ, RAM: 41 pages differ in pc.ram``."""
    summary = result.summary()
    parts = _summary_parts(summary)
    line = ", ".join(parts) if parts else "no differences"
    if summary.ignored:
        line += f" ({summary.ignored} ignored)"
    return line


def _summary_parts(s: Summary) -> list[str]:
    parts: list[str] = []
    a, b = ChangeKind.ONLY_IN_A, ChangeKind.ONLY_IN_B
    changed = (ChangeKind.VALUE_CHANGED, ChangeKind.SIZE_CHANGED)

    def add(count: int, noun: str, tail: str) -> None:
        if count:
            parts.append(f"{_plural(count, noun)} {tail}")

    config = s.count(Category.CONFIGURATION)
    add(config, "configuration value", _differ(config))
    add(s.count(Category.COMMAND, a), "command", "only in A")
    add(s.count(Category.COMMAND, b), "command", "only in B")
    for category, noun in ((Category.SECTION, "section"), (Category.SUBSECTION, "subsection")):
        add(s.count(category, a), noun, "only in A")
        add(s.count(category, b), noun, "only in B")
        versions = s.count(category, ChangeKind.VERSION_CHANGED)
        add(versions, f"{noun} version", _differ(versions))
    add(s.count(Category.FIELD, a), "field", "only in A")
    add(s.count(Category.FIELD, b), "field", "only in B")
    fields = sum(s.count(Category.FIELD, k) for k in changed)
    add(fields, "field", _differ(fields))
    if s.count(Category.RAM):
        parts.append(
            "RAM layout differs"
            if s.count(Category.RAM, ChangeKind.VALUE_CHANGED)
            else "RAM only in one stream"
        )
    add(s.count(Category.RAM_BLOCK, a), "RAM block", "only in A")
    add(s.count(Category.RAM_BLOCK, b), "RAM block", "only in B")
    lengths = s.count(Category.RAM_BLOCK, ChangeKind.SIZE_CHANGED)
    add(lengths, "RAM block length", _differ(lengths))
    if s.ram_pages:
        pages = [
            f"{_plural(n, 'page')} {_differ(n)} in {name}" if i == 0 else f"{n} in {name}"
            for i, (name, n) in enumerate(s.ram_pages.items())
        ]
        parts.append("RAM: " + ", ".join(pages))
    add(s.count(Category.RECORD, a), "record", "only in A")
    add(s.count(Category.RECORD, b), "record", "only in B")
    return parts


def verdict_counts(result: CheckResult) -> str:
    """``verdicts (47 accept, 2 reject); 2 only on the destination``."""
    counts = ", ".join(
        f"{result.count(kind)} {kind.value}" for kind in VerdictKind if result.count(kind)
    )
    line = f"verdicts ({counts or 'none'})"
    if result.warnings:
        line += f"; {len(result.warnings)} only on the destination"
    return line


__all__ = [
    "EXCERPT_BYTES",
    "Described",
    "describe",
    "excerpt",
    "marker",
    "summary_line",
    "verdict_counts",
]
