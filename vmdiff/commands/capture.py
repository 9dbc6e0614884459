"""``vmdiff capture``: save a running QEMU's migration stream to a file over its QMP socket."""

from __future__ import annotations

import argparse
import contextlib
import time
from pathlib import Path
from typing import Any

from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TimeElapsedColumn

from vmdiff.cli import ConsoleIO
from vmdiff.errors import ExitStatus, InputError
from vmdiff.qemu import QemuError, QmpClient
from vmdiff.qemu.pipe import PipeToFile

NAME = "capture"
HELP = "capture a migration stream from a running QEMU over its QMP socket"

FD_NAME = "vmdiff-capture"
POLL_S = 0.1
# QEMU's default limit (128 MiB/s) would make a local capture of a big guest crawl.
CAPTURE_BANDWIDTH = 64 << 30
# These need a destination that answers, or a transport other than one pipe.
_UNSUPPORTED_CAPABILITIES = {
    "multifd": "pages would travel on extra channels",
    "mapped-ram": "it needs a seekable file: URI",
    "postcopy-ram": "postcopy needs a destination that answers",
    "return-path": "the return path needs a destination that answers",
    "x-colo": "COLO needs a secondary",
}


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff capture``."""
    parser.add_argument(
        "--qmp", required=True, metavar="SOCKET", help="the QMP unix socket of the running QEMU"
    )
    parser.add_argument(
        "-o", "--output", required=True, metavar="FILE", help="where to write the stream"
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="continue the guest after the capture if it was running (it ends paused, "
        "as after virsh save)",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=0,
        metavar="SECONDS",
        help="cancel the migration if it has not completed by then (default: no limit)",
    )


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Migrate into a pipe that this process copies to the output file."""
    output = Path(args.output)
    if not Path(args.qmp).exists():
        # QmpClient.connect would wait for the socket to appear, as for a QEMU just started.
        raise InputError(f"{args.qmp}: no such QMP socket (QEMU's -qmp unix:PATH,server=on)")
    try:
        client = QmpClient.connect(args.qmp, timeout=10)
    except QemuError as err:
        raise InputError(f"{args.qmp}: {err}") from None
    with client:
        return _capture(client, args, output, io)


def _capture(client: QmpClient, args: argparse.Namespace, output: Path, io: ConsoleIO) -> int:
    qmp = _Qmp(client, args.qmp)
    was_running = qmp.run("query-status").get("running") is True
    _check_ready(qmp)
    old_bandwidth = qmp.run("query-migrate-parameters").get("max-bandwidth")
    try:
        copier = PipeToFile(output)
    except OSError as err:
        raise InputError(f"{output}: cannot write: {err.strerror}") from None
    started = time.monotonic()
    try:
        qmp.run("migrate-set-parameters", {"max-bandwidth": CAPTURE_BANDWIDTH})
        try:
            client.execute("getfd", {"fdname": FD_NAME}, fds=[copier.write_fd])
        except QemuError as err:
            raise InputError(f"{args.qmp}: {err}") from None
        finally:
            copier.close_write_end()
        if was_running:
            io.err.print("the guest keeps running during the capture and is paused at its end")
        qmp.run("migrate", {"uri": f"fd:{FD_NAME}"})
        info = _wait(qmp, copier, io, args.timeout, started)
    except BaseException:
        with contextlib.suppress(QemuError, InputError):
            qmp.run("migrate_cancel")
        copier.finish(timeout=10)
        output.unlink(missing_ok=True)
        raise
    finally:
        if isinstance(old_bandwidth, int):
            with contextlib.suppress(QemuError, InputError):
                qmp.run("migrate-set-parameters", {"max-bandwidth": old_bandwidth})
    copier.finish()
    if info.get("status") != "completed":
        output.unlink(missing_ok=True)
        reason = info.get("error-desc") or "no reason given"
        raise InputError(f"{args.qmp}: migration {info.get('status')}: {reason}")
    if copier.error is not None:
        raise InputError(f"{output}: cannot write: {copier.error}")
    elapsed = time.monotonic() - started
    io.err.print(
        f"wrote {output}: {copier.copied} bytes in {elapsed:.1f} s", markup=False, highlight=False
    )
    return _after(qmp, io, was_running, args.resume)


def _after(qmp: _Qmp, io: ConsoleIO, was_running: bool, resume: bool) -> int:
    status = qmp.run("query-status").get("status")
    if resume and was_running:
        qmp.run("cont")
        io.err.print("the guest runs again (--resume)")
    elif resume:
        io.err.print(f"the guest was not running before the capture: left {status}")
    elif was_running:
        io.err.print(
            f"warning: the guest is paused now ({status}), as after virsh save; "
            "continue it with QMP cont, or capture with --resume",
            style="yellow",
        )
    return ExitStatus.OK


class _Qmp:
    """QMP calls whose failures become one-line InputErrors naming the socket."""

    def __init__(self, client: QmpClient, socket: str) -> None:
        self.client = client
        self.socket = socket

    def run(self, command: str, arguments: dict[str, Any] | None = None) -> dict[str, Any]:
        try:
            return self.client.execute(command, arguments)
        except QemuError as err:
            raise InputError(f"{self.socket}: {err}") from None


def _check_ready(qmp: _Qmp) -> None:
    state = qmp.run("query-migrate").get("status")
    if state not in (None, "none", "completed", "failed", "cancelled"):
        raise InputError(f"{qmp.socket}: a migration is already {state}")
    try:
        caps = qmp.client.execute_any("query-migrate-capabilities")
    except QemuError as err:
        raise InputError(f"{qmp.socket}: {err}") from None
    enabled = [c.get("capability") for c in caps or [] if c.get("state")]
    for name in enabled:
        if name in _UNSUPPORTED_CAPABILITIES:
            raise InputError(
                f"{qmp.socket}: the migration capability {name} is on "
                f"({_UNSUPPORTED_CAPABILITIES[name]}); turn it off with "
                "migrate-set-capabilities to capture one stream"
            )


def _wait(
    qmp: _Qmp, copier: PipeToFile, io: ConsoleIO, timeout: float, started: float
) -> dict[str, Any]:
    columns = (
        TextColumn("{task.description}"),
        BarColumn(),
        DownloadColumn(),
        TextColumn("RAM left"),
        TimeElapsedColumn(),
    )
    with Progress(*columns, console=io.err, transient=True, disable=not io.err.is_terminal) as bar:
        task = bar.add_task("capturing", total=None)
        while True:
            info = qmp.run("query-migrate")
            ram = info.get("ram") or {}
            if "total" in ram:
                done = ram["total"] - ram.get("remaining", 0)
                bar.update(task, total=ram["total"], completed=done)
            bar.update(task, description=f"capturing ({copier.copied >> 20} MiB written)")
            if info.get("status") in ("completed", "failed", "cancelled"):
                return info
            if timeout and time.monotonic() - started > timeout:
                raise InputError(f"{qmp.socket}: migration not complete after {timeout:g} s")
            time.sleep(POLL_S)
