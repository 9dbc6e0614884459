"""Pair the nodes of two streams: sections by (idstr, instance_id), the rest by name."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Hashable, Sequence
from typing import TypeVar

from vmdiff.model import Field, Section, Stream, Subsection

T = TypeVar("T")
Pair = tuple[T | None, T | None]


def pair_by_key(a: Sequence[T], b: Sequence[T], key: Callable[[T], Hashable]) -> list[Pair[T]]:
    """Match items with equal keys (the n-th repeat of a key with the n-th), in a merged order.

    Items of A keep their order; an item only in B follows the B item it came after, so a
    device added in B shows up where B sent it.
    """
    keyed_a = _numbered(a, key)
    keyed_b = _numbered(b, key)
    in_a = dict(keyed_a)
    in_b = dict(keyed_b)
    following: dict[Hashable, list[Hashable]] = {}
    previous: Hashable = None
    for k, _ in keyed_b:
        if k not in in_a:
            following.setdefault(previous, []).append(k)
        previous = k
    pairs: list[Pair[T]] = []

    def emit(k: Hashable) -> None:
        for extra in following.pop(k, ()):
            pairs.append((None, in_b[extra]))
            emit(extra)

    emit(None)
    for k, item in keyed_a:
        pairs.append((item, in_b.get(k)))
        emit(k)
    return pairs


def _numbered(items: Sequence[T], key: Callable[[T], Hashable]) -> list[tuple[Hashable, T]]:
    seen: Counter[Hashable] = Counter()
    out: list[tuple[Hashable, T]] = []
    for item in items:
        k = key(item)
        out.append(((k, seen[k]), item))
        seen[k] += 1
    return out


def section_key(section: Section) -> tuple[str, int]:
    """The identity of a device instance across streams: never the section_id, which varies."""
    return section.idstr, section.instance_id


def stream_sections(stream: Stream) -> list[Section]:
    """One section per device instance: its FULL record, or the first record of an iterative one."""
    records = stream.iter_sections()
    full_keys = {section_key(s) for s in records if s.kind == "full"}
    seen: set[tuple[str, int]] = set()
    chosen: list[Section] = []
    for section in records:
        key = section_key(section)
        if section.kind == "full":
            chosen.append(section)
        elif key not in full_keys and key not in seen:
            seen.add(key)
            chosen.append(section)
    return chosen


def pair_sections(a: Stream, b: Stream) -> list[Pair[Section]]:
    """The device sections of both streams, paired by (idstr, instance_id)."""
    return pair_by_key(stream_sections(a), stream_sections(b), section_key)


def pair_subsections(a: Sequence[Subsection], b: Sequence[Subsection]) -> list[Pair[Subsection]]:
    """Subsections at one level, paired by name."""
    return pair_by_key(a, b, lambda s: s.name)


def pair_fields(a: Sequence[Field], b: Sequence[Field]) -> list[Pair[Field]]:
    """Fields (or struct members) at one level, paired by name and repeat count."""
    return pair_by_key(a, b, lambda f: f.name)


__all__ = [
    "pair_by_key",
    "pair_fields",
    "pair_sections",
    "pair_subsections",
    "section_key",
    "stream_sections",
]
