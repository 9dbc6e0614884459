"""Field values the destination compares with its own device while loading.

- "pci config": the read-only bits of the PCI header must match (hw/pci/pci.c
  get_pci_config_device, with the check mask pci_init_cmask sets: vendor and device ID,
  revision, class, header type, the capability-list bit and pointer).
- "… equal" types: the value must equal the destination's (migration/vmstate-types.c).
- "int32 le": 0 <= value <= the destination's (e.g. PCIDevice version_id).
"""

from __future__ import annotations

import re

from vmdiff.compat.destination import Destination
from vmdiff.compat.verdict import Verdict, VerdictKind
from vmdiff.model import Field, Section

SUBJECT = "field"
EQUAL_WIDTHS = {
    "int32 equal": 32,
    "uint32 equal": 32,
    "int64 equal": 64,
    "uint8 equal": 8,
    "uint16 equal": 16,
}
CHECKED = frozenset({"pci config", "int32 le", *EQUAL_WIDTHS})
# Bytes of the standard header QEMU checks, with the bits it checks (pci_init_cmask).
PCI_HEADER_CMASK = {
    0x00: 0xFF,
    0x01: 0xFF,
    0x02: 0xFF,
    0x03: 0xFF,
    0x06: 0x10,
    0x08: 0xFF,
    0x09: 0xFF,
    0x0A: 0xFF,
    0x0B: 0xFF,
    0x0E: 0xFF,
    0x34: 0xFF,
}
PCI_STATUS = 0x06
PCI_STATUS_CAP_LIST = 0x10
PCI_CAPABILITIES_START = 0x40
_DUPLICATE_SUFFIX = re.compile(r"\[\d+\]$")


def check_value(
    field: Field,
    container: str | None,
    chain: tuple[tuple[str, str], ...],
    section: Section,
    dest: Destination,
) -> Verdict | None:
    """A verdict when the destination checks this field and it would fail (or cannot be told)."""
    if field.type_name not in CHECKED or field.value is None:
        return None
    checked = dest.profile.checked_fields
    local = checked.value.get(field.path) if checked is not None else None
    if local is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            field.path,
            f"the destination compares this {field.type_name} field with its own value, which "
            "the profile does not hold",
            offset=field.span.start,
            needs="the destination's field values: build the profile from a capture of it",
        )
    if field.type_name == "pci config":
        return _pci_config(field, local.value, container, chain, section, dest)
    if not isinstance(field.value, int) or not isinstance(local.value, int):
        return None
    received, mine = field.value, local.value
    if field.type_name == "int32 le":
        if 0 <= received <= mine:
            return None
        cause = dest.message("le_invalid", received=received, local=mine)
        reason = f"the source sends {received}; the destination accepts 0..{mine}"
    else:
        if received == mine:
            return None
        mask = (1 << EQUAL_WIDTHS[field.type_name]) - 1
        cause = dest.message("equal_mismatch", local=mine & mask, received=received & mask)
        reason = f"the source sends {received}, the destination requires exactly {mine}"
    return Verdict(
        VerdictKind.REJECT,
        SUBJECT,
        field.path,
        reason,
        _lines(cause, field, container, chain, section, dest),
        offset=field.span.start,
    )


def _pci_config(
    field: Field,
    local: int | bytes,
    container: str | None,
    chain: tuple[tuple[str, str], ...],
    section: Section,
    dest: Destination,
) -> Verdict | None:
    received = field.value
    if not isinstance(received, bytes) or not isinstance(local, bytes):
        return None
    if len(received) != len(local):
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            field.path,
            f"the source sends {len(received)} bytes of config space, the destination has "
            f"{len(local)} (PCI vs PCI Express): the rest of the section would be misread",
            offset=field.span.start,
            needs="a real load: vmdiff does not model a config-space size change",
        )
    for index in sorted(PCI_HEADER_CMASK):
        cmask = PCI_HEADER_CMASK[index]
        if (received[index] ^ local[index]) & cmask:
            cause = dest.message(
                "pci_bad_config",
                index=index,
                read=received[index],
                device=local[index],
                cmask=cmask,
                wmask=0,
                w1cmask=0,
            )
            return Verdict(
                VerdictKind.REJECT,
                SUBJECT,
                field.path,
                f"read-only PCI config byte {index:#x} is {received[index]:#04x} on the source "
                f"and {local[index]:#04x} on the destination ({_byte_name(index)}): "
                "a different device model or property",
                _lines(cause, field, container, chain, section, dest),
                offset=field.span.start,
            )
    has_caps = bool(local[PCI_STATUS] & PCI_STATUS_CAP_LIST)
    differing = [i for i in range(PCI_CAPABILITIES_START, len(local)) if received[i] != local[i]]
    if has_caps and differing:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            field.path,
            f"config bytes from {differing[0]:#x} differ; they may lie in a PCI capability, "
            "whose read-only bits QEMU also checks",
            offset=field.span.start,
            needs="which of those bits are writable (a real load decides)",
        )
    return None


def _byte_name(index: int) -> str:
    names = {
        0x00: "vendor ID",
        0x01: "vendor ID",
        0x02: "device ID",
        0x03: "device ID",
        0x06: "status: capability list",
        0x08: "revision ID",
        0x09: "programming interface",
        0x0A: "class code",
        0x0B: "class code",
        0x0E: "header type",
        0x34: "capability pointer",
    }
    return names.get(index, "header")


def _lines(
    cause: str | None,
    field: Field,
    container: str | None,
    chain: tuple[tuple[str, str], ...],
    section: Section,
    dest: Destination,
) -> tuple[str, ...]:
    own = _DUPLICATE_SUFFIX.sub("", field.name)
    steps = [(container or "?", own), *reversed(chain)]
    wrapped = [dest.message("field_failed", vmsd=vmsd, field=name) for vmsd, name in steps]
    return dest.section_failure(section, cause, *wrapped)


def check_validation(
    field: Field,
    container: str | None,
    chain: tuple[tuple[str, str], ...],
    section: Section,
    dest: Destination,
) -> Verdict | None:
    """A rejection when a VMSTATE_VALIDATE check vmdiff knows of refuses this field's value."""
    if dest.knowledge is None or not isinstance(field.value, int) or isinstance(field.value, bool):
        return None
    value = field.value
    for check in dest.knowledge.validations:
        if check.vmsd != container or field.name not in check.fields:
            continue
        if check.equals_length_of is not None:
            lengths = dest.profile.array_lengths
            array = f"{section.path}/{check.equals_length_of}"
            local = lengths.value.get(array) if lengths is not None else None
            if local is None or value == local.length:
                continue
            reason = (
                f"the source sends {value}; the destination has {local.length} and refuses others"
            )
        elif (check.minimum is None or value >= check.minimum) and (
            check.maximum is None or value <= check.maximum
        ):
            continue
        else:
            accepted = f"{check.minimum}..{check.maximum}"
            reason = f"the source sends {value}; the destination accepts {accepted}"
        cause = dest.message("validation_failed", vmsd=check.vmsd, name=check.name)
        wrapped = [dest.message("field_failed", vmsd=v, field=f) for v, f in reversed(chain)]
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            field.path,
            f"{reason} ({check.source})",
            dest.section_failure(section, cause, *wrapped, errno="EPERM"),
            offset=field.span.start,
        )
    return None
