"""Pairing sections, subsections and fields across two streams."""

from __future__ import annotations

from tests.conftest import decoded_sample
from vmdiff.diff.align import pair_by_key, pair_sections


def _pairs(a: str, b: str) -> list[tuple[str | None, str | None]]:
    return [(x, y) for x, y in pair_by_key(list(a), list(b), lambda c: c)]


def test_pair_by_key_keeps_a_order_and_places_b_only_items_where_b_has_them() -> None:
    assert _pairs("abcd", "axbyd") == [
        ("a", "a"),
        (None, "x"),
        ("b", "b"),
        (None, "y"),
        ("c", None),
        ("d", "d"),
    ]


def test_pair_by_key_matches_repeats_in_order() -> None:
    assert _pairs("aab", "aba") == [("a", "a"), ("a", "a"), ("b", "b")]
    assert _pairs("aa", "a") == [("a", "a"), ("a", None)]


def test_pair_by_key_b_only_items_before_anything_shared() -> None:
    assert _pairs("b", "xyb") == [(None, "x"), (None, "y"), ("b", "b")]


def test_pair_sections_ignores_section_ids() -> None:
    a, b = decoded_sample("pc-7.2"), decoded_sample("pc-7.2-on-10.0")
    # 10.0 numbers its sections differently from 7.2 ...
    ids_a = {s.path: s.section_id for s in a.device_sections()}
    ids_b = {s.path: s.section_id for s in b.device_sections()}
    assert any(ids_a[p] != ids_b[p] for p in ids_a.keys() & ids_b.keys())
    # ... yet every device instance pairs with its counterpart.
    pairs = pair_sections(a, b)
    assert all(x is not None and y is not None for x, y in pairs)
    assert all(x.path == y.path for x, y in pairs if x and y)


def test_pair_sections_one_entry_for_iterative_ram() -> None:
    pairs = pair_sections(decoded_sample("pc-7.2-running"), decoded_sample("pc-7.2"))
    ram = [x for x, _ in pairs if x is not None and x.idstr == "ram"]
    assert len(ram) == 1 and ram[0].kind == "start"
