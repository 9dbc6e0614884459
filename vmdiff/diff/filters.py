"""Path globs for --ignore and --section, where brackets are literal (they mark instances)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str]:
    parts = []
    for char in pattern:
        if char == "*":
            parts.append(".*")
        elif char == "?":
            parts.append(".")
        else:
            parts.append(re.escape(char))
    # A pattern naming a node also names everything beneath it.
    return re.compile("".join(parts) + "(?:/.*)?", re.DOTALL)


def path_matches(path: str, pattern: str) -> bool:
    """True if the glob matches ``path`` or one of its ancestors.

    ``*`` matches any run of characters (``/`` included) and ``?`` one character; ``[`` and
    ``]`` match themselves, so ``cpu[0]/env.eip`` and ``mc146818rtc[*]`` mean what they say.
    """
    return _compile(pattern).fullmatch(path) is not None


def any_matches(path: str, patterns: Iterable[str]) -> bool:
    """True if any of the globs matches ``path`` (see :func:`path_matches`)."""
    return any(path_matches(path, p) for p in patterns)


__all__ = ["any_matches", "path_matches"]
