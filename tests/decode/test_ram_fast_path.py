"""The hand-written RAM scanner reads exactly what the grammar reads.

On every sample, every "ram" body is walked by ``RamDecoder`` (with and without a trace, with
and without a page index; runs of zero and full pages go through vmdiff.decode.runs) and by
the generated ``QemuMigration.RamRecord`` one record at a time; records, end offsets, block
lists, per-block statistics and page indexes must agree. Then hypothesis mutates and truncates
real RAM bodies: both readings must agree record for record and fail on the same record (the
scanner may stop earlier only on a record QEMU itself refuses but the grammar cannot know
about: an unknown block name, an offset outside the block).
"""

from __future__ import annotations

from dataclasses import dataclass

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.conftest import sample_capture, stream_samples
from tests.decode.ram_oracle import GrammarReading, read_bodies
from vmdiff.decode.ram import EOS, MIN_RUN, RamDecoder, TraceEntry
from vmdiff.errors import DecodeError
from vmdiff.model import Buffer, RamBlock, RamSummary, Section

STREAMS = [e["name"] for e in stream_samples()]
PAGE_SIZE = 4096


def _ram_bodies(name: str) -> tuple[Buffer, list[Section], bool, bool]:
    capture = sample_capture(name)
    stream = capture.stream
    assert stream.fault is None
    caps = stream.configuration.capabilities if stream.configuration else None
    sections = [s for s in stream.iter_sections() if s.is_ram and s.kind != "full"]
    assert sections, name
    return (
        capture.source.buf,
        sections,
        "x-ignore-shared" in (caps or ()),
        "mapped-ram" in (caps or ()),
    )


@dataclass
class ScannerReading:
    """What RamDecoder read: its trace (if asked), body ends, and where it stopped."""

    summary: RamSummary
    trace: list[TraceEntry] | None
    ends: list[int]
    error: DecodeError | None


def _scan(
    buf: Buffer,
    starts: list[int] | None,
    limit: int,
    *,
    trace: bool,
    index_pages: bool = False,
    ignore_shared: bool = False,
    mapped_ram: bool = False,
    count: int = 1,
) -> ScannerReading:
    summary = RamSummary(page_size=PAGE_SIZE, mapped_ram=mapped_ram)
    decoder = RamDecoder(
        buf,
        summary,
        ignore_shared=ignore_shared,
        mapped_ram=mapped_ram,
        index_pages=index_pages,
        trace=[] if trace else None,
    )
    ends: list[int] = []
    pos = 0
    try:
        for number in range(len(starts) if starts is not None else count):
            if starts is not None:
                pos = starts[number]
            pos = decoder.decode_body(pos, limit)
            ends.append(pos)
    except DecodeError as err:
        return ScannerReading(summary, decoder.trace, ends, err)
    return ScannerReading(summary, decoder.trace, ends, None)


def _stats(block: RamBlock) -> tuple[int, int, int, int, int, int]:
    return (
        block.zero_pages,
        block.full_pages,
        block.xbzrle_pages,
        block.compressed_pages,
        block.payload_bytes,
        block.passes,
    )


def _assert_blocks_agree(grammar: GrammarReading, summary: RamSummary) -> None:
    assert list(summary.blocks) == grammar.block_order
    for name, block in summary.blocks.items():
        expected = grammar.blocks[name]
        assert (block.length, block.guest_address) == (expected.length, expected.guest_address)
        mapped = block.mapped
        assert (
            None
            if mapped is None
            else (mapped.version, mapped.page_size, mapped.bitmap_offset, mapped.pages_offset)
        ) == expected.mapped
        assert _stats(block) == expected.stats(), name


@pytest.mark.parametrize("name", STREAMS)
def test_ram_scanner_reads_every_sample_body_as_the_grammar_does(name: str) -> None:
    buf, sections, ignore_shared, mapped_ram = _ram_bodies(name)
    starts = [s.body.start for s in sections]
    flags = {"ignore_shared": ignore_shared, "mapped_ram": mapped_ram}
    grammar = read_bodies(buf, starts, len(buf), PAGE_SIZE, **flags)
    assert grammar.error_at is None and grammar.semantic_error_at is None
    assert grammar.ends == [s.body.end for s in sections]

    traced = _scan(buf, starts, len(buf), trace=True, index_pages=True, **flags)
    assert traced.error is None
    assert traced.trace == grammar.records
    assert traced.ends == grammar.ends
    assert traced.summary.records == len(grammar.records)
    _assert_blocks_agree(grammar, traced.summary)

    for index_pages in (False, True):
        plain = _scan(buf, starts, len(buf), trace=False, index_pages=index_pages, **flags)
        assert plain.error is None
        assert plain.ends == grammar.ends
        assert plain.summary.records == len(grammar.records)
        _assert_blocks_agree(grammar, plain.summary)
        if index_pages:
            for block_name, block in plain.summary.blocks.items():
                assert block.page_offsets == grammar.page_index(block_name), block_name


def test_runs_of_zero_and_full_pages_take_the_fast_path() -> None:
    """The samples really exercise the run path: long runs of CONTINUE zero pages (pc.ram)
    and of CONTINUE full pages (the e1000 option ROM, 60 in a row)."""
    buf, sections, _, _ = _ram_bodies("pc-7.2-e1000")
    grammar = read_bodies(buf, [s.body.start for s in sections], len(buf), PAGE_SIZE)
    assert _longest_run(grammar.records, 0x22) >= 1000
    assert _longest_run(grammar.records, 0x28) >= MIN_RUN
    summary = RamSummary(page_size=PAGE_SIZE)
    decoder = RamDecoder(buf, summary)
    for section in sections:
        decoder.decode_body(section.body.start, len(buf))
    zero = sum(b.zero_pages for b in summary.blocks.values())
    assert 0.9 * zero < decoder.vectorised_records
    assert decoder.vectorised_records - zero >= MIN_RUN  # some full pages came in runs


def _longest_run(records: list[TraceEntry], flags: int) -> int:
    longest = current = 0
    for _, head, _, payload in records:
        current = current + 1 if head & 0xFFF == flags and payload != 1 else 0
        longest = max(longest, current)
    return longest


# -- mutated bodies ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Fixture:
    """Two real RAM bodies laid end to end: a START body and the start of a PART body."""

    data: bytes
    ignore_shared: bool
    record_starts: tuple[int, ...]


def _fixture(name: str, part_records: int) -> Fixture:
    buf, sections, ignore_shared, _ = _ram_bodies(name)
    start, part = sections[0], sections[1]
    grammar = read_bodies(buf, [part.body.start], len(buf), PAGE_SIZE, ignore_shared=ignore_shared)
    first = read_bodies(buf, [start.body.start], len(buf), PAGE_SIZE, ignore_shared=ignore_shared)
    cut = part.body.start + sum(grammar.sizes[:part_records])
    eos = EOS.to_bytes(8, "big")
    data = bytes(buf[start.body.start : first.ends[0]]) + bytes(buf[part.body.start : cut]) + eos
    reading = read_bodies(data, None, len(data), PAGE_SIZE, ignore_shared=ignore_shared, count=2)
    assert reading.error_at is None and len(reading.ends) == 2
    return Fixture(data, ignore_shared, tuple(r[0] for r in reading.records))


_FIXTURES: dict[str, Fixture] = {}


def _fixtures() -> list[Fixture]:
    if not _FIXTURES:
        # pc-7.2: long zero runs; pc-7.2-running: full pages among them; ignore-shared: GPAs.
        for name, records in (
            ("pc-7.2", 700),
            ("pc-7.2-running", 300),
            ("pc-10.0-ignore-shared", 200),
        ):
            _FIXTURES[name] = _fixture(name, records)
    return list(_FIXTURES.values())


@st.composite
def mutated(draw: st.DrawFn) -> tuple[bytes, bool]:
    fixture = draw(st.sampled_from(_fixtures()))
    data = bytearray(fixture.data)
    for _ in range(draw(st.integers(1, 3))):
        # Anywhere, or in a record's flags, block name length or zero-page fill byte.
        anywhere = st.integers(0, len(data) - 1)
        in_record = st.builds(
            lambda start, delta: min(start + delta, len(data) - 1),
            st.sampled_from(fixture.record_starts),
            st.sampled_from([6, 7, 8]),
        )
        offset = draw(st.one_of(anywhere, in_record))
        data[offset] = draw(
            st.one_of(st.integers(0, 255), st.sampled_from([0x00, 0x01, 0x20, 0x22, 0x28, 0x30]))
        )
    if draw(st.booleans()):
        offset = draw(st.integers(0, len(data)))
        del data[offset : offset + draw(st.integers(1, 12))]
    if draw(st.booleans()):
        data = data[: draw(st.integers(0, len(data)))]
    return bytes(data), fixture.ignore_shared


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(mutated())
def test_ram_scanner_and_grammar_agree_on_mutated_bodies(case: tuple[bytes, bool]) -> None:
    data, ignore_shared = case
    grammar = read_bodies(data, None, len(data), PAGE_SIZE, ignore_shared=ignore_shared, count=2)
    for trace in (True, False):
        scanned = _scan(data, None, len(data), trace=trace, ignore_shared=ignore_shared, count=2)
        failed_record = _first_failure(grammar)
        if failed_record is None:
            assert scanned.error is None
            assert scanned.ends == grammar.ends
            _assert_blocks_agree(grammar, scanned.summary)
        else:
            assert scanned.error is not None, "the scanner read a record the grammar refuses"
            done = [r for r in grammar.records if r[0] < failed_record]
            failing_end = _record_end(grammar, failed_record, len(data))
            assert failed_record <= scanned.error.offset <= failing_end
            assert scanned.ends == grammar.ends[: len(scanned.ends)]
            assert scanned.summary.records == len(done)
        if trace:
            expected = grammar.records if failed_record is None else done
            assert scanned.trace == expected


def test_ram_scanner_and_grammar_agree_on_every_flipped_bit() -> None:
    """Every bit of the flags, and of the two bytes after them, in records of each fixture."""
    checked = 0
    for fixture in _fixtures():
        starts = fixture.record_starts
        cut = starts[min(120, len(starts) - 1)]
        for record in starts[:120:5]:
            for offset in range(record + 6, min(record + 10, cut)):
                for bit in range(8):
                    data = bytearray(fixture.data[:cut])
                    data[offset] ^= 1 << bit
                    _assert_agree(bytes(data), fixture.ignore_shared)
                    checked += 1
    assert checked > 1000


def _assert_agree(data: bytes, ignore_shared: bool) -> None:
    grammar = read_bodies(data, None, len(data), PAGE_SIZE, ignore_shared=ignore_shared, count=2)
    failed_record = _first_failure(grammar)
    scanned = _scan(data, None, len(data), trace=True, ignore_shared=ignore_shared, count=2)
    if failed_record is None:
        assert scanned.error is None
        assert scanned.trace == grammar.records
    else:
        assert scanned.error is not None
        assert (
            failed_record <= scanned.error.offset <= _record_end(grammar, failed_record, len(data))
        )
        assert scanned.trace == [r for r in grammar.records if r[0] < failed_record]


def _first_failure(grammar: GrammarReading) -> int | None:
    candidates = [x for x in (grammar.error_at, grammar.semantic_error_at) if x is not None]
    return min(candidates) if candidates else None


def _record_end(grammar: GrammarReading, start: int, limit: int) -> int:
    for (offset, *_), size in zip(grammar.records, grammar.sizes, strict=True):
        if offset == start:
            return offset + size
    return limit
