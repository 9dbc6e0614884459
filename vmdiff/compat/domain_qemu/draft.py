"""The bookkeeping of a translation: arguments, notes on what was replaced, and refusals."""

from __future__ import annotations

import shlex
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field

from vmdiff.compat.domain import MACHINE_ALIASES


@dataclass(slots=True)
class Translation:
    """The QEMU arguments, what was replaced or ignored (notes), and what was not translated."""

    args: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    untranslated: list[str] = field(default_factory=list)

    def command_line(self, binary: str) -> str:
        """The command line as a shell would take it."""
        return shlex.join([binary, *self.args])


class Draft:
    """A translation under way, with what one element leaves for those read after it."""

    def __init__(self, root: ET.Element) -> None:
        self.root = root
        self.out = Translation()
        machine_type = root.find("os/type")
        self.machine = machine_type.get("machine", "") if machine_type is not None else ""
        canonical = MACHINE_ALIASES.get(self.machine, self.machine)
        self.q35 = "q35" in canonical
        self.machine_props: list[str] = ["usb=off"]
        self.cpu_props: list[str] = []
        self.cpu_name: str | None = None
        self.rtc = "base=utc"
        self.counters: dict[str, int] = {}
        self.serial_ports: set[int] = set()
        self.usb_ids: dict[int, str] = {}
        self.audiodev = False

    def skip(self, what: str, why: str) -> None:
        """Refuse an element: the caller stops here, or leaves it out when approximating."""
        self.out.untranslated.append(f"{what}: {why}")

    def note(self, text: str) -> None:
        """Say once what the translation replaced or ignored."""
        if text not in self.out.notes:
            self.out.notes.append(text)

    def add(self, *args: str) -> None:
        """Append QEMU arguments."""
        self.out.args.extend(args)

    def next_id(self, prefix: str) -> str:
        """A fresh device id: prefix0, prefix1, ..."""
        number = self.counters.get(prefix, 0)
        self.counters[prefix] = number + 1
        return f"{prefix}{number}"
