"""What a comparison covers: the knobs behind vmdiff diff's filter options."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class CompareOptions:
    """What to compare and what to leave out."""

    ignore: tuple[str, ...] = ()
    """Path globs (see vmdiff.diff.filters) whose differences are dropped and counted."""
    ignore_volatile: bool = False
    """Also drop VOLATILE_PATHS: values that differ between any two captures of one setup."""
    ram: bool = True
    """Compare RAM blocks and pages (page contents need both sides as Captures with an index)."""
    sections: tuple[str, ...] = ()
    """Only these idstr or path globs (``ram``, ``configuration`` and ``command`` included)."""
