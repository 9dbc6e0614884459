"""`vmdiff capture` against a real QEMU started here with a QMP socket."""

from __future__ import annotations

import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.inputs.helpers import decode
from vmdiff.cli import main
from vmdiff.qemu import QmpClient, find_qemu

QEMU = find_qemu("7.2")
pytestmark = pytest.mark.skipif(QEMU is None, reason="QEMU 7.2 is not installed")


class Guest:
    """A QEMU with a QMP socket, as a user's VM would be."""

    def __init__(self, workdir: Path, *, paused: bool) -> None:
        assert QEMU is not None
        self.socket = workdir / "qmp.sock"
        args = ["-nodefaults", "-display", "none", "-monitor", "none"]
        args += ["-qmp", f"unix:{self.socket},server=on,wait=off"]
        args += ["-M", "pc-i440fx-7.2", "-m", "64", "-accel", "tcg"]
        self.proc = subprocess.Popen(
            QEMU.argv([*args, *(["-S"] if paused else [])]),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        self.qmp("query-status")  # waits for the socket to appear

    def qmp(self, command: str, arguments: dict[str, object] | None = None) -> dict[str, object]:
        """One QMP command on a fresh connection (QEMU serves one client at a time)."""
        with QmpClient.connect(self.socket, timeout=10) as client:
            return client.execute(command, arguments)

    def stop(self) -> None:
        self.proc.kill()
        self.proc.wait()


@pytest.fixture
def running(tmp_path: Path) -> Iterator[Guest]:
    guest = Guest(tmp_path, paused=False)
    try:
        yield guest
    finally:
        guest.stop()


def test_capture_of_a_running_guest_warns_that_it_ends_paused(
    running: Guest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "live.bin"
    assert running.qmp("query-status")["running"] is True
    assert main(["capture", "--qmp", str(running.socket), "-o", str(out)]) == 0
    err = capsys.readouterr().err
    assert f"wrote {out}: {out.stat().st_size} bytes" in err
    assert "warning: the guest is paused now (postmigrate)" in err
    assert running.qmp("query-status")["status"] == "postmigrate"
    stream = decode(out)
    assert stream.fault is None
    assert stream.machine_type == "pc-i440fx-7.2"
    assert stream.ram is not None and stream.ram.blocks["pc.ram"].length == 64 << 20
    # The capture left QEMU's own bandwidth limit as it found it.
    assert running.qmp("query-migrate-parameters")["max-bandwidth"] == 128 << 20


def test_capture_with_resume_leaves_the_guest_running(
    running: Guest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "resumed.bin"
    assert main(["capture", "--qmp", str(running.socket), "-o", str(out), "--resume"]) == 0
    assert "the guest runs again (--resume)" in capsys.readouterr().err
    assert running.qmp("query-status")["status"] == "running"
    assert decode(out).fault is None
    # Running again, so it can be captured again.
    assert main(["capture", "--qmp", str(running.socket), "-o", str(out), "--resume"]) == 0


def test_capture_of_a_paused_guest_keeps_it_paused(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    guest = Guest(tmp_path, paused=True)
    try:
        out = tmp_path / "paused.bin"
        assert main(["capture", "--qmp", str(guest.socket), "-o", str(out), "--resume"]) == 0
        assert "was not running before the capture" in capsys.readouterr().err
        assert guest.qmp("query-status")["running"] is False
        assert decode(out).fault is None
    finally:
        guest.stop()


def test_capture_refuses_multifd(
    running: Guest, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    running.qmp(
        "migrate-set-capabilities", {"capabilities": [{"capability": "multifd", "state": True}]}
    )
    out = tmp_path / "refused.bin"
    assert main(["capture", "--qmp", str(running.socket), "-o", str(out)]) == 2
    err = capsys.readouterr().err
    assert "the migration capability multifd is on" in err and err.count("\n") == 1
    assert not out.exists()
    assert running.qmp("query-status")["running"] is True


def test_capture_without_a_qemu_is_a_clean_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["capture", "--qmp", str(tmp_path / "none.sock"), "-o", "x.bin"]) == 2
    err = capsys.readouterr().err
    assert err == (
        f"vmdiff: {tmp_path / 'none.sock'}: no such QMP socket (QEMU's -qmp unix:PATH,server=on)\n"
    )
