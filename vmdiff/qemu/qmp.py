"""A minimal synchronous QMP client over a unix socket (stdlib only)."""

import json
import socket
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any, Self

CONNECT_POLL_S = 0.02


class QemuError(Exception):
    """Driving a real QEMU failed; the message is one line meant for a person."""


class QmpError(QemuError):
    """QEMU answered a QMP command with an error reply."""

    def __init__(self, command: str, error_class: str, desc: str) -> None:
        super().__init__(f"QMP {command}: {error_class}: {desc}")
        self.command = command
        self.error_class = error_class
        self.desc = desc


class QmpClient:
    """One QMP connection: `connect`, then `execute` commands; events are skipped."""

    def __init__(self, sock: socket.socket, timeout: float) -> None:
        self._sock = sock
        self._reader = sock.makefile("rb")
        self._timeout = timeout
        self._next_id = 1
        self.greeting: dict[str, Any] = {}
        self.events: list[dict[str, Any]] = []

    @classmethod
    def connect(
        cls,
        path: Path | str,
        *,
        timeout: float = 10.0,
        is_alive: Callable[[], bool] | None = None,
    ) -> Self:
        """Connect once the socket appears, read the greeting and leave negotiation mode."""
        sock = _connect_with_retry(str(path), timeout, is_alive)
        client = cls(sock, timeout)
        try:
            client.greeting = client._read_message()
            if "QMP" not in client.greeting:
                raise QemuError(f"QMP: unexpected greeting {client.greeting!r:.80}")
            client.execute("qmp_capabilities")
        except BaseException:
            client.close()
            raise
        return client

    def execute(
        self,
        command: str,
        arguments: Mapping[str, object] | None = None,
        *,
        fds: Sequence[int] = (),
    ) -> dict[str, Any]:
        """Run one command and return its `return` object; raise `QmpError` on an error reply.

        `fds` are passed along with the command (SCM_RIGHTS), as `getfd` expects.
        """
        result = self.execute_any(command, arguments, fds=fds)
        if not isinstance(result, dict):
            raise QemuError(f"QMP {command}: expected an object, got {type(result).__name__}")
        return result

    def execute_any(
        self,
        command: str,
        arguments: Mapping[str, object] | None = None,
        *,
        fds: Sequence[int] = (),
    ) -> Any:
        """Like `execute`, for commands whose `return` is not an object (e.g. a list)."""
        request: dict[str, object] = {"execute": command, "id": self._next_id}
        if arguments is not None:
            request["arguments"] = dict(arguments)
        self._next_id += 1
        data = json.dumps(request).encode() + b"\n"
        try:
            if fds:
                socket.send_fds(self._sock, [data], list(fds))
            else:
                self._sock.sendall(data)
        except OSError as exc:
            raise QemuError(f"QMP {command}: cannot send: {exc}") from exc
        reply = self._read_reply(command, request["id"])
        if "error" in reply:
            error = reply["error"]
            raise QmpError(command, str(error.get("class", "?")), str(error.get("desc", "?")))
        return reply.get("return")

    def close(self) -> None:
        """Close the connection; safe to call twice."""
        self._reader.close()
        self._sock.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _read_reply(self, command: str, request_id: object) -> dict[str, Any]:
        deadline = time.monotonic() + self._timeout
        while True:
            message = self._read_message(command)
            if "event" in message:
                self.events.append(message)
            elif message.get("id") == request_id:
                return message
            if time.monotonic() > deadline:
                raise QemuError(f"QMP {command}: no reply within {self._timeout:g} s")

    def _read_message(self, command: str = "greeting") -> dict[str, Any]:
        try:
            line = self._reader.readline()
        except TimeoutError as exc:
            raise QemuError(f"QMP {command}: no reply within {self._timeout:g} s") from exc
        except OSError as exc:
            raise QemuError(f"QMP {command}: connection error: {exc}") from exc
        if not line:
            raise QemuError(f"QMP {command}: connection closed by QEMU")
        try:
            message = json.loads(line)
        except ValueError as exc:
            raise QemuError(f"QMP {command}: not JSON: {line[:80]!r}") from exc
        if not isinstance(message, dict):
            raise QemuError(f"QMP {command}: not a JSON object: {line[:80]!r}")
        return message


def _connect_with_retry(
    path: str, timeout: float, is_alive: Callable[[], bool] | None
) -> socket.socket:
    deadline = time.monotonic() + timeout
    while True:
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        sock.settimeout(timeout)
        try:
            sock.connect(path)
        except (FileNotFoundError, ConnectionRefusedError):
            sock.close()
        except OSError as exc:
            sock.close()
            raise QemuError(f"QMP: cannot connect to {path}: {exc}") from exc
        else:
            return sock
        if is_alive is not None and not is_alive():
            raise QemuError("QEMU exited before its QMP socket appeared")
        if time.monotonic() > deadline:
            raise QemuError(f"QMP socket {path} did not appear within {timeout:g} s")
        time.sleep(CONNECT_POLL_S)
