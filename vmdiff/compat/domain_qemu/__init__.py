"""Translate a libvirt domain XML into the QEMU command line that builds the same machine.

Only what shapes the migration stream is translated: machine type and its properties, the
accelerator, CPU model, memory, vCPUs, UUID, RTC and timers, and the devices at the addresses
the XML gives them. Back-ends are replaced, because device state does not depend on them and a
profile run must never touch the destination's files: disks become zero-filled ``null-co``
nodes, NICs get no back-end, serial ports and channels a ``null`` chardev, sound an ``none``
audiodev. An element vmdiff does not translate is listed in ``untranslated``; the caller
refuses it or, when asked to approximate, leaves it out and says so.

Imports vmdiff.compat.domain, vmdiff.compat.domain_devices, vmdiff.decode.domain_xml and
vmdiff.errors.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vmdiff.compat.domain_qemu.draft import Translation
from vmdiff.compat.domain_qemu.walk import translate_root
from vmdiff.decode.domain_xml import parse_domain_xml
from vmdiff.errors import InputError

__all__ = ["Translation", "translate"]


def translate(text: str, origin: str) -> Translation:
    """The QEMU arguments for a domain XML (refusing DTDs and entities, like every XML read)."""
    parse_domain_xml(text, origin)
    try:
        return translate_root(ET.fromstring(text))
    except ValueError as err:
        raise InputError(f"{origin}: expected a number in the XML ({err})") from None
