"""vmdiff.qemu against real QEMU 7.2 and 10.0; each test skips when its QEMU is absent."""

import json
import os
import socket
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from vmdiff.qemu import (
    QemuBinary,
    QemuError,
    QmpClient,
    QmpError,
    capture,
    dump_vmstate,
    find_qemu,
    load,
)

PC_72 = ("-M", "pc-i440fx-7.2", "-m", "64", "-accel", "tcg")
E1000 = ("-device", "e1000,mac=52:54:00:12:34:56")
QEVM_V3 = b"QEVM\x00\x00\x00\x03"


def require(version: str) -> QemuBinary:
    """Return QEMU `version` or skip the test saying how to install it."""
    found = find_qemu(version)
    if found is None:
        pytest.skip(f"QEMU {version} not installed: run tools/install-qemu.sh")
    return found


@pytest.fixture(scope="module")
def qemu72() -> QemuBinary:
    """QEMU 7.2 (Debian's)."""
    return require("7.2")


@pytest.fixture(scope="module")
def qemu10() -> QemuBinary:
    """QEMU 10.0 (unpacked by tools/install-qemu.sh)."""
    return require("10.0")


@pytest.fixture(scope="module")
def stream72(qemu72: QemuBinary, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A paused pc-i440fx-7.2 stream captured with 7.2."""
    out = tmp_path_factory.mktemp("streams") / "pc-7.2.bin"
    return capture(qemu72, PC_72, out).path


def child_pids() -> list[int]:
    """Return the pids of this process's live children (zombies excluded)."""
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if fields[0] != "Z" and int(fields[1]) == os.getpid():
            children.append(int(stat.parent.name))
    return children


def test_find_qemu_reports_its_version(qemu72: QemuBinary, qemu10: QemuBinary) -> None:
    assert qemu72.version == "7.2"
    assert qemu72.full_version.startswith("7.2.")
    assert qemu10.version == "10.0"
    assert qemu10.full_version.startswith("10.0.")


def test_find_qemu_returns_none_for_unknown_or_missing(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("VMDIFF_QEMU10_PREFIX", str(tmp_path))
    assert find_qemu("10.0") is None
    assert find_qemu("1.0") is None


def test_argv_runs_10_with_its_own_module_dir() -> None:
    prefix = Path("/opt/q10")
    qemu = QemuBinary("10.0", "10.0.2", prefix / "usr/bin/qemu-system-x86_64", prefix)
    argv = qemu.argv(["-m", "64"])
    assert argv[:2] == ["unshare", "--mount"]
    assert "/opt/q10/usr/lib/x86_64-linux-gnu/qemu" in argv
    assert argv[-2:] == ["-m", "64"]
    assert argv[argv.index("-L") + 1] == "/opt/q10/usr/share/qemu"


def test_capture_writes_a_version_3_stream(stream72: Path) -> None:
    assert stream72.read_bytes()[:8] == QEVM_V3


def test_load_accepts_a_stream_from_the_same_config(qemu72: QemuBinary, stream72: Path) -> None:
    result = load(qemu72, PC_72, stream72)
    assert result.succeeded, result.stderr
    assert result.status == "completed"
    assert result.error_lines == ()


def test_load_rejects_a_newer_machine_type(
    qemu72: QemuBinary, qemu10: QemuBinary, tmp_path: Path
) -> None:
    stream = capture(qemu10, ["-m", "64", "-accel", "tcg"], tmp_path / "pc-10.0.bin").path
    result = load(qemu72, PC_72, stream)
    assert not result.succeeded
    assert result.status == "failed"
    message = "Machine type received is 'pc-i440fx-10.0' and local is 'pc-i440fx-7.2'"
    assert message in result.stderr
    assert result.first_error == message
    assert "load of migration failed: Invalid argument" in result.error_lines


def test_load_without_the_e1000_fails_on_its_rom_ram_block(
    qemu72: QemuBinary, tmp_path: Path
) -> None:
    stream = capture(qemu72, [*PC_72, *E1000], tmp_path / "e1000.bin").path
    result = load(qemu72, PC_72, stream)
    assert not result.succeeded
    assert 'Unknown ramblock "0000:00:02.0/e1000.rom"' in result.stderr
    assert "error while loading state for instance 0x0 of device 'ram'" in result.stderr
    assert child_pids() == []


def test_load_of_a_10_stream_with_the_72_machine_succeeds_in_72(
    qemu72: QemuBinary, qemu10: QemuBinary, tmp_path: Path
) -> None:
    stream = capture(qemu10, PC_72, tmp_path / "pc-7.2-on-10.0.bin").path
    assert load(qemu72, PC_72, stream).succeeded


def test_capture_names_the_reason_when_qemu_exits_early(qemu72: QemuBinary, tmp_path: Path) -> None:
    out = tmp_path / "never.bin"
    with pytest.raises(QemuError, match=r"exited early.*'nope' is not a valid device model name"):
        capture(qemu72, [*PC_72, "-device", "nope"], out)
    assert not out.exists()
    assert child_pids() == []


def test_capture_raises_qmp_error_for_an_unknown_capability(
    qemu72: QemuBinary, tmp_path: Path
) -> None:
    with pytest.raises(QmpError, match="no-such-cap") as caught:
        capture(qemu72, PC_72, tmp_path / "x.bin", capabilities=["no-such-cap"])
    assert caught.value.error_class == "GenericError"


def test_load_refuses_a_missing_stream_file(qemu72: QemuBinary, tmp_path: Path) -> None:
    with pytest.raises(QemuError, match="no such stream file"):
        load(qemu72, PC_72, tmp_path / "absent.bin")


def test_dump_vmstate_of_10_names_the_machine(qemu10: QemuBinary, tmp_path: Path) -> None:
    # -dump-vmstate loads every module, so this also proves the module-dir bind works.
    out = dump_vmstate(qemu10, "pc-i440fx-7.2", tmp_path / "dump.json")
    schema = json.loads(out.read_text())
    assert schema["vmschkmachine"] == {"Name": "pc-i440fx-7.2"}
    assert "e1000" in schema


@pytest.fixture
def fake_qmp(tmp_path: Path) -> Iterator[Path]:
    """A QMP server that appears late, sends an event before each reply and fails "bad"."""
    path = tmp_path / "qmp.sock"

    def serve() -> None:
        time.sleep(0.2)
        with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as server:
            server.bind(str(path))
            server.listen(1)
            conn, _ = server.accept()
            with conn, conn.makefile("rwb") as stream:
                stream.write(b'{"QMP": {"version": {}, "capabilities": []}}\r\n')
                stream.flush()
                for line in stream:
                    request = json.loads(line)
                    event = {"event": "STOP", "timestamp": {"seconds": 0, "microseconds": 0}}
                    reply: dict[str, object] = {"id": request["id"], "return": {"ok": 1}}
                    if request["execute"] == "bad":
                        error = {"class": "CommandNotFound", "desc": "nope"}
                        reply = {"id": request["id"], "error": error}
                    stream.write(json.dumps(event).encode() + b"\r\n")
                    stream.write(json.dumps(reply).encode() + b"\r\n")
                    stream.flush()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield path
    thread.join(5)


def test_qmp_client_waits_for_the_socket_and_skips_events(fake_qmp: Path) -> None:
    with QmpClient.connect(fake_qmp, timeout=5) as qmp:
        assert qmp.execute("query-status") == {"ok": 1}
        assert [event["event"] for event in qmp.events] == ["STOP", "STOP"]
        with pytest.raises(QmpError, match="CommandNotFound: nope"):
            qmp.execute("bad")


def test_qmp_client_times_out_when_no_socket_appears(tmp_path: Path) -> None:
    started = time.monotonic()
    with pytest.raises(QemuError, match="did not appear"):
        QmpClient.connect(tmp_path / "none.sock", timeout=0.3)
    assert time.monotonic() - started < 2
