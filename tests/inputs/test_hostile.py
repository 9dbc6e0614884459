"""Damaged containers end in a clean InputError or a decoded stream, never anything else."""

from __future__ import annotations

import tempfile
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from tests.inputs.helpers import libvirt_sample
from vmdiff.decode import open_capture
from vmdiff.errors import InputError

XZ_IMAGE = libvirt_sample("libvirt-9.0-xz.sav").read_bytes()
HEAD = XZ_IMAGE[: 92 + 1400]  # header, XML and the start of the cookie


def _open(data: bytes) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "image"
        path.write_bytes(data)
        try:
            with open_capture(str(path)) as capture:
                assert capture.stream.container is not None or capture.stream.fault is not None
        except InputError as err:
            assert str(err).startswith(f"{path}: ")


@settings(max_examples=60, deadline=None)
@given(st.integers(16, len(HEAD) - 1), st.binary(min_size=1, max_size=8))
def test_damaged_libvirt_header_is_an_input_error_or_a_stream(at: int, junk: bytes) -> None:
    _open(HEAD[:at] + junk + HEAD[at + len(junk) :] + XZ_IMAGE[len(HEAD) :])


@settings(max_examples=30, deadline=None)
@given(st.integers(92, len(XZ_IMAGE)))
def test_any_prefix_of_a_compressed_image_decodes_cleanly(cut: int) -> None:
    _open(XZ_IMAGE[:cut])
