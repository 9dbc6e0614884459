"""Comparing samples from samples/ the way the tests need it."""

from __future__ import annotations

from tests.conftest import sample_capture
from vmdiff.diff import CompareOptions, DiffResult, compare


def diff_samples(a: str, b: str, **options: object) -> DiffResult:
    """compare() on two samples decoded with a page index."""
    return compare(
        sample_capture(a, index_pages=True),
        sample_capture(b, index_pages=True),
        CompareOptions(**options),  # type: ignore[arg-type]
    )


def found(result: DiffResult) -> set[tuple[str, str]]:
    """(path, kind) of every difference."""
    return {(d.path, d.kind.value) for d in result.differences}
