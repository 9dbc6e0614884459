"""Differences and verdicts on the tree, without the app: where they land and what they say."""

from __future__ import annotations

from tests.conftest import sample_capture
from vmdiff.compat import check, profile_from_stream
from vmdiff.diff import CompareOptions, compare
from vmdiff.tui.annotate import annotate_comparison, path_index
from vmdiff.tui.from_stream import build_outline
from vmdiff.tui.marks import Marks
from vmdiff.tui.verdicts import annotate_verdicts


def test_each_difference_marks_the_node_at_its_path() -> None:
    a = sample_capture("pc-7.2-e1000", index_pages=True)
    b = sample_capture("pc-7.2-rtl8139", index_pages=True)
    result = compare(a, b, CompareOptions(ignore_volatile=True))
    outline_a = build_outline(a.stream)
    outline_b = build_outline(b.stream, side="b")
    assert annotate_comparison(outline_a, outline_b, result) == len(result.differences)
    index = path_index(outline_a.root)
    for difference in result.differences:
        node = index[difference.path]
        assert node.difference is not None
        assert node.side == ("b" if difference.kind == "only_in_b" else "a")
    # The NIC only B has sits where B has it: after the device before it in B, so next to
    # the NIC only A has.
    paths = [child.path for child in outline_a.root.children]
    piix4 = paths.index("0000:00:01.3/piix4_pm[0]")
    assert paths[piix4 + 1 : piix4 + 3] == ["0000:00:02.0/rtl8139[0]", "0000:00:02.0/e1000[0]"]
    assert outline_a.root.marked_below == len(result.differences)
    marks = Marks(outline_a.root)
    assert {n.path for n in marks.marked} == {d.path for d in result.differences}


def test_every_verdict_lands_on_a_node_with_its_path() -> None:
    source = sample_capture("pc-7.2-kvm").stream
    result = check(source, profile_from_stream(sample_capture("pc-7.2").stream))
    outline = build_outline(source)
    assert annotate_verdicts(outline, result) == len(result.verdicts)
    index = path_index(outline.root)
    for verdict in result.verdicts:
        node = index[verdict.path]
        assert node.verdict is not None
        assert ("reason", verdict.reason) in node.verdict_facts
    kvmclock = index["kvmclock[0]"]
    assert kvmclock.verdict == "reject"
    assert any(
        key == "QEMU prints" and "Unknown savevm section or instance 'kvmclock' 0" in value
        for key, value in kvmclock.verdict_facts
    )
