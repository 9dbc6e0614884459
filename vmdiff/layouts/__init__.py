"""Device layouts: how a VMState body is laid out, from a vmdesc or a -dump-vmstate file.

Imports vmdiff.model and vmdiff.errors only.
"""

from vmdiff.layouts.layout import DeviceLayout, FieldLayout, StreamLayout, VmsdLayout
from vmdiff.layouts.load import layout_from_json, load_layout

__all__ = [
    "DeviceLayout",
    "FieldLayout",
    "StreamLayout",
    "VmsdLayout",
    "layout_from_json",
    "load_layout",
]
