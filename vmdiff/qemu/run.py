"""Run a real QEMU to capture a migration stream, load one, or dump its VMState schema."""

import contextlib
import shlex
import subprocess
import tempfile
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmdiff.qemu.binaries import BINARY_NAME, QemuBinary
from vmdiff.qemu.pipe import PipeToFile
from vmdiff.qemu.qmp import QemuError, QmpClient, QmpError

# -nodefaults drops the default NIC, VGA, serial and monitor; the stream then shows only what
# the caller asked for. QEMU's own messages go to stderr, never to a monitor prompt.
BASE_ARGS = ("-nodefaults", "-display", "none", "-monitor", "none")
# The default cap of 128 MiB/s makes large captures slow.
MAX_BANDWIDTH = 64 * 1024**3
OUTGOING_FD_NAME = "vmdiff-out"
FINAL_STATES = frozenset({"completed", "failed", "cancelled"})
POLL_S = 0.05
SEABIOS_SETTLE_S = 1.0
QMP_TIMEOUT_S = 10.0
QUIT_TIMEOUT_S = 5.0
EXIT_GRACE_S = 1.0
PIPE_DRAIN_TIMEOUT_S = 10.0


@dataclass(frozen=True, slots=True)
class CaptureResult:
    """A stream written by `capture`: where, how big, and how QEMU was run."""

    path: Path
    size_bytes: int
    argv: tuple[str, ...]
    uri: str
    stderr: str
    duration_s: float


@dataclass(frozen=True, slots=True)
class LoadResult:
    """The destination's verdict on one stream: `succeeded`, final `status` and its messages."""

    succeeded: bool
    status: str
    stderr: str
    error_lines: tuple[str, ...]
    argv: tuple[str, ...]
    returncode: int | None

    @property
    def first_error(self) -> str | None:
        """Return the first message QEMU printed, or None when it printed nothing."""
        return self.error_lines[0] if self.error_lines else None


class _Qemu:
    """One started QEMU process with its QMP connection; `stop` always leaves nothing behind."""

    def __init__(
        self, qemu: QemuBinary, args: Sequence[str], workdir: Path, cwd: Path | None
    ) -> None:
        self.qemu = qemu
        self.stderr_path = workdir / "stderr.log"
        socket_path = workdir / "qmp.sock"
        qmp_arg = f"unix:{socket_path},server=on,wait=off"
        self.argv = tuple(qemu.argv([*BASE_ARGS, "-qmp", qmp_arg, *args]))
        self._qmp: QmpClient | None = None
        with self.stderr_path.open("wb") as stderr:
            try:
                self.proc = subprocess.Popen(
                    self.argv,
                    stdin=subprocess.DEVNULL,
                    stdout=subprocess.DEVNULL,
                    stderr=stderr,
                    cwd=cwd,
                )
            except OSError as exc:
                raise QemuError(f"cannot start QEMU {qemu.version}: {exc}") from exc
        try:
            self._qmp = QmpClient.connect(socket_path, timeout=QMP_TIMEOUT_S, is_alive=self.alive)
        except QemuError as exc:
            self.stop()
            raise self.explain(exc) from exc

    @property
    def qmp(self) -> QmpClient:
        """Return the live QMP connection."""
        if self._qmp is None:
            raise QemuError("QMP connection already closed")
        return self._qmp

    def alive(self) -> bool:
        """Return True while the QEMU process runs."""
        return self.proc.poll() is None

    def execute(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        """Run a QMP command, turning a lost connection into QEMU's own last words."""
        try:
            return self.qmp.execute(command, arguments)
        except QemuError as exc:
            raise self.explain(exc) from exc

    def explain(self, exc: QemuError) -> QemuError:
        """Return `exc`, or a better error naming QEMU's last stderr line when it has exited."""
        if isinstance(exc, QmpError) or not self.exited():
            return exc
        last = _last_line(self.stderr_text()) or "no message on stderr"
        status = self.proc.returncode
        return QemuError(f"QEMU {self.qemu.version} exited early (status {status}): {last}")

    def exited(self, within_s: float = EXIT_GRACE_S) -> bool:
        """Return True when QEMU has exited or does so within `within_s` seconds."""
        try:
            self.proc.wait(timeout=within_s)
        except subprocess.TimeoutExpired:
            return False
        return True

    def stop(self) -> int | None:
        """Quit QEMU politely, kill it by pid if it lingers, and return its exit status."""
        if self._qmp is not None:
            if self.alive():
                # QEMU often closes the socket before it answers "quit".
                with contextlib.suppress(QemuError):
                    self._qmp.execute("quit")
            self._qmp.close()
            self._qmp = None
        try:
            return self.proc.wait(timeout=QUIT_TIMEOUT_S)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            return self.proc.wait()

    def stderr_text(self) -> str:
        """Return what QEMU wrote on stderr so far."""
        return self.stderr_path.read_text(errors="replace")


def capture(
    qemu: QemuBinary,
    args: Sequence[str],
    out_path: Path,
    *,
    running: bool = False,
    capabilities: Iterable[str] | None = None,
    uri: str | None = None,
    timeout: float = 60,
    cwd: Path | None = None,
) -> CaptureResult:
    """Start a paused source with `args`, migrate it to `out_path` and return what was written.

    With `running`, the guest first runs SeaBIOS for about a second. Without `uri`, QEMU writes
    into a pipe that this process copies to `out_path` (the same bytes as `exec:cat > OUT`);
    give `uri="file:OUT"` for layouts that need a seekable file, such as mapped-ram.
    """
    started = time.monotonic()
    deadline = started + timeout
    out_path = Path(out_path).absolute()
    out_path.unlink(missing_ok=True)
    with tempfile.TemporaryDirectory(prefix="vmdiff-qemu-") as tmp:
        vm = _Qemu(qemu, ["-S", *args], Path(tmp), cwd)
        pipe: PipeToFile | None = None
        try:
            _prepare_source(vm, running, capabilities)
            if uri is None:
                pipe = _open_pipe(out_path)
                uri = _pass_pipe(vm, pipe)
            vm.execute("migrate", {"uri": uri})
            info = _wait_for_migration(vm, deadline)
        except BaseException:
            vm.stop()
            if pipe is not None:
                pipe.finish(PIPE_DRAIN_TIMEOUT_S)
            out_path.unlink(missing_ok=True)
            raise
        vm.stop()
        if pipe is not None:
            _finish_pipe(pipe)
        stderr = vm.stderr_text()
    if info.get("status") != "completed":
        out_path.unlink(missing_ok=True)
        reason = info.get("error-desc") or _last_line(stderr) or "no reason given"
        raise QemuError(f"QEMU {qemu.version} migration {info.get('status')}: {reason}")
    size_bytes = out_path.stat().st_size
    duration_s = time.monotonic() - started
    return CaptureResult(out_path, size_bytes, vm.argv, uri, stderr, duration_s)


def load(
    qemu: QemuBinary,
    args: Sequence[str],
    stream_path: Path,
    timeout: float = 30,
    *,
    capabilities: Iterable[str] | None = None,
    uri: str | None = None,
    cwd: Path | None = None,
) -> LoadResult:
    """Start a destination with `args`, feed it `stream_path` and report whether it accepted it.

    The stream goes in through `exec:cat STREAM_PATH` unless `uri` says otherwise (mapped-ram
    needs `file:STREAM_PATH`). Raises `QemuError` only when the destination cannot start or
    refuses a capability; a refused stream is a result.
    """
    deadline = time.monotonic() + timeout
    stream_path = Path(stream_path).absolute()
    if not stream_path.is_file():
        raise QemuError(f"{stream_path}: no such stream file")
    # QEMU waits forever on an empty stream ("query-migrate" stays {}): "timeout" says so.
    uri = uri or f"exec:cat {shlex.quote(str(stream_path))}"
    with tempfile.TemporaryDirectory(prefix="vmdiff-qemu-") as tmp:
        # -S keeps the guest paused after a successful load, so nothing else runs.
        vm = _Qemu(qemu, ["-S", "-incoming", "defer", *args], Path(tmp), cwd)
        try:
            _set_capabilities(vm, capabilities)
            status = _run_incoming(vm, uri, deadline)
        finally:
            returncode = vm.stop()
        stderr = vm.stderr_text()
    return LoadResult(
        succeeded=status == "completed",
        status=status,
        stderr=stderr,
        error_lines=tuple(error_lines(stderr)),
        argv=vm.argv,
        returncode=returncode,
    )


def dump_vmstate(
    qemu: QemuBinary, machine: str, out_path: Path, *, extra_args: Sequence[str] = ()
) -> Path:
    """Write `qemu`'s -dump-vmstate JSON for `machine` to `out_path` and return the path."""
    out_path = Path(out_path).absolute()
    out_path.unlink(missing_ok=True)
    dump_args = [*BASE_ARGS, "-M", machine, *extra_args, "-dump-vmstate", str(out_path)]
    try:
        done = subprocess.run(
            qemu.argv(dump_args),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            timeout=QMP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired as exc:
        raise QemuError(f"QEMU {qemu.version} -dump-vmstate took over {exc.timeout:g} s") from exc
    except OSError as exc:
        raise QemuError(f"cannot start QEMU {qemu.version}: {exc}") from exc
    if done.returncode != 0 or not out_path.is_file():
        last = _last_line(done.stderr) or "no message on stderr"
        raise QemuError(f"QEMU {qemu.version} -dump-vmstate failed ({done.returncode}): {last}")
    return out_path


def error_lines(stderr: str) -> list[str]:
    """Return QEMU's stderr messages, minus warnings and the "PROGRAM: " prefix, in order."""
    lines = []
    for line in stderr.splitlines():
        head, sep, rest = line.partition(": ")
        message = rest if sep and head.endswith(BINARY_NAME) else line
        if message.strip() and not message.startswith("warning: "):
            lines.append(message)
    return lines


def _prepare_source(vm: _Qemu, running: bool, capabilities: Iterable[str] | None) -> None:
    if running:
        vm.execute("cont")
        time.sleep(SEABIOS_SETTLE_S)
    vm.execute("migrate-set-parameters", {"max-bandwidth": MAX_BANDWIDTH})
    _set_capabilities(vm, capabilities)


def _set_capabilities(vm: _Qemu, capabilities: Iterable[str] | None) -> None:
    caps = [{"capability": name, "state": True} for name in capabilities or ()]
    if caps:
        vm.execute("migrate-set-capabilities", {"capabilities": caps})


def _open_pipe(out_path: Path) -> PipeToFile:
    try:
        return PipeToFile(out_path)
    except OSError as exc:
        raise QemuError(f"cannot write {out_path}: {exc.strerror}") from exc


def _finish_pipe(pipe: PipeToFile) -> None:
    if not pipe.finish(PIPE_DRAIN_TIMEOUT_S):
        raise QemuError("the migration pipe stayed open after QEMU exited")
    if pipe.error is not None:
        raise QemuError(f"cannot write {pipe.out_path}: {pipe.error}")


def _pass_pipe(vm: _Qemu, pipe: PipeToFile) -> str:
    try:
        vm.qmp.execute("getfd", {"fdname": OUTGOING_FD_NAME}, fds=[pipe.write_fd])
    except QemuError as exc:
        raise vm.explain(exc) from exc
    finally:
        pipe.close_write_end()
    return f"fd:{OUTGOING_FD_NAME}"


def _wait_for_migration(vm: _Qemu, deadline: float) -> dict[str, Any]:
    while True:
        info = vm.execute("query-migrate")
        if info.get("status") in FINAL_STATES:
            return info
        if time.monotonic() > deadline:
            raise QemuError(f"migration still {info.get('status')!r} when the timeout expired")
        time.sleep(POLL_S)


def _run_incoming(vm: _Qemu, uri: str, deadline: float) -> str:
    # A destination that fails to load exits (7.2 always; 10.0 unless exit-on-error=false),
    # often before it can answer, so a vanished QEMU means "failed".
    try:
        vm.qmp.execute("migrate-incoming", {"uri": uri})
        while True:
            status = str(vm.qmp.execute("query-migrate").get("status", "none"))
            if status in FINAL_STATES:
                return status
            if time.monotonic() > deadline:
                return "timeout"
            time.sleep(POLL_S)
    except QmpError:
        raise
    except QemuError as exc:
        if vm.exited():
            return "failed"
        raise vm.explain(exc) from exc


def _last_line(text: str) -> str:
    lines = [line for line in text.splitlines() if line.strip()]
    return lines[-1] if lines else ""
