"""RAM: pages compared by the hash of their final content, never by loading whole blocks."""

from __future__ import annotations

from array import array

from tests.conftest import decoded_sample, sample_capture
from tests.diff.helpers import diff_samples
from vmdiff.decode.pages import PageReader
from vmdiff.decode.ram import ZERO_PAGE_MARK
from vmdiff.diff import compare
from vmdiff.diff.ram import PageDigests, compare_pages
from vmdiff.model import RamBlock

PAGE = 4096


def test_page_ranges_agree_with_a_byte_by_byte_comparison() -> None:
    a = sample_capture("pc-7.2", index_pages=True)
    b = sample_capture("pc-7.2-running", index_pages=True)
    result = diff_samples("pc-7.2", "pc-7.2-running")
    assert a.stream.ram is not None and b.stream.ram is not None
    for name, block_a in a.stream.ram.blocks.items():
        block_b = b.stream.ram.blocks[name]
        reader_a = PageReader(a.source.buf, block_a, PAGE)
        reader_b = PageReader(b.source.buf, block_b, PAGE)
        expected = {
            i
            for i in range(len(reader_a))
            if (reader_a.page(i) or bytes(PAGE)) != (reader_b.page(i) or bytes(PAGE))
        }
        reported = {
            offset // PAGE
            for d in result.get(f"ram/{name}")
            for r in d.ranges
            for offset in range(r.start, r.end, PAGE)
        }
        assert reported == expected, name
    assert result.get("ram/pc.ram")[0].pages == 61


def _block(offsets: list[int]) -> RamBlock:
    return RamBlock("test", len(offsets) * PAGE, page_offsets=array("q", offsets))


def test_compare_pages_by_content() -> None:
    # Page data at 8, 8 + PAGE, ...: the same bytes written as a page, as zeros and as a mark.
    data = b"\0" * 8 + bytes(PAGE) + b"\1" * PAGE + b"\2" * PAGE
    zeros, ones, twos = 8, 8 + PAGE, 8 + 2 * PAGE
    a = _block([zeros, ones, ones, 0, twos, twos])
    b = _block([ZERO_PAGE_MARK, ones, twos, twos, twos, 0])
    found = compare_pages(PageDigests(data, a, PAGE), PageDigests(data, b, PAGE))
    assert found.ranges == ((2, 4), (5, 6)) and found.pages == 3 and found.unknown == 0


def test_compare_pages_leaves_unsent_pages_of_a_cut_stream_alone() -> None:
    data = b"\0" * 8 + b"\1" * PAGE
    a = _block([8, 8, 8])
    b = _block([8, 0, ZERO_PAGE_MARK])
    digests = PageDigests(data, a, PAGE), PageDigests(data, b, PAGE)
    assert compare_pages(*digests).ranges == ((1, 3),)
    partial = compare_pages(*digests, partial_b=True)
    assert partial.ranges == ((2, 3),) and partial.unsent == 1


def test_streams_without_page_index_compare_blocks_and_say_so() -> None:
    result = compare(decoded_sample("pc-7.2"), decoded_sample("pc-7.2-m128"))
    assert [d.kind.value for d in result.differences if d.path.startswith("ram/")] == [
        "size_changed"
    ]
    assert any("RAM page contents were not compared" in note for note in result.notes)
