"""docs/json-show.md documents every key `vmdiff show --json` prints, and offsets are absolute."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, sample_capture, sample_path
from vmdiff.cli import main

DOC = ROOT / "docs" / "json-show.md"


def documented_keys() -> set[str]:
    """Every `key` named in the first column of a table of the schema document."""
    keys: set[str] = set()
    for line in DOC.read_text().splitlines():
        if line.startswith("| `"):
            keys.update(re.findall(r"`(?:[a-z_]+\.)?([a-z_]+)`", line.split("|")[1]))
    keys.update(re.findall(r"`([a-z_]+)`", DOC.read_text().split("## Container")[1]))
    return keys


def _keys(value: Any) -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(key)
            found |= _keys(item)
    elif isinstance(value, list):
        for item in value:
            found |= _keys(item)
    return found


@pytest.mark.parametrize(
    "name", ["pc-7.2-e1000", "pc-10.0-mapped-ram", "pc-10.0-ignore-shared", "pc-7.2-kvm"]
)
def test_every_key_is_documented(name: str, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["show", "--json", str(sample_path(name))]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["format"] == "vmdiff.show/1"
    assert not _keys(document) - documented_keys()


def test_offsets_are_absolute(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """Offsets point at the bytes they describe in the file, e.g. each section's type byte
    and its footer's 0x7e."""
    name = "pc-7.2"
    assert main(["show", "--json", str(sample_path(name))]) == 0
    document = json.loads(capsys.readouterr().out)
    data = bytes(sample_capture(name).source.buf)
    kinds = {"start": 1, "part": 2, "end": 3, "full": 4}
    for section in document["sections"]:
        assert data[section["offset"]] == kinds[section["kind"]]
        assert data[section["footer_offset"]] == 0x7E
        assert section["body_offset"] + section["body_size"] == section["footer_offset"]
        for sub in section["subsections"]:
            assert data[sub["offset"]] == 0x05
            assert data[sub["offset"] + 2 : sub["offset"] + 2 + data[sub["offset"] + 1]] == (
                sub["name"].encode()
            )
    assert data[document["eof_offset"]] == 0 and data[document["vmdesc"]["offset"]] == 6
    field = next(
        f
        for s in document["sections"]
        if s["path"] == "globalstate[0]"
        for f in s["fields"]
        if f["name"] == "runstate"
    )
    assert data[field["offset"] : field["offset"] + field["size"]].hex() == field["value"]
