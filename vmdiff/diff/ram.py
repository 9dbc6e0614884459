"""Compare RAM: blocks present, their lengths, and the final content of every page by hash.

Pages are read one at a time from the mapped captures through their page index, so two
multi-gigabyte streams compare in the memory of two page indexes (8 bytes a page each).
"""

from __future__ import annotations

from array import array
from dataclasses import dataclass

import numpy as np
import xxhash

from vmdiff.decode.pages import PageReader
from vmdiff.decode.ram import ZERO_PAGE_MARK
from vmdiff.model import Buffer, RamBlock, RamSummary

_digest = xxhash.xxh3_128_intdigest
_RUN_PAGES = (256, 16)
_RUN_SLACK = 64
"""Bytes between consecutive pages a run may have: a record header, a short block name."""


@dataclass(frozen=True, slots=True)
class PageComparison:
    """Which pages of one block differ in final content between two streams."""

    ranges: tuple[tuple[int, int], ...]
    """Runs of differing pages as [first page, last page + 1)."""
    pages: int
    unknown: int
    """Pages that could not be compared: XBZRLE deltas or corrupt compressed pages."""
    unsent: int = 0
    """Pages a stream cut short never sent, while the other stream did."""


class PageDigests:
    """The final content hash of each page of one block; zero and unsent pages hash alike."""

    def __init__(self, buf: Buffer, block: RamBlock, page_size: int) -> None:
        self.reader = PageReader(buf, block, page_size)
        assert block.page_offsets is not None
        self.offsets = block.page_offsets
        self.view = memoryview(buf)
        self.page_size = page_size
        self.zero = _digest(bytes(page_size))

    def __len__(self) -> int:
        return len(self.offsets)

    def digest(self, index: int) -> int | None:
        """The xxh3-128 of the page's final bytes, or None if they cannot be reconstructed."""
        value = self.offsets[index]
        if value == 0 or value == ZERO_PAGE_MARK:
            return self.zero
        if value > 0:
            return _digest(self.view[value : value + self.page_size])
        before = self.reader.unrecoverable
        content = self.reader.page(index)
        if content is None:
            return None if self.reader.unrecoverable > before else self.zero
        return _digest(content)


def compare_pages(
    a: PageDigests, b: PageDigests, *, partial_a: bool = False, partial_b: bool = False
) -> PageComparison:
    """Pages whose final content differs, over the pages both blocks have.

    A ``partial`` side stopped at a fault: its unsent pages may simply not have come yet,
    so they are counted as unsent instead of compared as zero.
    """
    count = min(len(a), len(b))
    offsets_a = np.frombuffer(a.offsets, dtype=np.int64)[:count]
    offsets_b = np.frombuffer(b.offsets, dtype=np.int64)[:count]
    # Pages neither stream sent a payload for are zero on both sides: no need to hash them.
    zero_a = (offsets_a == 0) | (offsets_a == ZERO_PAGE_MARK)
    zero_b = (offsets_b == 0) | (offsets_b == ZERO_PAGE_MARK)
    candidates = ~(zero_a & zero_b)
    unsent = 0
    for partial, offsets in ((partial_a, offsets_a), (partial_b, offsets_b)):
        if partial:
            missing = offsets == 0
            unsent += int(np.count_nonzero(candidates & missing))
            candidates &= ~missing
    for run_pages in _RUN_PAGES:
        candidates &= ~_equal_runs(a, b, offsets_a, offsets_b, candidates, run_pages)
    differing = array("q")
    unknown = 0
    for index in np.flatnonzero(candidates).tolist():
        digest_a, digest_b = a.digest(index), b.digest(index)
        if digest_a is None or digest_b is None:
            unknown += 1
        elif digest_a != digest_b:
            differing.append(index)
    return PageComparison(_runs(differing), len(differing), unknown, unsent)


def _equal_runs(
    a: PageDigests,
    b: PageDigests,
    offsets_a: np.ndarray,
    offsets_b: np.ndarray,
    todo: np.ndarray,
    run_pages: int,
) -> np.ndarray:
    """Pages proven equal a run at a time: both streams sent the run's pages as raw data,
    laid out alike, and the file bytes spanning them hash the same.

    A run's span holds its pages at the same relative offsets on both sides, so equal spans
    mean equal pages; an unequal span only sends its pages on to shorter runs, then to be
    hashed one by one. This turns a quarter of a million hash calls per GiB into a thousand.
    """
    equal = np.zeros(len(offsets_a), dtype=bool)
    runs = len(offsets_a) // run_pages
    if not runs:
        return equal
    shape = (runs, run_pages)
    block_a = offsets_a[: runs * run_pages].reshape(shape)
    block_b = offsets_b[: runs * run_pages].reshape(shape)
    relative = block_a - block_a[:, :1]
    span = relative[:, -1] + a.page_size
    regular = (
        todo[: runs * run_pages].reshape(shape).all(axis=1)
        & (block_a > 0).all(axis=1)
        & (block_b > 0).all(axis=1)
        & (relative == block_b - block_b[:, :1]).all(axis=1)
        & (relative >= 0).all(axis=1)
        & (span <= run_pages * (a.page_size + _RUN_SLACK))
    )
    view_a, view_b = a.view, b.view
    for run in np.flatnonzero(regular).tolist():
        start_a, start_b, size = int(block_a[run, 0]), int(block_b[run, 0]), int(span[run])
        if _digest(view_a[start_a : start_a + size]) == _digest(view_b[start_b : start_b + size]):
            equal[run * run_pages : (run + 1) * run_pages] = True
    return equal


def _runs(indexes: array[int]) -> tuple[tuple[int, int], ...]:
    if not indexes:
        return ()
    pages = np.frombuffer(indexes, dtype=np.int64)
    breaks = np.flatnonzero(np.diff(pages) != 1) + 1
    starts = np.concatenate(([0], breaks))
    ends = np.concatenate((breaks, [len(pages)]))
    return tuple((int(pages[s]), int(pages[e - 1]) + 1) for s, e in zip(starts, ends, strict=True))


def indexed(ram: RamSummary) -> bool:
    """True if every block of the summary has a page index (decoded with index_pages=True)."""
    return all(block.page_offsets is not None for block in ram.blocks.values())


__all__ = ["PageComparison", "PageDigests", "compare_pages", "indexed"]
