"""RAM in the TUI's tree: blocks with their statistics, pages in runs, each page's bytes.

Pages are made only when a block is opened: a guest of many GiB has millions of them.
No Textual here.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from vmdiff.decode.ram import page_index_entry
from vmdiff.model import RamBlock, RamSummary, Span
from vmdiff.report.values import format_size
from vmdiff.tui.outline import OutlineNode, Part

PAGES_PER_CHUNK = 256
"""Pages with bytes are listed in runs of at most this many."""


def ram_node(ram: RamSummary, side: str = "a") -> OutlineNode:
    """RAM as announced and sent: one child per block, with its page statistics."""
    node = OutlineNode(
        "ram",
        "RAM",
        "ram",
        summary=f"{len(ram.blocks)} blocks, {format_size(ram.total_length)}, "
        f"page size {ram.page_size}",
        facts=(
            ("total length", f"{ram.total_length:#x} ({format_size(ram.total_length)})"),
            ("page size", str(ram.page_size)),
            ("records", str(ram.records)),
            ("mapped-ram", "yes" if ram.mapped_ram else "no"),
        ),
        side=side,
    )
    for block in ram.blocks.values():
        node.add(_ram_block(block, ram.page_size, side))
    return node


def _ram_block(block: RamBlock, page_size: int, side: str) -> OutlineNode:
    facts = [
        ("length", f"{block.length:#x} ({format_size(block.length)})"),
        ("pages", str(block.length // page_size if page_size else 0)),
        ("zero pages sent", str(block.zero_pages)),
        ("full pages sent", str(block.full_pages)),
    ]
    if block.xbzrle_pages:
        facts.append(("xbzrle pages", str(block.xbzrle_pages)))
    if block.compressed_pages:
        facts.append(("compressed pages", str(block.compressed_pages)))
    facts.append(("payload", format_size(block.payload_bytes)))
    facts.append(("passes", str(block.passes)))
    if block.guest_address is not None:
        facts.append(("guest address", f"{block.guest_address:#x}"))
    if block.mapped is not None:
        facts.append(("mapped-ram bitmap", f"{block.mapped.bitmap_offset:#x}"))
        facts.append(("mapped-ram pages", f"{block.mapped.pages_offset:#x}"))
    node = OutlineNode(
        "ram-block",
        block.name,
        f"ram/{block.name}",
        summary=f"{format_size(block.length)}  zero {block.zero_pages}  full {block.full_pages}",
        facts=tuple(facts),
        side=side,
    )
    if block.page_offsets is not None and len(block.page_offsets):
        node._expand = _page_runs_of(block, page_size)
    return node


def _page_runs_of(block: RamBlock, page_size: int) -> Callable[[OutlineNode], list[OutlineNode]]:
    def expand(parent: OutlineNode) -> list[OutlineNode]:
        return page_runs(block, page_size, parent.side)

    return expand


_RUN_KINDS = {0: "unsent", 1: "zero", 2: "data", 3: "record"}


def page_runs(block: RamBlock, page_size: int, side: str = "a") -> list[OutlineNode]:
    """The block's pages grouped into runs of one kind; runs with bytes expand to their pages."""
    assert block.page_offsets is not None
    values = np.frombuffer(block.page_offsets, dtype=np.int64)
    # 0 = never sent, 1 = zero, 2 = page bytes in the file, 3 = a record to decode.
    codes = np.where(values == 0, 0, np.where(values == -1, 1, np.where(values > 0, 2, 3)))
    edges = np.flatnonzero(codes[1:] != codes[:-1]) + 1
    starts = [0, *edges.tolist()]
    ends = [*edges.tolist(), len(values)]
    runs: list[OutlineNode] = []
    for start, end in zip(starts, ends, strict=True):
        kind = _RUN_KINDS[int(codes[start])]
        step = PAGES_PER_CHUNK if kind in ("data", "record") else end - start
        for first in range(start, end, step):
            last = min(first + step, end)
            runs.append(_page_run(block, page_size, kind, first, last, side))
    return runs


def _page_run(
    block: RamBlock, page_size: int, kind: str, first: int, last: int, side: str
) -> OutlineNode:
    count = last - first
    where = f"+{first * page_size:#x}..+{last * page_size - 1:#x}"
    node = OutlineNode(
        "page-run",
        where,
        f"ram/{block.name}@{first * page_size:#x}",
        summary=f"{count} {kind} page{'s' if count != 1 else ''}",
        block_range=Span(first * page_size, last * page_size),
        facts=(
            ("pages", f"{first}..{last - 1} ({count})"),
            ("block offsets", where),
            ("content", _KIND_TEXT[kind]),
        ),
        side=side,
    )
    if kind in ("data", "record"):
        node._expand = lambda parent: [
            page_node(block, page_size, index, parent.side) for index in range(first, last)
        ]
    return node


_KIND_TEXT = {
    "unsent": "never sent: the destination keeps what it had",
    "zero": "zero (the last record for these pages was a zero page)",
    "data": "page bytes in the file",
    "record": "a record to decode (XBZRLE, compressed or a non-zero fill)",
}


def page_node(block: RamBlock, page_size: int, index: int, side: str = "a") -> OutlineNode:
    """One page of a block (decoded with a page index): where its last content is."""
    assert block.page_offsets is not None
    kind, offset = page_index_entry(block.page_offsets[index])
    address = index * page_size
    span: Span | None = None
    parts: tuple[Part, ...] = ()
    if kind == "data":
        span = Span(offset, offset + page_size)
        parts = (("body", span),)
    elif kind == "record":
        span = Span(offset, offset + 8)
        parts = (("header", span),)
    facts = [("page", str(index)), ("block offset", f"{address:#x}")]
    if block.guest_address is not None:
        facts.append(("guest address", f"{block.guest_address + address:#x}"))
    return OutlineNode(
        "page",
        f"+{address:#x}",
        f"ram/{block.name}@{address:#x}",
        span=span,
        parts=parts,
        summary=f"{kind} @{offset:#x}" if kind in ("data", "record") else kind,
        facts=tuple(facts),
        block_range=Span(address, address + page_size),
        side=side,
    )
