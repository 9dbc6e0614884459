"""Compare two decoded migration streams into a neutral list of differences keyed by path.

Imports vmdiff.model, vmdiff.decode and vmdiff.errors; never rich or textual.
"""

from vmdiff.diff.compare import CompareOptions, compare
from vmdiff.diff.difference import (
    Category,
    ChangeKind,
    Difference,
    DiffResult,
    DiffValue,
    PageRange,
    StreamInfo,
    Summary,
)
from vmdiff.diff.load import CapturePair, compare_files, open_pair
from vmdiff.diff.volatile import VOLATILE_PATHS

__all__ = [
    "VOLATILE_PATHS",
    "CapturePair",
    "Category",
    "ChangeKind",
    "CompareOptions",
    "DiffResult",
    "DiffValue",
    "Difference",
    "PageRange",
    "StreamInfo",
    "Summary",
    "compare",
    "compare_files",
    "open_pair",
]
