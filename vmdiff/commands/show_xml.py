"""``vmdiff show --xml``: the domain XML a libvirt save image carries."""

from __future__ import annotations

from vmdiff.cli import ConsoleIO
from vmdiff.errors import ExitStatus, InputError
from vmdiff.model import Stream


def print_domain_xml(stream: Stream, io: ConsoleIO) -> int:
    """Print the domain XML as libvirt stored it (what `virsh save-image-dumpxml` shows)."""
    container = stream.container
    if container is None or container.domain_xml is None:
        raise InputError(f"{stream.path}: not a libvirt save image, so it holds no domain XML")
    text = container.domain_xml
    io.out.out(text if text.endswith("\n") else text + "\n", end="", highlight=False)
    return ExitStatus.OK
