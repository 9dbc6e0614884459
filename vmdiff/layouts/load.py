"""Build a StreamLayout from a vmdesc JSON (exact) or a -dump-vmstate JSON (approximate)."""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import replace
from pathlib import Path
from typing import Any

from vmdiff.errors import LayoutError
from vmdiff.layouts.layout import DeviceLayout, FieldLayout, StreamLayout, VmsdLayout

# Widths of the scalar VMStateInfo types a -dump-vmstate file cannot name.
_DUMP_TYPE_BY_SIZE = {1: "uint8", 2: "uint16", 4: "uint32", 8: "uint64"}


def load_layout(path: str | Path) -> StreamLayout:
    """Read a layout file: a vmdesc saved from a capture, or a -dump-vmstate file."""
    try:
        text = Path(path).read_bytes()
    except OSError as err:
        raise LayoutError(f"{path}: cannot read layout: {err.strerror}") from None
    try:
        document = json.loads(text)
    except (ValueError, RecursionError) as err:
        raise LayoutError(f"{path}: not JSON: {err}") from None
    return layout_from_json(document, source=str(path))


def layout_from_json(document: object, source: str) -> StreamLayout:
    """Tell a vmdesc from a -dump-vmstate document and build the layout it describes."""
    if not isinstance(document, dict):
        raise LayoutError(f"{source}: expected a JSON object")
    try:
        if "devices" in document:
            return _from_vmdesc(document, source)
        if "vmschkmachine" in document:
            return _from_dump(document, source)
    except (KeyError, TypeError, ValueError, RecursionError) as err:
        raise LayoutError(f"{source}: malformed layout: {err!r}") from None
    raise LayoutError(f"{source}: neither a vmdesc (no 'devices') nor a -dump-vmstate file")


def _from_vmdesc(document: dict[str, Any], source: str) -> StreamLayout:
    devices = []
    for entry in document["devices"]:
        if "vmsd_name" in entry:
            vmsd = _vmdesc_vmsd(entry)
        else:
            # An old-style handler (save_state/load_state): one opaque buffer, no subsections.
            vmsd = VmsdLayout(
                name=entry["name"],
                version=int(entry.get("version", 0)),
                fields=tuple(_vmdesc_field(f) for f in entry.get("fields", [])),
                may_have_subsections=False,
            )
        devices.append(DeviceLayout(entry["name"], int(entry["instance_id"]), vmsd))
    page_size = document.get("page_size")
    return StreamLayout(
        source=source,
        exact=True,
        page_size=int(page_size) if page_size is not None else None,
        devices=devices,
    )


def _vmdesc_vmsd(entry: dict[str, Any]) -> VmsdLayout:
    return VmsdLayout(
        name=str(entry["vmsd_name"]),
        version=int(entry.get("version", 0)),
        fields=_index_runs([_vmdesc_field(f) for f in entry.get("fields", [])]),
        subsections=tuple(_vmdesc_vmsd(s) for s in entry.get("subsections", [])),
    )


def _index_runs(fields: list[FieldLayout]) -> tuple[FieldLayout, ...]:
    """Number the elements of unfolded arrays that the vmdesc left unnumbered.

    QEMU 7.2 writes "index" on every element of an array it cannot fold; 10.0 writes it on
    the first element only, or on none (piix4_pm's acpi_pcihp_pci_status). A run of fields
    with one name is such an array: number it so that paths stay the same across versions.
    """
    out: list[FieldLayout] = []
    for i, field in enumerate(fields):
        previous = out[-1] if out else None
        following = fields[i + 1] if i + 1 < len(fields) else None
        in_run = field.array_len is None and (
            (previous is not None and previous.name == field.name and previous.array_len is None)
            or (following is not None and following.name == field.name)
        )
        if in_run and field.index is None:
            same = previous is not None and previous.name == field.name
            index = (previous.index or 0) + 1 if same and previous is not None else 0
            field = replace(field, index=index)
        out.append(field)
    return tuple(out)


def _vmdesc_field(entry: dict[str, Any]) -> FieldLayout:
    nested: VmsdLayout | None = None
    if "struct" in entry:
        nested = _vmdesc_vmsd(entry["struct"])
    elif "fields" in entry:
        # tmp, vstruct and the list types write their vmsd inline in the field object.
        nested = _vmdesc_vmsd({"vmsd_name": entry.get("vmsd_name", entry["name"]), **entry})
    array_len = entry.get("array_len")
    index = entry.get("index")
    return FieldLayout(
        name=str(entry["name"]),
        type_name=str(entry["type"]),
        size=int(entry["size"]),
        array_len=int(array_len) if array_len is not None else None,
        index=int(index) if index is not None else None,
        vmsd=nested,
    )


def _from_dump(document: dict[str, Any], source: str) -> StreamLayout:
    vmsds: dict[str, VmsdLayout] = {}
    for key, entry in document.items():
        if key == "vmschkmachine" or not isinstance(entry, dict) or "Description" not in entry:
            continue
        vmsd = _dump_vmsd(entry["Description"])
        vmsds.setdefault(f"{vmsd.name}\0{key}", vmsd)
    layout = StreamLayout(source=source, exact=False)
    layout.add_vmsds(list(vmsds.values()))
    return layout


def _dump_vmsd(entry: dict[str, Any]) -> VmsdLayout:
    fields = entry.get("Fields", [])
    names = Counter(str(f["field"]) for f in fields)
    seen: Counter[str] = Counter()
    layouts = []
    for field in fields:
        name = str(field["field"])
        if names[name] > 1:
            # QEMU's vmdesc names a repeated field by its occurrence, e.g. PCI "config[0]".
            occurrence = seen[name]
            seen[name] += 1
            name = f"{name}[{occurrence}]"
        layouts.append(_dump_field(field, name))
    return VmsdLayout(
        name=str(entry["name"]),
        version=int(entry.get("version_id", 0)),
        minimum_version=int(entry.get("minimum_version_id", 0)),
        fields=tuple(layouts),
        subsections=tuple(_dump_vmsd(s) for s in entry.get("Subsections", [])),
    )


def _dump_field(entry: dict[str, Any], name: str) -> FieldLayout:
    nested = _dump_vmsd(entry["Description"]) if "Description" in entry else None
    size = int(entry.get("size", 0))
    num = entry.get("num")
    type_name = "struct" if nested else _DUMP_TYPE_BY_SIZE.get(size, "buffer")
    if name.startswith("unused") and not nested:
        type_name = "unused_buffer"  # VMSTATE_UNUSED: bytes the destination skips
    return FieldLayout(
        name=name,
        type_name=type_name,
        size=size,
        array_len=int(num) if num is not None and int(num) > 1 else None,
        vmsd=nested,
        version_id=int(entry.get("version_id", 0)),
        conditional=bool(entry.get("field_exists", False)),
    )
