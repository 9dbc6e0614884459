"""Fit an approximate layout to a body whose bounds are known (from its footer).

A -dump-vmstate file lists every field a vmsd may send, but not which conditional fields were
sent nor how long variable arrays are (and QEMU 7.2's dumps give no array lengths at all); a
vmdesc saved from another capture may differ in its subsections. Between a section's header
and its footer the size of the body is known, so the fitter counts the readings the layout
allows (each conditional field sent or not; failing that, one field with an unknown number of
elements) and keeps the result only if exactly one reading ends at the footer. Subsections are
recognised by their headers, as the destination does.

Counting is dynamic programming over body offsets (how many readings reach each offset, capped
at 2), so a vmsd with many conditional fields costs no more than one with a few. The single
reading is then rebuilt as a concrete VmsdLayout for BodyDecoder.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from itertools import pairwise
from typing import TypeVar

from vmdiff.layouts.apply import SUBSECTION_TAG
from vmdiff.layouts.layout import FieldLayout, StreamLayout, VmsdLayout
from vmdiff.model import Buffer

Ways = dict[int, int]
"""End offset -> number of readings that end there (1, or 2 meaning "more than one")."""

T = TypeVar("T")
OPAQUE_FIELD = "raw"
"""The one field of a subsection the layout does not describe: its bytes, undecoded."""
MAX_WORK = 2_000_000
"""Offsets visited per body before giving up."""


class _TooMuchWork(Exception):
    pass


@dataclass(frozen=True, slots=True)
class FitResult:
    """A concrete layout that reads the body exactly, or why there is none."""

    vmsd: VmsdLayout | None
    reason: str = ""
    inferred: tuple[str, ...] = ()
    """Fields whose number of elements was inferred from the size of the body."""


def _add(ways: Ways, offset: int, count: int) -> None:
    ways[offset] = min(2, ways.get(offset, 0) + count)


@dataclass(slots=True)
class Fitter:
    """Finds the one reading of a body that an approximate layout allows, if there is one."""

    buf: Buffer
    layout: StreamLayout
    max_work: int = MAX_WORK
    _end: int = 0
    _work: int = 0
    _free: FieldLayout | None = None
    _free_count: int | None = None
    _reach_memo: dict[tuple[int, int, int], Ways] = field(default_factory=dict)
    _subsection_memo: dict[tuple[int, int], Ways] = field(default_factory=dict)
    _fixed_memo: dict[int, int | None] = field(default_factory=dict)

    def fit(self, vmsd: VmsdLayout, version: int, start: int, end: int) -> FitResult:
        """A concrete layout reading exactly ``buf[start:end]`` with ``vmsd`` at ``version``."""
        self._end, self._work = end, 0
        self._reset(None)
        try:
            readings = self._readings(vmsd, version, start, end)
            inferred: tuple[str, ...] = ()
            if readings == 0 and not self.layout.exact:
                # A vmdesc lists every element it sent; only a dump leaves counts unknown.
                readings, inferred = self._with_one_free_count(vmsd, version, start, end)
            if readings == 1:
                return FitResult(self._build(vmsd, version, start, end), inferred=inferred)
        except _TooMuchWork:
            return FitResult(None, "too many possible readings to try")
        finally:
            self._reset(None)
        if readings == 0:
            return FitResult(None, f"no reading of {vmsd.name!r} ends at its footer")
        return FitResult(None, f"more than one reading of {vmsd.name!r} ends at its footer")

    def _with_one_free_count(
        self, vmsd: VmsdLayout, version: int, start: int, end: int
    ) -> tuple[int, tuple[str, ...]]:
        """Readings where one field has another number of elements than the layout lists.

        If several fields could, prefer the one reading whose count is the value of an
        earlier integer field, as in a VMSTATE_*_VARRAY (e.g. hpet's timers, num_timers).
        """
        total, chosen = 0, None
        for candidate in self._free_candidates(vmsd, set()):
            self._reset(candidate)
            readings = self._readings(vmsd, version, start, end)
            if readings:
                total, chosen = min(2, total + readings), candidate
            if total > 1:
                break
        if total == 1 and chosen is not None:
            self._reset(chosen)  # left set for _build
            return 1, (chosen.name,)
        if total == 0:
            return 0, ()
        counted: list[tuple[FieldLayout, int, str]] = []
        for candidate in vmsd.fields:
            for value, source in self._earlier_values(vmsd, version, start, candidate):
                self._reset(candidate, value)
                readings = self._readings(vmsd, version, start, end)
                if readings > 1:
                    return 2, ()
                if readings and (candidate, value, source) not in counted:
                    counted.append((candidate, value, source))
        if len(counted) != 1:
            return 2, ()
        candidate, value, source = counted[0]
        self._reset(candidate, value)
        return 1, (f"{candidate.name} (the value of {source})",)

    def _free_candidates(self, vmsd: VmsdLayout, seen: set[int]) -> list[FieldLayout]:
        """Fields anywhere in vmsd whose element count the layout may not know: no listed
        count (a listed one is a fixed VMS_ARRAY) and elements of one known size."""
        found: list[FieldLayout] = []
        if id(vmsd) in seen:
            return found
        seen.add(id(vmsd))
        for layout in vmsd.fields:
            if layout.array_len is None and (self._element_size(layout) or 0) > 0:
                found.append(layout)
            if layout.vmsd is not None and layout.array_len is None:
                # Not inside arrays of structs: each element could take its own count.
                found.extend(self._free_candidates(layout.vmsd, seen))
        for sub in vmsd.subsections:
            found.extend(self._free_candidates(sub, seen))
        return found

    def _element_size(self, layout: FieldLayout) -> int | None:
        """Bytes per element when that does not depend on the data, else None."""
        return layout.size if layout.vmsd is None else self._fixed_size(layout.vmsd)

    def _fixed_size(self, vmsd: VmsdLayout) -> int | None:
        """The size of every reading of a struct with no conditional fields, no subsections
        and no free field, or None."""
        key = id(vmsd)
        if key in self._fixed_memo:
            return self._fixed_memo[key]
        size: int | None = 0
        if vmsd.subsections:
            size = None
        for layout in vmsd.fields:
            element = self._element_size(layout)
            if size is None or layout.conditional or layout is self._free or element is None:
                size = None
                break
            size += element * (layout.array_len if layout.array_len is not None else 1)
        self._fixed_memo[key] = size
        return size

    def _earlier_values(
        self, vmsd: VmsdLayout, version: int, start: int, candidate: FieldLayout
    ) -> list[tuple[int, str]]:
        """Values of the integer fields read before ``candidate``, where that reading is the
        only one and no struct precedes them."""
        if candidate.array_len is not None or not self._element_size(candidate):
            return []
        index = vmsd.fields.index(candidate)
        self._reset(None)
        states = self._field_states(vmsd.fields[:index], version, start)
        if len(states[-1]) != 1 or next(iter(states[-1].values())) != 1:
            return []
        (prefix_end,) = states[-1]
        prefix = self._build_fields(vmsd.fields[:index], version, states, prefix_end)
        values: list[tuple[int, str]] = []
        pos = start
        listed = candidate.array_len if candidate.array_len is not None else 1
        for layout in prefix:
            if layout.vmsd is not None:
                break
            if layout.array_len is None and layout.size in (1, 2, 4):
                value = int.from_bytes(self.buf[pos : pos + layout.size], "big")
                if value != listed and value <= self._end - start:
                    values.append((value, layout.name))
            pos += layout.size * (layout.array_len if layout.array_len is not None else 1)
        return values

    def _reset(self, free: FieldLayout | None, count: int | None = None) -> None:
        """Forget what was counted; let ``free`` take any count (or exactly ``count``)."""
        self._free = free
        self._free_count = count
        self._reach_memo.clear()
        self._subsection_memo.clear()
        self._fixed_memo.clear()

    def _spend(self, amount: int) -> None:
        self._work += amount
        if self._work > self.max_work:
            raise _TooMuchWork

    # -- counting readings ----------------------------------------------------------------

    def _reach(self, vmsd: VmsdLayout, version: int, pos: int) -> Ways:
        """Where vmsd's fields and then its subsections can end, read from pos."""
        key = (id(vmsd), version, pos)
        memo = self._reach_memo.get(key)
        if memo is not None:
            return memo
        after_fields = self._field_states(vmsd.fields, version, pos)[-1]
        ways: Ways = {}
        for offset, count in after_fields.items():
            for end, more in self._subsections(vmsd, offset).items():
                _add(ways, end, count * more)
        self._reach_memo[key] = ways
        return ways

    def _readings(self, vmsd: VmsdLayout, version: int, start: int, end: int) -> int:
        """How many readings of vmsd take exactly ``buf[start:end]`` (0, 1 or 2 for more)."""
        # Where the fields may end: where subsection headers lead to the end exactly.
        targets = [q for q in range(start, end + 1) if self._subsections(vmsd, q).get(end, 0)]
        states = self._field_states(vmsd.fields, version, start, targets)[-1]
        total = 0
        for q in targets:
            total = min(2, total + states.get(q, 0) * self._subsections(vmsd, q)[end])
        return total

    def _field_states(
        self,
        fields: tuple[FieldLayout, ...],
        version: int,
        pos: int,
        targets: list[int] | None = None,
    ) -> list[Ways]:
        """Where each field can start (one map per field), and where the last one can end.

        With ``targets``, offsets from which the remaining fields cannot end on one of them
        are dropped as they appear (a uint8 of unknown count otherwise yields thousands).
        """
        states: list[Ways] = [{pos: 1}]
        rest = self._suffix_ranges(fields, version) if targets else []
        for i, layout in enumerate(fields):
            before = states[-1]
            sent = layout.conditional or layout.version_id <= version
            after: Ways = dict(before) if layout.conditional or not sent else {}
            if sent:
                for offset, count in before.items():
                    for end, more in self._field_ends(layout, offset).items():
                        _add(after, end, count * more)
            if targets:
                low, high = rest[i + 1]
                after = {
                    o: c for o, c in after.items() if any(low <= q - o <= high for q in targets)
                }
            self._spend(len(after) + 1)
            states.append(after)
        return states

    def _suffix_ranges(
        self, fields: tuple[FieldLayout, ...], version: int
    ) -> list[tuple[int, float]]:
        """(fewest, most) bytes that fields[i:] can take, for each i."""
        ranges: list[tuple[int, float]] = [(0, 0)]
        for layout in reversed(fields):
            low, high = self._field_range(layout, version)
            ranges.insert(0, (ranges[0][0] + low, ranges[0][1] + high))
        return ranges

    def _field_range(self, layout: FieldLayout, version: int) -> tuple[int, float]:
        if not layout.conditional and layout.version_id > version:
            return 0, 0
        if layout is self._free and self._free_count is None:
            low, high = 0, math.inf
        else:
            count = self._counts(layout, 0)[0]
            if layout.vmsd is None:
                low, high = count * layout.size, count * layout.size
            else:
                element = self._vmsd_range(layout.vmsd)
                low, high = count * element[0], count * element[1]
        return (0 if layout.conditional else low), high

    def _vmsd_range(self, vmsd: VmsdLayout) -> tuple[int, float]:
        fields = self._suffix_ranges(vmsd.fields, vmsd.version)[0]
        return fields[0], (math.inf if vmsd.subsections else fields[1])

    def _counts(self, layout: FieldLayout, pos: int) -> list[int]:
        listed = layout.array_len if layout.array_len is not None else 1
        if layout is not self._free:
            return [listed]
        if self._free_count is not None:
            return [self._free_count]
        element = self._element_size(layout) or 1
        return [n for n in range((self._end - pos) // element + 1) if n != listed]

    def _field_ends(self, layout: FieldLayout, pos: int) -> Ways:
        ways: Ways = {}
        for count in self._counts(layout, pos):
            for end, more in self._elements(layout, count, pos).items():
                _add(ways, end, more)
        return ways

    def _elements(self, layout: FieldLayout, count: int, pos: int) -> Ways:
        element = self._element_size(layout)
        if element is not None:
            end = pos + count * element
            return {end: 1} if end <= self._end else {}
        assert layout.vmsd is not None
        states: Ways = {pos: 1}
        for _ in range(count):
            states = self._compose(states, layout.vmsd)
            if not states:
                break
        return states

    def _compose(self, states: Ways, nested: VmsdLayout) -> Ways:
        """Where one more element of ``nested`` can end, after any of ``states``."""
        following: Ways = {}
        for offset, ways in states.items():
            for end, more in self._reach(nested, nested.version, offset).items():
                _add(following, end, ways * more)
        self._spend(len(following) + 1)
        return following

    def _subsections(self, vmsd: VmsdLayout, pos: int) -> Ways:
        """Where the subsections that follow vmsd's fields at pos end (read by their headers)."""
        key = (id(vmsd), pos)
        memo = self._subsection_memo.get(key)
        if memo is not None:
            return memo
        header = self._subsection_header(vmsd, pos)
        ways: Ways = {pos: 1}
        if header is not None:
            sub, version, body = header
            ways = {}
            for offset, count in self._reach(sub, version, body).items():
                for end, more in self._subsections(vmsd, offset).items():
                    _add(ways, end, count * more)
        self._subsection_memo[key] = ways
        return ways

    def _subsection_header(self, vmsd: VmsdLayout, pos: int) -> tuple[VmsdLayout, int, int] | None:
        """The subsection starting at pos as the loader sees it: 0x05, a name that starts with
        the parent's name, a be32 version (of which it keeps the low 8 bits)."""
        if not vmsd.may_have_subsections or pos + 2 > self._end:
            return None
        if self.buf[pos] != SUBSECTION_TAG:
            return None
        name_len = self.buf[pos + 1]
        body = pos + 2 + name_len + 4
        if name_len == 0 or body > self._end:
            return None
        name = bytes(self.buf[pos + 2 : pos + 2 + name_len]).decode("latin-1")
        if not name.startswith(vmsd.name) or len(name) <= len(vmsd.name):
            return None
        version = int.from_bytes(self.buf[body - 4 : body], "big") & 0xFF
        sub = vmsd.find_subsection(name) or self.layout.find_vmsd(name)
        if sub is None:
            if not name.isascii() or not name.isprintable():
                return None
            # A subsection this layout does not describe: its bytes run to the next
            # subsection header of the same parent, or to the end of the body.
            stop = self._next_subsection_header(vmsd, body)
            raw = FieldLayout(OPAQUE_FIELD, "raw", stop - body)
            sub = VmsdLayout(name, version, (raw,), may_have_subsections=False)
        return sub, version, body

    def _next_subsection_header(self, vmsd: VmsdLayout, pos: int) -> int:
        prefix = bytes([SUBSECTION_TAG]) + b"?" + vmsd.name.encode("latin-1")
        data = bytes(self.buf[pos : self._end])
        at = data.find(prefix[2:])
        while at >= 0:
            if at >= 2 and data[at - 2] == SUBSECTION_TAG and data[at - 1] > len(vmsd.name):
                return pos + at - 2
            at = data.find(prefix[2:], at + 1)
        return self._end

    # -- rebuilding the one reading -------------------------------------------------------

    def _build(self, vmsd: VmsdLayout, version: int, start: int, end: int) -> VmsdLayout:
        """The concrete layout of the only reading of vmsd from start to end."""
        states = self._field_states(vmsd.fields, version, start)
        fields_end = _only(
            offset
            for offset, count in states[-1].items()
            if count * self._subsections(vmsd, offset).get(end, 0)
        )
        fields = self._build_fields(vmsd.fields, version, states, fields_end)
        subsections = self._build_subsections(vmsd, fields_end, end)
        return VmsdLayout(
            name=vmsd.name,
            version=version,
            fields=tuple(fields),
            subsections=tuple(subsections),
            minimum_version=vmsd.minimum_version,
            may_have_subsections=vmsd.may_have_subsections,
        )

    def _build_fields(
        self, fields: tuple[FieldLayout, ...], version: int, states: list[Ways], end: int
    ) -> list[FieldLayout]:
        built: list[FieldLayout] = []
        for i in range(len(fields) - 1, -1, -1):
            layout, before = fields[i], states[i]
            sent = layout.conditional or layout.version_id <= version
            skipped = (layout.conditional or not sent) and end in before
            choices = (
                [(o, count) for o in before for count in self._counts_reaching(layout, o, end)]
                if sent
                else []
            )
            if skipped and not choices:
                continue
            offset, count = _only(choices)
            built[:0] = self._build_elements(layout, count, offset, end)
            end = offset
        return built

    def _counts_reaching(self, layout: FieldLayout, pos: int, end: int) -> list[int]:
        """The element counts with which the field, read from pos, can end at end."""
        return [c for c in self._counts(layout, pos) if end in self._elements(layout, c, pos)]

    def _build_elements(
        self, layout: FieldLayout, count: int, start: int, end: int
    ) -> list[FieldLayout]:
        plain = replace(layout, version_id=0, conditional=False)
        folded = layout.array_len is not None or count != 1
        if layout.vmsd is None:
            return [replace(plain, array_len=count if folded else None)]
        nested = layout.vmsd
        starts: list[Ways] = [{start: 1}]
        for _ in range(count - 1):
            starts.append(self._compose(starts[-1], nested))
        bounds = [end]
        for k in range(count - 1, -1, -1):
            target = bounds[0]
            reaching = (o for o in starts[k] if target in self._reach(nested, nested.version, o))
            bounds.insert(0, _only(reaching))
        elements = [self._build(nested, nested.version, a, b) for a, b in pairwise(bounds)]
        if not folded:
            return [replace(plain, vmsd=elements[0], array_len=None)]
        if all(e == elements[0] for e in elements):
            return [replace(plain, vmsd=elements[0] if elements else nested, array_len=count)]
        return [replace(plain, vmsd=e, array_len=None, index=k) for k, e in enumerate(elements)]

    def _build_subsections(self, vmsd: VmsdLayout, pos: int, end: int) -> list[VmsdLayout]:
        header = self._subsection_header(vmsd, pos)
        if header is None:
            return []
        sub, version, body = header
        stop = _only(
            o for o in self._reach(sub, version, body) if self._subsections(vmsd, o).get(end, 0)
        )
        return [self._build(sub, version, body, stop), *self._build_subsections(vmsd, stop, end)]


def _only(items: Iterable[T]) -> T:
    """The single item of an iterable (the fitter only rebuilds readings it found unique)."""
    found = list(items)
    if len(found) != 1:
        raise AssertionError(f"expected one reading, found {len(found)}")
    return found[0]
