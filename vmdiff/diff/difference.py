"""What a comparison finds: a flat, ordered list of differences keyed by the decoder's paths."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from enum import StrEnum

from vmdiff.diff.options import CompareOptions
from vmdiff.model import Fault, FieldValue, Span

DiffValue = FieldValue | tuple[str, ...]
"""One side's value: a field value, a version or length, a machine type, a capability list."""


class ChangeKind(StrEnum):
    """How the two sides differ at one path (the ``kind`` of vmdiff.diff/1)."""

    ONLY_IN_A = "only_in_a"
    ONLY_IN_B = "only_in_b"
    VERSION_CHANGED = "version_changed"
    VALUE_CHANGED = "value_changed"
    SIZE_CHANGED = "size_changed"


class Category(StrEnum):
    """What a difference's path names."""

    CONFIGURATION = "configuration"
    SECTION = "section"
    SUBSECTION = "subsection"
    FIELD = "field"
    RAM = "ram"
    RAM_BLOCK = "ram_block"
    COMMAND = "command"
    RECORD = "record"


@dataclass(frozen=True, slots=True)
class PageRange:
    """Bytes [start, end) of a RAM block, as offsets into the block."""

    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Difference:
    """One thing that differs between stream A and stream B.

    ``a`` and ``b`` hold each side's value (None on the side that lacks the path). Buffers
    keep their whole bytes and ``offset`` names the first differing byte; RAM page changes
    carry ``pages`` and ``ranges`` instead of values, since page contents are guest data.
    """

    path: str
    kind: ChangeKind
    category: Category
    group: str
    a: DiffValue = None
    b: DiffValue = None
    type_name: str | None = None
    span_a: Span | None = None
    span_b: Span | None = None
    offset: int | None = None
    pages: int = 0
    ranges: tuple[PageRange, ...] = ()
    page_size: int | None = None


@dataclass(frozen=True, slots=True)
class StreamInfo:
    """Which capture one side is, and whether it decoded to the end."""

    path: str
    machine_type: str | None
    file_size: int
    fault: Fault | None = None


@dataclass(frozen=True, slots=True)
class Summary:
    """Counts of differences by what they name and how they differ."""

    total: int
    ignored: int
    counts: dict[tuple[Category, ChangeKind], int]
    ram_pages: dict[str, int]

    def count(self, category: Category, kind: ChangeKind | None = None) -> int:
        """How many differences of this category (and kind, if given)."""
        return sum(
            n for (c, k), n in self.counts.items() if c == category and (kind is None or k == kind)
        )


@dataclass(slots=True)
class DiffResult:
    """Every difference between two streams that survived the filters, in report order."""

    a: StreamInfo
    b: StreamInfo
    differences: list[Difference] = field(default_factory=list)
    ignored: int = 0
    notes: list[str] = field(default_factory=list)
    options: CompareOptions = field(default_factory=CompareOptions)

    def __len__(self) -> int:
        return len(self.differences)

    def __bool__(self) -> bool:
        return bool(self.differences)

    @property
    def complete(self) -> bool:
        """False when a stream stopped at a fault, so only what came before it was compared."""
        return self.a.fault is None and self.b.fault is None

    def groups(self) -> dict[str, list[Difference]]:
        """Differences by group (section path, ``configuration``, ``ram/<block>`` ...), in order."""
        grouped: dict[str, list[Difference]] = {}
        for difference in self.differences:
            grouped.setdefault(difference.group, []).append(difference)
        return grouped

    def get(self, path: str) -> list[Difference]:
        """The differences at exactly ``path`` (a RAM block can have a size and a page change)."""
        return [d for d in self.differences if d.path == path]

    def paths(self) -> set[str]:
        """Every path that differs."""
        return {d.path for d in self.differences}

    def summary(self) -> Summary:
        """Counts for the summary line."""
        counts = Counter((d.category, d.kind) for d in self.differences)
        ram_pages = {
            d.path.removeprefix("ram/"): d.pages
            for d in self.differences
            if d.category is Category.RAM_BLOCK and d.pages
        }
        return Summary(len(self.differences), self.ignored, dict(counts), ram_pages)


__all__ = [
    "Category",
    "ChangeKind",
    "DiffResult",
    "DiffValue",
    "Difference",
    "PageRange",
    "StreamInfo",
    "Summary",
]
