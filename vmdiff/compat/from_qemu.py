"""Build a profile by running the destination QEMU: a capture of its configuration and its dump."""

from __future__ import annotations

import json
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

from vmdiff.compat.build import profile_from_dump, profile_from_stream
from vmdiff.compat.profile import DestinationProfile, Fact, ProfileError, merge_profiles
from vmdiff.decode import read_stream
from vmdiff.qemu import QemuBinary, QemuError, capture, dump_vmstate, find_qemu
from vmdiff.qemu.binaries import read_version


def resolve_qemu(spec: str) -> QemuBinary:
    """A QEMU from "7.2", "10.0" or the path of a qemu-system-x86_64 binary."""
    found = find_qemu(spec)
    if found is not None:
        return found
    path = Path(spec if "/" in spec else (shutil.which(spec) or spec)).absolute()
    full = read_version(path)
    if full is None:
        raise ProfileError(f"{spec}: not a QEMU binary vmdiff can run (no version from --version)")
    major_minor = ".".join(full.split(".")[:2])
    # A binary unpacked under PREFIX/usr/bin needs its own module and firmware directories.
    prefix = path.parents[2] if path.parent.name == "bin" and path.parents[2] != Path("/") else None
    return QemuBinary(version=major_minor, full_version=full, path=path, prefix=prefix)


def profile_from_qemu(
    qemu: QemuBinary,
    args: Sequence[str],
    *,
    capabilities: Sequence[str] = (),
    keep_dir: Path | None = None,
) -> DestinationProfile:
    """Capture the destination configuration ``args`` and dump its vmstate; merge both."""
    with tempfile.TemporaryDirectory(prefix="vmdiff-profile-") as tmp:
        workdir = keep_dir or Path(tmp)
        stream_path = workdir / "destination.bin"
        uri = f"file:{stream_path}" if "mapped-ram" in capabilities else None
        try:
            capture(qemu, args, stream_path, capabilities=capabilities or None, uri=uri)
            stream = read_stream(str(stream_path))
            if stream.machine_type is None:
                raise ProfileError(f"{stream_path}: the capture names no machine type")
            dump_path = dump_vmstate(qemu, stream.machine_type, workdir / "destination-dump.json")
        except QemuError as err:
            raise ProfileError(f"cannot build a profile with QEMU {qemu.version}: {err}") from None
        # The files are temporary: the facts name what they were, not where they were.
        dump_origin = str(dump_path) if keep_dir else "of the destination's -dump-vmstate"
        dump = profile_from_dump(json.loads(dump_path.read_text()), dump_origin)
        if keep_dir is None:
            stream.path = "of the destination, made by vmdiff profile --qemu"
    command = " ".join([str(qemu.path), *args])
    version = Fact(qemu.version, f"`{qemu.path} --version` says {qemu.full_version}")
    return merge_profiles(
        [
            DestinationProfile(
                description=f"destination: {command}",
                qemu_version=version,
                built_from=[f"vmdiff profile --qemu {qemu.path} -- {' '.join(args)}"],
            ),
            profile_from_stream(stream),
            dump,
        ]
    )
