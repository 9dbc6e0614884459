"""Disks and CD-ROMs, on zero-filled null-co stand-ins at the bus and address the XML gives."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vmdiff.compat.domain import MIB
from vmdiff.compat.domain_devices import describe
from vmdiff.compat.domain_qemu.draft import Draft
from vmdiff.compat.domain_qemu.pci import place, unknown_children

# Disks stand in as this many zero bytes: device state does not depend on the image.
STAND_IN_DISK_BYTES = MIB


def translate_disk(draft: Draft, element: ET.Element) -> None:
    """<disk>: a virtio-blk, IDE or SCSI device over a null-co node."""
    device = element.get("device", "disk")
    target = element.find("target")
    bus = target.get("bus", "") if target is not None else ""
    dev = target.get("dev", "?") if target is not None else "?"
    what = describe(element)
    if device not in ("disk", "cdrom"):
        draft.skip(what, f"device='{device}' is not translated")
        return
    if unknown_children(draft, element):
        return
    node = f"drive-{dev}"
    has_media = element.find("source") is not None or device == "disk"
    readonly = element.find("readonly") is not None or device == "cdrom"
    drive = [f"drive={node}"] if has_media else []
    if bus == "virtio":
        if device == "cdrom":
            draft.skip(what, "a virtio cdrom")
            return
        line = ["virtio-blk-pci", *drive, f"id=virtio-{dev}"]
        driver = element.find("driver")
        if driver is not None and driver.get("queues"):
            line.append(f"num-queues={driver.get('queues')}")
        if not place(draft, element, line):
            return
    else:
        located = _drive_address(draft, element, bus, device)
        if located is None:
            return
        line = [*located, *drive, f"id={bus}-{dev}"]
    if has_media:
        read_only = ",read-only=on" if readonly else ""
        draft.add(
            "-blockdev",
            f"driver=null-co,node-name={node},size={STAND_IN_DISK_BYTES},read-zeroes=on{read_only}",
        )
        draft.note(
            "disks are 1 MiB null-co stand-ins: device state does not depend on the "
            "image, and the destination's images are never opened"
        )
    draft.add("-device", ",".join(line))


def _drive_address(draft: Draft, element: ET.Element, bus: str, device: str) -> list[str] | None:
    address = element.find("address")
    what = describe(element)
    if address is None or address.get("type") != "drive":
        draft.skip(what, "no drive address (use the XML `virsh dumpxml` prints)")
        return None
    controller, unit = address.get("controller", "0"), address.get("unit", "0")
    drive_bus, target = address.get("bus", "0"), address.get("target", "0")
    kind = "cd" if device == "cdrom" else "hd"
    if bus == "ide" and not draft.q35 and controller == "0":
        return [f"ide-{kind}", f"bus=ide.{drive_bus}", f"unit={unit}"]
    if bus == "sata" and draft.q35 and controller == "0":
        return [f"ide-{kind}", f"bus=ide.{unit}"]
    if bus == "scsi":
        scsi = draft.root.find(f"devices/controller[@type='scsi'][@index='{controller}']")
        model = scsi.get("model") if scsi is not None else None
        if model == "virtio-scsi":
            return [
                f"scsi-{kind}",
                f"bus=scsi{controller}.0",
                f"channel={drive_bus}",
                f"scsi-id={target}",
                f"lun={unit}",
            ]
        if model == "lsilogic":
            return [f"scsi-{kind}", f"bus=scsi{controller}.0", f"scsi-id={unit}"]
    draft.skip(what, f"a {bus} disk on this machine is not translated")
    return None
