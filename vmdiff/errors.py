"""Errors vmdiff reports to its users, and the exit statuses that go with them."""

from __future__ import annotations

from enum import IntEnum


class ExitStatus(IntEnum):
    """Process exit statuses, following diff(1)."""

    OK = 0
    DIFFERENT = 1
    TROUBLE = 2
    WOULD_FAIL = 3


class VmdiffError(Exception):
    """Any error vmdiff can explain to the user in one line."""


class InputError(VmdiffError):
    """A file could not be opened or is of a kind vmdiff does not read."""


class LayoutError(VmdiffError):
    """A layout file (vmdesc or -dump-vmstate JSON) is not usable."""


class DecodeError(VmdiffError):
    """The stream is not what the format says at ``offset``."""

    def __init__(self, offset: int, expected: str, found: str) -> None:
        self.offset = offset
        self.expected = expected
        self.found = found
        super().__init__(f"offset {offset:#x}: expected {expected}, found {found}")
