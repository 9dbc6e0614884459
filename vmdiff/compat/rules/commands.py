"""COMMAND records: which commands a version understands and which lengths it insists on.

migration/savevm.c loadvm_process_command: a command number past the version's last one is
refused, fixed-length commands are length-checked, and PING needs a return path.
"""

from __future__ import annotations

import struct

from vmdiff.compat.destination import Destination
from vmdiff.compat.verdict import Verdict, VerdictKind
from vmdiff.model import Command

SUBJECT = "command"
PING = 2
OPEN_RETURN_PATH = 1
SWITCHOVER_START = 11


def check_command(command: Command, dest: Destination) -> Verdict:
    """The destination's answer to one COMMAND record."""
    offset = command.span.start
    length = len(command.data)
    if dest.knowledge is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            command.path,
            "which commands the destination understands depends on its QEMU version",
            offset=offset,
            needs="the destination's QEMU version",
        )
    known = dest.knowledge.commands.get(command.cmd)
    if known is None:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            command.path,
            f"{dest.version_label} does not know command {command.cmd} ({command.name})",
            dest.failure_lines(dest.message("unknown_command", cmd=command.cmd, length=length)),
            offset=offset,
        )
    if known.length is not None and known.length != length:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            command.path,
            f"{known.name} must carry {known.length} bytes, this one carries {length}",
            dest.failure_lines(
                dest.message(
                    "command_bad_length",
                    name=known.name.upper(),
                    expected=known.length,
                    length=length,
                ),
                errno="ERANGE",
            ),
            offset=offset,
            predicted=True,
        )
    if command.cmd in (PING, OPEN_RETURN_PATH):
        return _return_path(command, dest)
    reason = f"{dest.version_label} understands {known.name}"
    if command.cmd == SWITCHOVER_START:
        reason += " (whatever its machine type: the load side ignores send-switchover-start)"
    return Verdict(VerdictKind.ACCEPT, SUBJECT, command.path, reason, offset=command.span.start)


def _return_path(command: Command, dest: Destination) -> Verdict:
    offset = command.span.start
    has_path = dest.profile.return_path.value if dest.profile.return_path else None
    if has_path is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            command.path,
            f"{command.name} needs a return path to the source: a socket migration has one, "
            "loading from a file or exec: does not",
            offset=offset,
            needs="whether the destination loads over a channel with a return path",
        )
    if has_path:
        return Verdict(
            VerdictKind.ACCEPT,
            SUBJECT,
            command.path,
            "the destination has a return path",
            offset=offset,
        )
    if command.cmd == PING:
        (value,) = struct.unpack(">I", command.data[:4]) if len(command.data) >= 4 else (0,)
        lines = dest.failure_lines(dest.message("ping_no_return_path", value=value), errno="EPERM")
    else:
        lines = dest.failure_lines(dest.message("open_return_path_failed"), errno="EPERM")
    return Verdict(
        VerdictKind.REJECT,
        SUBJECT,
        command.path,
        f"{command.name} needs a return path and the destination has none",
        lines,
        offset=offset,
        predicted=True,
    )
