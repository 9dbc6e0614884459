"""vmdiff's field values equal those QEMU's scripts/analyze-migration.py prints, on every sample
the script can read.

The script is not part of vmdiff (never vendored): point VMDIFF_ANALYZE_MIGRATION at a copy,
e.g. from a QEMU source tree. It decodes bodies only with the vmdesc, so this checks vmdiff's
layout decoding against an independent reader: every value it prints must match ours, and
every field we decode must be covered by something it prints.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import decoded_sample, sample_capture, sample_path, stream_samples
from vmdiff.model import Field, Section, Subsection

SCRIPT_ENV = "VMDIFF_ANALYZE_MIGRATION"
STREAMS = [e["name"] for e in stream_samples()]
Leaves = dict[str, Any]


def _script() -> Path:
    path = os.environ.get(SCRIPT_ENV)
    if not path:
        pytest.skip(
            f"{SCRIPT_ENV} is not set: point it at QEMU's scripts/analyze-migration.py to "
            "compare field values with it"
        )
    if not Path(path).is_file():
        pytest.fail(f"{SCRIPT_ENV}={path}: no such file")
    return Path(path)


def _run_script(name: str, tmp_path: Path) -> dict[str, Any]:
    path = sample_path(name)
    if path.suffix == ".xz":  # the script reads plain files only
        plain = tmp_path / path.stem
        plain.write_bytes(bytes(sample_capture(name).source.buf))
        path = plain
    done = subprocess.run(
        [sys.executable, str(_script()), "-f", str(path), "-d", "state"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    if done.returncode != 0:
        last = done.stderr.strip().splitlines()[-1][:200] if done.stderr.strip() else "?"
        pytest.skip(f"analyze-migration.py cannot read {name}: {last}")
    result: dict[str, Any] = json.loads(done.stdout)
    return result


def _their_leaves(value: Any, path: str, out: Leaves) -> None:
    if isinstance(value, dict):
        for key, item in value.items():
            _their_leaves(item, f"{path}/{key}" if path else key, out)
    elif isinstance(value, list):
        for i, item in enumerate(value):
            _their_leaves(item, f"{path}[{i}]", out)
    else:
        out[path] = value


def _our_nodes(section: Section) -> dict[str, Field | Subsection]:
    """Every field and subsection by its path relative to the section, the script's way:
    array elements as NAME[I], struct members as STRUCT/MEMBER, subsections by name."""
    nodes: dict[str, Field | Subsection] = {}

    def fields(items: tuple[Field, ...], prefix: str, parent: Field | None) -> None:
        for field in items:
            if parent is not None and field.name.startswith(f"{parent.name}["):
                path = prefix.rsplit("/", 1)[0] + "/" + field.name if "/" in prefix else field.name
            else:
                path = f"{prefix}/{field.name}" if prefix else field.name
            nodes[path] = field
            fields(field.children, path, field)
            subsections(field.subsections, path)

    def subsections(items: tuple[Subsection, ...], prefix: str) -> None:
        for sub in items:
            path = f"{prefix}/{sub.name}" if prefix else sub.name
            nodes[path] = sub
            fields(sub.fields, path, None)
            subsections(sub.subsections, path)

    fields(section.fields, "", None)
    subsections(section.subsections, "")
    return nodes


def _same(theirs: Any, field: Field, data: bytes) -> bool:
    """Whether the script's printed value is our decoded value."""
    value, size = field.value, field.span.size
    if isinstance(theirs, bool):
        return value is theirs
    if theirs == "nullptr":
        return field.type_name == "nullptr" and value is None
    if not isinstance(theirs, str):
        return False
    if theirs.startswith("0x"):
        # An integer: "0x%0Nx" of its bytes, then " (-N)" when the type is signed and negative.
        return isinstance(value, int) and value % (1 << 8 * size) == int(theirs.split()[0], 16)
    printed = bytes.fromhex(theirs)  # a type the script shows as bytes ("aa bb ...")
    if isinstance(value, bool) or value is None:
        # Structs and tmp fields the script does not unfold: their bytes, as we delimit them.
        return value is None and printed == data[field.span.start : field.span.end]
    if isinstance(value, int):  # e.g. "timer", which we read as a be64 expiry
        return int.from_bytes(printed, "big", signed=value < 0) == value
    if isinstance(value, tuple):  # "pci irq state": four be32
        return printed == b"".join(v.to_bytes(4, "big", signed=True) for v in value)
    if isinstance(value, str):  # "capability"
        return theirs == value
    return printed == value


@pytest.mark.parametrize("name", STREAMS)
def test_field_values_match_analyze_migration(name: str, tmp_path: Path) -> None:
    printed = _run_script(name, tmp_path)
    stream = decoded_sample(name)
    data = bytes(sample_capture(name).source.buf)
    sections = {f"{s.idstr} ({s.section_id})": s for s in stream.iter_sections()}
    compared = 0
    for key, state in printed.items():
        section = sections[key]
        if section.is_ram:
            assert stream.ram is not None
            sizes = state["section sizes"]
            assert {n: int(v, 16) for n, v in sizes.items()} == {
                b.name: b.length for b in stream.ram.blocks.values()
            }
            continue
        theirs: Leaves = {}
        _their_leaves(state, "", theirs)
        ours = _our_nodes(section)
        for path, value in theirs.items():
            node = ours.get(path)
            assert isinstance(node, Field), f"{section.path}/{path}: not decoded by vmdiff"
            same = _same(value, node, data)
            assert same, (
                f"{section.path}/{path}: the script prints {value!r}, vmdiff {node.value!r}"
            )
            compared += 1
        for path, node in ours.items():
            if isinstance(node, Field) and not node.children:
                parts = path.split("/")
                covered = any("/".join(parts[:n]) in theirs for n in range(len(parts), 0, -1))
                assert covered, (
                    f"{section.path}/{path}: decoded by vmdiff, not printed by the script"
                )
    assert {k for k in printed if not sections[k].is_ram} == {
        f"{s.idstr} ({s.section_id})" for s in stream.device_sections()
    }
    assert compared > 500
