#!/usr/bin/env python3
"""(Re)make every file in samples/ with real QEMU 7.2 and 10.0, plus manifest.json and README.md.

Run from the repo root: `python3 tools/make-samples.py` (all) or `--only NAME` (one; repeatable).
Needs root for QEMU 10.0 (see tools/install-qemu.sh and /work/shared/docs/qemu.md).
"""

import argparse
import json
import lzma
import shlex
import sys
import tempfile
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO_ROOT))

from vmdiff.qemu import (  # noqa: E402
    QemuBinary,
    QemuError,
    capture,
    dump_vmstate,
    find_qemu,
    kvm_available,
)
from vmdiff.qemu.run import BASE_ARGS, OUTGOING_FD_NAME  # noqa: E402

SAMPLES_DIR = REPO_ROOT / "samples"
MAC = "52:54:00:12:34:56"
UUID = "12345678-1234-5678-1234-567812345678"
DISK_IMAGE = "disk.raw"
DISK_SIZE_BYTES = 1024 * 1024
SOURCE_QMP_ARG = "unix:SOCK,server=on,wait=off"
QEMU10_WRAPPER = (
    "unshare -m sh -c 'mount --bind PREFIX/usr/lib/x86_64-linux-gnu/qemu "
    '/usr/lib/x86_64-linux-gnu/qemu && exec "$@"\' '
    "PREFIX/usr/bin/qemu-system-x86_64 "
    "-L PREFIX/usr/share/qemu -L /usr/share/seabios -L /usr/lib/ipxe/qemu"
)


@dataclass(frozen=True, slots=True)
class Stream:
    """A migration stream to capture: which QEMU, its arguments and the QMP steps."""

    name: str
    qemu: str
    args: tuple[str, ...]
    description: str
    differs_from: tuple[str, str] | None = None
    running: bool = False
    capabilities: tuple[str, ...] = ()
    file_uri: bool = False
    compress: bool = False
    needs_kvm: bool = False
    needs_disk: bool = False

    @property
    def file(self) -> str:
        """Return the file name in samples/."""
        return f"{self.name}.bin.xz" if self.compress else f"{self.name}.bin"


@dataclass(frozen=True, slots=True)
class Dump:
    """A -dump-vmstate schema of one QEMU for one machine type."""

    name: str
    qemu: str
    machine: str
    description: str
    differs_from: tuple[str, str] | None = None

    @property
    def args(self) -> tuple[str, ...]:
        """Return the arguments given besides `-dump-vmstate OUT`."""
        return ("-M", self.machine)

    @property
    def file(self) -> str:
        """Return the file name in samples/."""
        return f"{self.name}.json"


Sample = Stream | Dump


def tcg(machine: str, *extra: str, memory: str = "64") -> tuple[str, ...]:
    """Return the args of a small TCG guest of `machine` with `extra` devices."""
    return ("-M", machine, "-m", memory, "-accel", "tcg", *extra)


def kvm(machine: str) -> tuple[str, ...]:
    """Return the args of a small KVM guest of `machine`."""
    return ("-M", machine, "-m", "64", "-accel", "kvm")


# fmt: off
SCSI_DISK = (
    "-device", "virtio-scsi-pci,id=scsi0",
    "-drive", f"if=none,id=disk0,file={DISK_IMAGE},format=raw",
    "-device", "scsi-hd,drive=disk0,bus=scsi0.0",
)
# x-ignore-shared skips only RAM backed by a named file in 10.0: with memory-backend-memfd the
# pages are still sent and only the configuration subsections and block addresses change.
SHARED_RAM = (
    "-object", "memory-backend-file,id=m,size=64M,mem-path=guest.ram,share=on",
    "-machine", "memory-backend=m",
    "-uuid", UUID,
)

SAMPLES: tuple[Sample, ...] = (
    Stream("pc-7.2", "7.2", tcg("pc-i440fx-7.2"), "Baseline: 7.2, i440fx, paused, TCG."),
    Stream(
        "pc-7.2-again", "7.2", tcg("pc-i440fx-7.2"),
        "The baseline configuration captured a second time: what differs is run-to-run noise.",
        ("pc-7.2", "nothing: same configuration, second capture"),
    ),
    Stream(
        "q35-7.2", "7.2", tcg("pc-q35-7.2"), "7.2 q35 machine: ICH9 chipset devices.",
        ("pc-7.2", "machine type pc-q35-7.2"),
    ),
    Stream(
        "pc-10.0", "10.0", tcg("pc-i440fx-10.0"), "10.0 with its own default i440fx machine.",
        ("pc-7.2-on-10.0", "machine type pc-i440fx-10.0"),
    ),
    Stream(
        "q35-10.0", "10.0", tcg("pc-q35-10.0"), "10.0 q35 machine.",
        ("pc-10.0", "machine type pc-q35-10.0"),
    ),
    Stream(
        "pc-7.2-on-10.0", "10.0", tcg("pc-i440fx-7.2"),
        "10.0 running the 7.2 machine type; loads into 7.2.",
        ("pc-7.2", "QEMU binary 10.0"),
    ),
    Stream(
        "pc-7.2-e1000", "7.2", tcg("pc-i440fx-7.2", "-device", f"e1000,mac={MAC}"),
        "Adds an e1000 NIC: a device section and its option-ROM RAM block.",
        ("pc-7.2", "adds an e1000 NIC"),
    ),
    Stream(
        "pc-7.2-rtl8139", "7.2", tcg("pc-i440fx-7.2", "-device", f"rtl8139,mac={MAC}"),
        "The same NIC slot and MAC with model rtl8139: a device model change.",
        ("pc-7.2-e1000", "NIC model rtl8139 instead of e1000"),
    ),
    Stream(
        "pc-7.2-disk", "7.2", tcg("pc-i440fx-7.2", *SCSI_DISK),
        "Adds a virtio-scsi controller with a 1 MiB raw disk (zeros, made by the script).",
        ("pc-7.2", "adds a virtio-scsi controller and disk"),
        needs_disk=True,
    ),
    Stream(
        "pc-7.2-usb", "7.2", tcg("pc-i440fx-7.2", "-device", "qemu-xhci", "-device", "usb-tablet"),
        "Adds an xHCI controller with a USB tablet.",
        ("pc-7.2", "adds qemu-xhci and usb-tablet"),
    ),
    Stream(
        "pc-7.2-m128", "7.2", tcg("pc-i440fx-7.2", memory="128"),
        "128 MiB of RAM instead of 64: a different RAM block size.",
        ("pc-7.2", "-m 128"),
    ),
    Stream(
        "pc-7.2-running", "7.2", tcg("pc-i440fx-7.2"),
        "Guest ran SeaBIOS for about 1 s before migrating: non-reset CPU and device state.",
        ("pc-7.2", "guest running, not paused"),
        running=True,
    ),
    Stream(
        "pc-7.2-kvm", "7.2", kvm("pc-i440fx-7.2"),
        "KVM, running: kvmclock and KVM-only CPU subsections; does not load under TCG.",
        ("pc-7.2-running", "-accel kvm"),
        running=True,
        needs_kvm=True,
    ),
    Stream(
        "pc-10.0-kvm", "10.0", kvm("pc-i440fx-10.0"),
        "10.0 under KVM, running, its own machine type: compare with pc-7.2-kvm.",
        running=True,
        needs_kvm=True,
    ),
    Stream(
        "pc-10.0-mapped-ram", "10.0", tcg("pc-i440fx-10.0"),
        "mapped-ram file layout (file: URI); the raw file is mostly holes, so stored as xz.",
        ("pc-10.0", "capability mapped-ram, written to a file: URI"),
        capabilities=("mapped-ram",),
        file_uri=True,
        compress=True,
    ),
    Stream(
        "pc-10.0-ignore-shared", "10.0", tcg("pc-i440fx-10.0", *SHARED_RAM),
        "Shared file-backed RAM with x-ignore-shared and validate-uuid: its pages are not "
        "sent; capabilities and uuid configuration subsections; block addresses (GPA).",
        capabilities=("x-ignore-shared", "validate-uuid"),
    ),
    Dump(
        "dump-7.2-pc-i440fx-7.2", "7.2", "pc-i440fx-7.2", "7.2 VMState schema, i440fx 7.2."
    ),
    Dump(
        "dump-7.2-pc-q35-7.2", "7.2", "pc-q35-7.2", "7.2 VMState schema, q35 7.2.",
        ("dump-7.2-pc-i440fx-7.2", "machine type pc-q35-7.2"),
    ),
    Dump(
        "dump-10.0-pc-i440fx-10.0", "10.0", "pc-i440fx-10.0", "10.0 VMState schema, i440fx 10.0.",
        ("dump-10.0-pc-i440fx-7.2", "machine type pc-i440fx-10.0"),
    ),
    Dump(
        "dump-10.0-pc-q35-10.0", "10.0", "pc-q35-10.0", "10.0 VMState schema, q35 10.0.",
        ("dump-10.0-pc-i440fx-10.0", "machine type pc-q35-10.0"),
    ),
    Dump(
        "dump-10.0-pc-i440fx-7.2", "10.0", "pc-i440fx-7.2", "10.0 VMState schema, i440fx 7.2.",
        ("dump-7.2-pc-i440fx-7.2", "QEMU binary 10.0"),
    ),
)
# fmt: on


def main(argv: Sequence[str] | None = None) -> int:
    """Make the selected samples, then rewrite manifest.json and README.md."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    names = [sample.name for sample in SAMPLES]
    parser.add_argument("--only", action="append", choices=names, metavar="NAME",
                        help="remake only this sample (repeatable); default: all")  # fmt: skip
    parser.add_argument("--out", type=Path, default=SAMPLES_DIR, help="output directory")
    options = parser.parse_args(argv)
    selected = [s for s in SAMPLES if options.only is None or s.name in options.only]
    out_dir: Path = options.out
    out_dir.mkdir(parents=True, exist_ok=True)
    entries = load_manifest(out_dir)
    failures = 0
    for sample in selected:
        try:
            entry = make(sample, out_dir)
        except QemuError as exc:
            print(f"  FAILED {sample.name}: {exc}")
            failures += 1
            continue
        if entry is not None:
            entries[sample.name] = entry
    write_manifest(out_dir, entries)
    write_readme(out_dir, entries)
    total = sum(entry["size_bytes"] for entry in entries.values())
    print(f"{len(entries)} samples in {out_dir}, {total / 1e6:.1f} MB in all")
    return 1 if failures else 0


def make(sample: Sample, out_dir: Path) -> dict[str, Any] | None:
    """Make one sample file and return its manifest entry, or None when it must be skipped."""
    qemu = find_qemu(sample.qemu)
    if qemu is None:
        print(f"  skip {sample.name}: QEMU {sample.qemu} not installed (tools/install-qemu.sh)")
        return None
    if isinstance(sample, Stream) and sample.needs_kvm and not kvm_available():
        print(f"  skip {sample.name}: /dev/kvm is not available")
        return None
    print(f"  make {sample.file}: QEMU {qemu.full_version} {shlex.join(sample.args)}")
    path = out_dir / sample.file
    if isinstance(sample, Dump):
        dump_vmstate(qemu, sample.machine, path)
    else:
        make_stream(qemu, sample, path)
    print(f"       {path.stat().st_size:,} bytes")
    return manifest_entry(sample, qemu, path)


def make_stream(qemu: QemuBinary, sample: Stream, path: Path) -> None:
    """Capture `sample` into `path`, compressing it with xz when the sample says so."""
    with tempfile.TemporaryDirectory(prefix="vmdiff-samples-") as tmp:
        workdir = Path(tmp)
        if sample.needs_disk:
            (workdir / DISK_IMAGE).write_bytes(bytes(DISK_SIZE_BYTES))
        raw = workdir / "stream.bin"
        uri = f"file:{raw}" if sample.file_uri else None
        capture(
            qemu,
            sample.args,
            raw,
            running=sample.running,
            capabilities=sample.capabilities,
            uri=uri,
            cwd=workdir,
        )
        if sample.compress:
            path.write_bytes(lzma.compress(raw.read_bytes(), preset=9))
        else:
            path.write_bytes(raw.read_bytes())


def manifest_entry(sample: Sample, qemu: QemuBinary, path: Path) -> dict[str, Any]:
    """Return the manifest.json record of one made sample."""
    stream = sample if isinstance(sample, Stream) else None
    differs = sample.differs_from
    return {
        "name": sample.name,
        "file": sample.file,
        "kind": "stream" if stream else "vmstate-dump",
        "qemu_version": qemu.version,
        "qemu_full_version": qemu.full_version,
        "machine": machine_of(sample.args),
        "args": list(sample.args),
        "accel": accel_of(sample.args) if stream else None,
        "state": ("running" if stream.running else "paused") if stream else None,
        "capabilities": list(stream.capabilities) if stream else [],
        "uri": uri_of(stream) if stream else None,
        "compression": "xz" if stream and stream.compress else None,
        "size_bytes": path.stat().st_size,
        "description": sample.description,
        "differs_from": {"name": differs[0], "change": differs[1]} if differs else None,
    }


def machine_of(args: Sequence[str]) -> str:
    """Return the machine type named by `-M` in `args`."""
    return args[list(args).index("-M") + 1]


def accel_of(args: Sequence[str]) -> str:
    """Return the accelerator named by `-accel` in `args`."""
    return args[list(args).index("-accel") + 1]


def uri_of(stream: Stream) -> str:
    """Return the migrate URI; `fd:` is a pipe the script copies to OUT, as `exec:cat > OUT`."""
    return "file:OUT" if stream.file_uri else f"fd:{OUTGOING_FD_NAME}"


def load_manifest(out_dir: Path) -> dict[str, dict[str, Any]]:
    """Return the existing manifest entries whose files still exist, keyed by name."""
    path = out_dir / "manifest.json"
    if not path.is_file():
        return {}
    entries = json.loads(path.read_text())
    return {e["name"]: e for e in entries if (out_dir / e["file"]).is_file()}


def write_manifest(out_dir: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Write manifest.json in the order of SAMPLES."""
    ordered = [entries[s.name] for s in SAMPLES if s.name in entries]
    (out_dir / "manifest.json").write_text(json.dumps(ordered, indent=2) + "\n")


def command_line(entry: dict[str, Any]) -> str:
    """Return the exact QEMU command line of a manifest entry, for the README."""
    binary = "qemu-system-x86_64" if entry["qemu_version"] == "7.2" else "$QEMU10"
    if entry["kind"] == "vmstate-dump":
        return f"{binary} {shlex.join([*BASE_ARGS, *entry['args'], '-dump-vmstate', 'OUT'])}"
    return f"{binary} {shlex.join([*BASE_ARGS, '-qmp', SOURCE_QMP_ARG, '-S', *entry['args']])}"


def qmp_steps(entry: dict[str, Any]) -> str:
    """Return the QMP commands run on the source, for the README."""
    if entry["kind"] == "vmstate-dump":
        return "none"
    steps = ["`cont`, wait 1 s"] if entry["state"] == "running" else []
    steps.append("`migrate-set-parameters max-bandwidth=64G`")
    if entry["capabilities"]:
        steps.append(f"`migrate-set-capabilities {' '.join(entry['capabilities'])}`")
    steps.append(f"`migrate {entry['uri']}`")
    return ", ".join(steps)


def human_size(size_bytes: int) -> str:
    """Return `size_bytes` as KiB or MiB with one decimal."""
    if size_bytes >= 1024 * 1024:
        return f"{size_bytes / 1024 / 1024:.1f} MiB"
    return f"{size_bytes / 1024:.1f} KiB"


def readme_rows(entries: Iterable[dict[str, Any]]) -> list[str]:
    """Return the README table rows, one per sample."""
    rows = []
    for e in entries:
        what = e["description"]
        if e["differs_from"]:
            what += f" Differs from `{e['differs_from']['name']}`: {e['differs_from']['change']}."
        cells = [f"`{e['file']}`", e["qemu_full_version"], f"`{command_line(e)}`",
                 qmp_steps(e), what, human_size(e["size_bytes"])]  # fmt: skip
        rows.append("| " + " | ".join(cell.replace("|", "\\|") for cell in cells) + " |")
    return rows


README_HEAD = """\
# samples/

Real QEMU migration streams and `-dump-vmstate` schemas, all made by `tools/make-samples.py`
(`python3 tools/make-samples.py`, or `--only NAME` for one). Do not edit them by hand; rerun the
script. `manifest.json` lists the same files with their exact arguments.

- `qemu-system-x86_64` is Debian 12's QEMU 7.2. `$QEMU10` is QEMU 10.0.2 unpacked by
  `tools/install-qemu.sh` under `PREFIX` (default /opt/vmdiff/qemu-10.0), run as
  `{wrapper}`.
- `SOCK` is a QMP socket in a temp dir; each capture also runs `qmp_capabilities` first and `quit`
  last, and waits for `query-migrate` to say `completed`. `fd:vmdiff-out` is a pipe passed with
  `getfd` that the script copies to the file: the same bytes as `migrate exec:cat > OUT`, without
  the race where `completed` shows before cat has written the last bytes.
- Relative paths are in the capture's working directory, a temp dir: `disk.raw` is 1 MiB of zeros
  made by the script; `guest.ram` is created by QEMU.
- Loading needs the source's capabilities on the destination too: `mapped-ram` plus
  `migrate-incoming file:PATH` (it refuses `exec:`: "Migration requires seekable transport"),
  `x-ignore-shared` and `validate-uuid` plus the same `-object`/`-uuid` arguments.
- `*.bin.xz`: decompress with `xz -d` or Python's `lzma`; the raw mapped-ram file is sparse.
- Two captures of one configuration are not byte-identical (RTC and timer state):
  compare `pc-7.2.bin` with `pc-7.2-again.bin`.

| file | QEMU | exact command line | QMP | what it shows | size |
|---|---|---|---|---|---|
"""


def write_readme(out_dir: Path, entries: dict[str, dict[str, Any]]) -> None:
    """Write README.md: how the samples were made and a table of them."""
    ordered = [entries[s.name] for s in SAMPLES if s.name in entries]
    text = README_HEAD.format(wrapper=QEMU10_WRAPPER) + "\n".join(readme_rows(ordered)) + "\n"
    (out_dir / "README.md").write_text(text)


if __name__ == "__main__":
    sys.exit(main())
