"""`vmdiff show -` reads standard input: plain, compressed and libvirt captures, in a real pipe."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import ROOT, sample_path
from tests.inputs.helpers import libvirt_sample, pack_with_tool


def _show_json(path: str, stdin: Any = None) -> tuple[int, dict[str, Any], str]:
    done = subprocess.run(
        [sys.executable, "-m", "vmdiff", "show", "--json", path],
        stdin=stdin,
        capture_output=True,
        cwd=ROOT,
        check=False,
        timeout=60,
    )
    document = json.loads(done.stdout) if done.stdout else {}
    return done.returncode, document, done.stderr.decode()


def _same_decode(a: dict[str, Any], b: dict[str, Any]) -> None:
    for key in ("sections", "ram", "configuration", "eof_offset", "stream_offset", "container"):
        assert a[key] == b[key], key


@pytest.mark.parametrize(
    "path",
    [
        sample_path("pc-7.2"),
        libvirt_sample("libvirt-9.0-raw.sav"),
        libvirt_sample("libvirt-9.0-xz.sav"),
        libvirt_sample("libvirt-11-zstd.sav"),
    ],
    ids=lambda p: p.name,
)
def test_stdin_decodes_like_the_file(path: Path) -> None:
    with path.open("rb") as stdin:
        status, piped, err = _show_json("-", stdin)
    assert status == 0, err
    _, direct, _ = _show_json(str(path))
    _same_decode(piped, direct)
    assert piped["file"] == "-"


def test_compressed_plain_stream_on_stdin(tmp_path: Path) -> None:
    packed = tmp_path / "capture.zst"
    packed.write_bytes(pack_with_tool("zstd", sample_path("pc-7.2").read_bytes()))
    with packed.open("rb") as stdin:
        status, piped, err = _show_json("-", stdin)
    assert status == 0, err
    _, direct, _ = _show_json(str(sample_path("pc-7.2")))
    assert piped["sections"] == direct["sections"]
    assert piped["container"]["format"] == "zstd"


def test_sparse_image_through_a_pipe_keeps_its_file_offsets() -> None:
    # `ssh host cat vm.save | vmdiff show -` with a sparse (mapped-ram) libvirt image.
    xz = shutil.which("xz")
    if xz is None:
        pytest.skip("the xz program is not installed")
    unpack = subprocess.Popen(
        [xz, "-dc", str(libvirt_sample("libvirt-11-sparse.sav.xz"))], stdout=subprocess.PIPE
    )
    status, piped, err = _show_json("-", unpack.stdout)
    assert unpack.wait() == 0
    assert status == 0, err
    _, direct, _ = _show_json(str(libvirt_sample("libvirt-11-sparse.sav.xz")))
    _same_decode(piped, direct)
    assert piped["container"]["format"] == "sparse"
    assert piped["ram"]["mapped_ram"] is True


def test_empty_stdin_is_a_clean_error() -> None:
    status, document, err = _show_json("-", subprocess.DEVNULL)
    assert status == 2
    assert document == {} or document.get("fault") is not None
    assert err.startswith("vmdiff: -: ") and "Traceback" not in err
