"""Check runs of same-shaped RAM records at C speed, with no Python step per record.

An idle guest sends millions of 9-byte zero-page records, a busy one hundreds of thousands of
4 KiB pages, each behind a be64 offset|flags. A strided slice of the buffer picks the same byte
of every record, and bytes methods compare or translate those slices in C; the heads
themselves are gathered into an array only to check their offsets.
"""

from __future__ import annotations

import sys
from array import array

from vmdiff.model import Buffer

_AND_TABLES: dict[int, bytes] = {}


def _and_table(mask: int) -> bytes:
    """A bytes.translate table mapping each byte to ``byte & mask``."""
    table = _AND_TABLES.get(mask)
    if table is None:
        table = _AND_TABLES[mask] = bytes(b & mask for b in range(256))
    return table


def _strided(buf: Buffer, start: int, step: int, count: int) -> bytes:
    """``buf[start], buf[start + step], ...``: ``count`` bytes, as bytes."""
    piece = buf[start : start + step * (count - 1) + 1 : step]
    return piece if isinstance(piece, bytes) else bytes(piece)


def heads(buf: Buffer, pos: int, stride: int, count: int) -> array[int]:
    """The be64 heads of ``count`` records of ``stride`` bytes starting at ``pos``."""
    packed = bytearray(8 * count)
    for k in range(8):
        packed[k::8] = _strided(buf, pos + k, stride, count)
    out = array("Q")
    out.frombytes(packed)
    if sys.byteorder == "little":
        out.byteswap()
    return out


def matching_prefix(
    buf: Buffer, pos: int, stride: int, count: int, flags: int, page_size: int, bound: int
) -> int:
    """How many leading records have exactly ``flags`` in the bits below the page size, a
    zero byte after the head when ``stride`` is 9 (a zero page's fill byte), and a head below
    ``bound``."""

    def matches(n: int) -> bool:
        for k in range(8):
            mask = (page_size - 1) >> (8 * (7 - k)) & 0xFF
            if mask:
                column = _strided(buf, pos + k, stride, n)
                if mask != 0xFF:
                    column = column.translate(_and_table(mask))
                if column != bytes([flags >> (8 * (7 - k)) & 0xFF]) * n:
                    return False
        return stride != 9 or _strided(buf, pos + 8, stride, n) == bytes(n)

    good = count
    if not matches(count):
        low, high = 0, count - 1  # matches(low) holds, matches(high + 1) does not
        while low < high:
            middle = (low + high + 1) // 2
            if matches(middle):
                low = middle
            else:
                high = middle - 1
        good = low
    if good and not _all_below(buf, pos, stride, good, bound):
        found = heads(buf, pos, stride, good)
        good = next((i for i, head in enumerate(found) if head >= bound), good)
    return good


def _all_below(buf: Buffer, pos: int, stride: int, count: int, bound: int) -> bool:
    """True if every head is certainly below ``bound``: the bytes above bound's top byte are 0
    and the top byte is below bound's (exact when bound is a byte times a power of 256, as
    block sizes are; otherwise heads are read one by one)."""
    if bound >= 1 << 64:
        return True
    limit = bound.to_bytes(8, "big")
    top = next((k for k in range(8) if limit[k]), 8)
    if top == 8:
        return False
    for k in range(top):
        if _strided(buf, pos + k, stride, count) != bytes(count):
            return False
    column = _strided(buf, pos + top, stride, count)
    return column.translate(_at_least_table(limit[top])) == bytes(count)


_AT_LEAST_TABLES: dict[int, bytes] = {}


def _at_least_table(threshold: int) -> bytes:
    """A bytes.translate table mapping bytes below ``threshold`` to 0 and the others to 1."""
    table = _AT_LEAST_TABLES.get(threshold)
    if table is None:
        table = _AT_LEAST_TABLES[threshold] = bytes(int(b >= threshold) for b in range(256))
    return table


def is_sequential(found: array[int], step: int) -> bool:
    """Whether the heads go up by ``step`` each (pages sent in order)."""
    first, last = found[0], found[-1]
    if last != first + step * (len(found) - 1):
        return False
    return found == array("Q", range(first, last + 1, step))
