"""Drive real QEMU binaries: find them, talk QMP, capture and load migration streams.

Stdlib only; imports nothing else from vmdiff, so any layer (tests, tools, cli) may use it.
"""

from vmdiff.qemu.binaries import (
    QemuBinary,
    available_versions,
    find_qemu,
    kvm_available,
    require_qemu,
)
from vmdiff.qemu.qmp import QemuError, QmpClient, QmpError
from vmdiff.qemu.run import CaptureResult, LoadResult, capture, dump_vmstate, load

__all__ = [
    "CaptureResult",
    "LoadResult",
    "QemuBinary",
    "QemuError",
    "QmpClient",
    "QmpError",
    "available_versions",
    "capture",
    "dump_vmstate",
    "find_qemu",
    "kvm_available",
    "load",
    "require_qemu",
]
