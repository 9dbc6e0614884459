"""Make multifd capture sets: QEMU migrates over TCP to a listener that stores each connection.

    python3 tools/make-multifd-samples.py [OUT_DIR]     (default samples/multifd)

Each set is a directory holding main.bin (the connection that starts with QEVM) and
channel-N.bin for each multifd channel (named by the channel id in its MultiFDInit_t header).
The listener accepts connections on 127.0.0.1 and never answers: multifd needs no reply.
"""

from __future__ import annotations

import socket
import sys
import threading
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from vmdiff.qemu import QemuBinary, capture, find_qemu  # noqa: E402

MULTIFD_MAGIC = bytes.fromhex("11223344")
ACCEPT_TIMEOUT_S = 30.0

# name, QEMU version, machine
SETS = (
    ("pc-7.2-multifd", "7.2", "pc-i440fx-7.2"),
    ("pc-10.0-multifd", "10.0", "pc-i440fx-10.0"),
)


class ConnectionRecorder:
    """A TCP listener on 127.0.0.1 that writes every accepted connection to its own file."""

    def __init__(self, out_dir: Path) -> None:
        self.out_dir = out_dir
        self.server = socket.create_server(("127.0.0.1", 0))
        self.server.settimeout(0.2)
        self.port = self.server.getsockname()[1]
        self.files: list[Path] = []
        self._threads: list[threading.Thread] = []
        self._stop = False
        self._acceptor = threading.Thread(target=self._accept, daemon=True)
        self._acceptor.start()

    def _accept(self) -> None:
        while not self._stop:
            try:
                conn, _ = self.server.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            conn.settimeout(ACCEPT_TIMEOUT_S)
            thread = threading.Thread(target=self._record, args=(conn,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _record(self, conn: socket.socket) -> None:
        with conn:
            head = b""
            while len(head) < 25 and (data := conn.recv(1 << 20)):
                head += data
            path = self.out_dir / _name_for(head, len(self._threads))
            self.files.append(path)
            with path.open("wb") as out:
                out.write(head)
                while data := conn.recv(1 << 20):
                    out.write(data)

    def finish(self) -> list[Path]:
        """Stop accepting and wait for every connection to close."""
        self._stop = True
        self.server.close()
        self._acceptor.join()
        for thread in self._threads:
            thread.join(ACCEPT_TIMEOUT_S)
        return list(self.files)


def _name_for(head: bytes, number: int) -> str:
    """main.bin for the QEVM channel, channel-ID.bin for a multifd channel (id at byte 24)."""
    if head.startswith(b"QEVM"):
        return "main.bin"
    if head.startswith(MULTIFD_MAGIC) and len(head) >= 25:
        return f"channel-{head[24]}.bin"
    return f"connection-{number}.bin"


def capture_multifd_set(
    qemu: QemuBinary, args: list[str], out_dir: Path, *, timeout: float = 60
) -> list[Path]:
    """Migrate a QEMU that ran SeaBIOS for a second, with multifd (2 channels, QEMU's default)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    for old in out_dir.glob("*.bin"):
        old.unlink()
    recorder = ConnectionRecorder(out_dir)
    try:
        capture(
            qemu,
            args,
            out_dir / "main.bin",
            running=True,
            capabilities=["multifd"],
            uri=f"tcp:127.0.0.1:{recorder.port}",
            timeout=timeout,
        )
    finally:
        files = recorder.finish()
    return sorted(files)


def main() -> int:
    out_root = Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT / "samples" / "multifd"
    for name, version, machine in SETS:
        qemu = find_qemu(version)
        if qemu is None:
            print(f"{name}: QEMU {version} not installed, skipped", file=sys.stderr)
            continue
        args = ["-M", machine, "-m", "64", "-accel", "tcg"]
        files = capture_multifd_set(qemu, args, out_root / name)
        sizes = ", ".join(f"{f.name} {f.stat().st_size}" for f in files)
        print(f"{name}: {sizes}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
