"""Shared pieces of the input tests: sample paths and a stream's shape independent of offsets."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from tests.conftest import SAMPLES
from vmdiff.decode import open_capture
from vmdiff.model import Stream

LIBVIRT = SAMPLES / "libvirt"
COMPRESSORS = ("gzip", "bzip2", "xz", "zstd", "lzop")
Shape = tuple[list[tuple[str, str, int, int, int, int]], list[tuple[str, int, int, int]]]


def libvirt_sample(name: str) -> Path:
    """A file under samples/libvirt/."""
    return LIBVIRT / name


def shape(stream: Stream) -> Shape:
    """Sections (kind, idstr, instance, version, offset from the stream start, size) and RAM."""
    base = stream.stream_offset
    sections = [
        (s.kind, s.idstr, s.instance_id, s.version_id, s.span.start - base, s.span.size)
        for s in stream.iter_sections()
    ]
    ram = (
        [(b.name, b.length, b.zero_pages, b.full_pages) for b in stream.ram.blocks.values()]
        if stream.ram
        else []
    )
    return sections, ram


def decode(path: Path | str) -> Stream:
    """Decode a file through the public entry point."""
    with open_capture(str(path)) as capture:
        return capture.stream


def unpack_with_tool(format_name: str, data: bytes) -> bytes:
    """Unpack with the compressor's own program: an oracle independent of vmdiff."""
    program = shutil.which(format_name)
    if program is None:
        pytest.skip(f"the {format_name} program is not installed")
    done = subprocess.run([program, "-dc"], input=data, capture_output=True, check=True)
    return done.stdout


def pack_with_tool(format_name: str, data: bytes) -> bytes:
    """Compress with the real program, as a user (or libvirt) would."""
    program = shutil.which(format_name)
    if program is None:
        pytest.skip(f"the {format_name} program is not installed")
    done = subprocess.run([program, "-c"], input=data, capture_output=True, check=True)
    return done.stdout
