"""Shared fixtures: the real captures in samples/ and their manifest."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from vmdiff.decode import Capture, open_capture
from vmdiff.model import Stream

ROOT = Path(__file__).resolve().parent.parent
SAMPLES = ROOT / "samples"
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")


def manifest() -> list[dict[str, Any]]:
    """Every entry of samples/manifest.json."""
    entries: list[dict[str, Any]] = json.loads((SAMPLES / "manifest.json").read_text())
    return entries


def stream_samples() -> list[dict[str, Any]]:
    """Manifest entries that are migration streams (not -dump-vmstate files)."""
    return [e for e in manifest() if e["kind"] == "stream"]


def sample_path(name: str) -> Path:
    """The file of the sample called ``name`` in the manifest."""
    for entry in manifest():
        if entry["name"] == name:
            return SAMPLES / str(entry["file"])
    raise KeyError(name)


_DECODED: dict[tuple[str, bool], Capture] = {}


def decoded_sample(name: str, *, index_pages: bool = False) -> Stream:
    """A sample decoded once per test session."""
    return sample_capture(name, index_pages=index_pages).stream


def sample_capture(name: str, *, index_pages: bool = False) -> Capture:
    """A sample's Capture (kept mapped for the whole session)."""
    key = (name, index_pages)
    if key not in _DECODED:
        _DECODED[key] = open_capture(str(sample_path(name)), index_pages=index_pages)
    return _DECODED[key]


@pytest.fixture(scope="session")
def pc72() -> Stream:
    """The baseline 7.2 pc-i440fx-7.2 capture."""
    return decoded_sample("pc-7.2")
