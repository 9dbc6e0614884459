"""Video cards with their memory sizes, and sound cards with their codecs on a none audiodev."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from vmdiff.compat.domain_devices import describe, device_model
from vmdiff.compat.domain_qemu.draft import Draft
from vmdiff.compat.domain_qemu.pci import pci_device

AUDIODEV_ID = "audio1"


def translate_video(draft: Draft, element: ET.Element, primary: bool = True) -> None:
    """<video>: the primary display or a secondary one, with libvirt's sizes in QEMU's units."""
    model_element = element.find("model")
    kind = model_element.get("type") if model_element is not None else None
    if kind == "none":
        return
    attrs = model_element.attrib if model_element is not None else {}
    props = [f"id={draft.next_id('video')}"]
    if kind == "vga" and attrs.get("vram"):
        props.append(f"vgamem_mb={int(attrs['vram']) // 1024}")
    elif kind == "bochs" and attrs.get("vram"):
        props.append(f"vgamem={attrs['vram']}k")
    elif kind == "qxl":
        sizes = (("ram", "ram_size"), ("vram", "vram_size"))
        props += [f"{p}={int(attrs[a]) * 1024}" for a, p in sizes if attrs.get(a)]
        mbs = (("vram64", "vram64_size_mb"), ("vgamem", "vgamem_mb"))
        props += [f"{p}={int(attrs[a]) // 1024}" for a, p in mbs if attrs.get(a)]
    if kind in ("qxl", "virtio") and attrs.get("heads"):
        props.append(f"max_outputs={attrs['heads']}")
    accel = model_element.find("acceleration") if model_element is not None else None
    if accel is not None and accel.get("accel3d") == "yes":
        draft.skip(describe(element), "3D acceleration (virgl)")
        return
    pci_device(draft, element, device_model(element, primary_video=primary), *props)


def translate_sound(draft: Draft, element: ET.Element) -> None:
    """<sound>: the card, and for HDA one codec device per <codec>."""
    model = device_model(element)
    sound_id = draft.next_id("sound")
    _ensure_audiodev(draft)
    if element.get("model") == "ac97":
        pci_device(draft, element, model, f"id={sound_id}", f"audiodev={AUDIODEV_ID}")
        return
    if not pci_device(draft, element, model, f"id={sound_id}"):
        return
    codecs = element.findall("codec") or [ET.Element("codec", type="duplex")]
    for number, codec in enumerate(codecs):
        kind = codec.get("type", "duplex")
        if kind not in ("duplex", "micro", "output"):
            draft.skip(f"{describe(element)}: <codec type='{kind}'>", "not translated")
            continue
        draft.add(
            "-device",
            f"hda-{kind},bus={sound_id}.0,cad={number},audiodev={AUDIODEV_ID}",
        )


def _ensure_audiodev(draft: Draft) -> None:
    if not draft.audiodev:
        draft.add("-audiodev", f"none,id={AUDIODEV_ID}")
        draft.audiodev = True
