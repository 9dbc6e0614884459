"""Find the real QEMU binaries vmdiff is checked against (7.2 system-wide, 10.0 unpacked)."""

import os
import re
import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from vmdiff.qemu.qmp import QemuError

SUPPORTED_VERSIONS = ("7.2", "10.0")
QEMU10_PREFIX_ENV = "VMDIFF_QEMU10_PREFIX"
DEFAULT_QEMU10_PREFIX = "/opt/vmdiff/qemu-10.0"
SYSTEM_MODULE_DIR = "/usr/lib/x86_64-linux-gnu/qemu"
# SeaBIOS and iPXE ROMs come from the system (7.2) packages; 10.0's own data dir goes first.
SYSTEM_FIRMWARE_DIRS = ("/usr/share/seabios", "/usr/lib/ipxe/qemu")
BINARY_NAME = "qemu-system-x86_64"
VERSION_TIMEOUT_S = 10.0
_VERSION_RE = re.compile(r"QEMU emulator version (\d+)\.(\d+)\.(\d+)")
# 10.0 would load 7.2's modules from the system dir and abort; bind its own dir over it in a
# private mount namespace. "$0" is the module dir, "$@" the QEMU command line.
_BIND_SCRIPT = f'mount --bind "$0" {SYSTEM_MODULE_DIR} && exec "$@"'


@dataclass(frozen=True, slots=True)
class QemuBinary:
    """One runnable qemu-system-x86_64: its major.minor `version` and how to start it."""

    version: str
    full_version: str
    path: Path
    prefix: Path | None = None

    def argv(self, extra_args: Sequence[str] = ()) -> list[str]:
        """Return the full command line that runs this QEMU with `extra_args`."""
        if self.prefix is None:
            return [str(self.path), *extra_args]
        module_dir = self.prefix / "usr/lib/x86_64-linux-gnu/qemu"
        firmware = [str(self.prefix / "usr/share/qemu"), *SYSTEM_FIRMWARE_DIRS]
        data_args = [arg for directory in firmware for arg in ("-L", directory)]
        wrapper = ["unshare", "--mount", "--propagation", "private", "sh", "-c", _BIND_SCRIPT]
        return [*wrapper, str(module_dir), str(self.path), *data_args, *extra_args]


def find_qemu(version: str) -> QemuBinary | None:
    """Return the installed QEMU `version` ("7.2" or "10.0"), or None when it is absent."""
    if version == "7.2":
        found = shutil.which(BINARY_NAME)
        return _probe(Path(found), version, None) if found else None
    if version == "10.0":
        prefix = Path(os.environ.get(QEMU10_PREFIX_ENV) or DEFAULT_QEMU10_PREFIX)
        return _probe(prefix / "usr/bin" / BINARY_NAME, version, prefix)
    return None


def require_qemu(version: str) -> QemuBinary:
    """Return the installed QEMU `version` or raise `QemuError` saying how to install it."""
    found = find_qemu(version)
    if found is None:
        raise QemuError(f"QEMU {version} not installed: run tools/install-qemu.sh")
    return found


def available_versions() -> list[str]:
    """Return the supported QEMU versions that are installed, oldest first."""
    return [version for version in SUPPORTED_VERSIONS if find_qemu(version) is not None]


def kvm_available() -> bool:
    """Return True when /dev/kvm exists and this process may open it read-write."""
    return os.access("/dev/kvm", os.R_OK | os.W_OK)


def read_version(path: Path) -> str | None:
    """Return the "X.Y.Z" that `path --version` prints, or None when it does not run."""
    try:
        done = subprocess.run(
            [str(path), "--version"],
            capture_output=True,
            text=True,
            timeout=VERSION_TIMEOUT_S,
            check=False,
        )
    except (OSError, subprocess.TimeoutExpired):
        return None
    match = _VERSION_RE.search(done.stdout)
    return ".".join(match.groups()) if match else None


def _probe(path: Path, version: str, prefix: Path | None) -> QemuBinary | None:
    if not os.access(path, os.X_OK):
        return None
    full_version = read_version(path)
    if full_version is None or not full_version.startswith(version + "."):
        return None
    return QemuBinary(version=version, full_version=full_version, path=path, prefix=prefix)
