"""What wraps a stream (libvirt save image header, compressor), for ``vmdiff show``."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from rich.text import Text

from vmdiff.decode.domain_xml import DomainDevice, DomainInfo, parse_domain_xml
from vmdiff.errors import InputError
from vmdiff.model import Container, Stream
from vmdiff.report.values import format_size

_FORMAT_CODES = {"raw": 0, "gzip": 1, "bzip2": 2, "xz": 3, "lzop": 4, "zstd": 5, "sparse": 6}


def container_lines(stream: Stream) -> list[Text]:
    """Lines describing the container, for the top of the ``show`` tree (none for a bare stream)."""
    container = stream.container
    if container is None:
        return []
    if container.kind != "libvirt":
        return [
            Text.assemble(
                (f"{container.format}-compressed", "bold"),
                " stream: offsets are in the unpacked stream",
            )
        ]
    line = Text.assemble(
        ("libvirt save image", "bold"), f"  {container.magic} v{container.version}"
    )
    if container.byte_order != "little":
        line.append(f", {container.byte_order}-endian header")
    code = _FORMAT_CODES.get(container.format, "?")
    line.append(f", format {code} {container.format}")
    line.append(", was running" if container.was_running else ", was paused")
    line.append(f", XML area {container.data_len} bytes")
    if container.cookie_offset:
        line.append(" with cookie")
    line.append(f", payload @{container.payload_offset:#x}", style="dim")
    lines = [line]
    if container.partial:
        lines.append(
            Text(
                "  ! incomplete (LibvirtQemudPart): libvirt never finished writing this image",
                style="bold red",
            )
        )
    domain = domain_of(container)
    if domain is not None:
        lines.append(Text(f"  domain {_describe_domain(domain)}"))
        if (
            domain.machine_type
            and stream.machine_type
            and domain.machine_type != stream.machine_type
        ):
            lines.append(
                Text(
                    f"  ! the domain XML says machine {domain.machine_type}, "
                    f"the stream {stream.machine_type}",
                    style="bold yellow",
                )
            )
    return lines


def domain_of(container: Container) -> DomainInfo | None:
    """The parsed domain XML of a libvirt container, or None if absent or unreadable."""
    if not container.domain_xml:
        return None
    try:
        return parse_domain_xml(container.domain_xml)
    except InputError:
        return None


def _describe_domain(domain: DomainInfo) -> str:
    parts = [domain.name or "(unnamed)"]
    if domain.machine_type:
        parts.append(f"machine {domain.machine_type}")
    if domain.memory_bytes is not None:
        parts.append(format_size(domain.memory_bytes))
    if domain.vcpus is not None:
        parts.append(f"{domain.vcpus} vCPU")
    if domain.cpu_model:
        parts.append(f"CPU {domain.cpu_model}")
    devices = ", ".join(_describe_device(d) for d in domain.devices)
    return ", ".join(parts) + (f"; devices: {devices}" if devices else "")


def _describe_device(device: DomainDevice) -> str:
    words = [device.kind]
    words += [w for w in (device.type, device.target) if w]
    if device.model:
        words.append(f"({device.model})")
    if device.address:
        words.append(device.address)
    return " ".join(words)


def container_json(container: Container | None) -> dict[str, Any] | None:
    """The container as a JSON-ready dict (None for a bare stream)."""
    if container is None:
        return None
    domain = domain_of(container)
    return {
        "kind": container.kind,
        "format": container.format,
        "payload_offset": container.payload_offset,
        "magic": container.magic,
        "partial": container.partial,
        "version": container.version,
        "data_len": container.data_len,
        "was_running": container.was_running,
        "cookie_offset": container.cookie_offset,
        "byte_order": container.byte_order,
        "domain": None
        if domain is None
        else {
            "name": domain.name,
            "machine_type": domain.machine_type,
            "memory_bytes": domain.memory_bytes,
            "vcpus": domain.vcpus,
            "cpu_model": domain.cpu_model,
            "devices": [
                {k: v for k, v in asdict(d).items() if v is not None} for d in domain.devices
            ],
        },
        "domain_xml": container.domain_xml,
        "cookie_xml": container.cookie_xml,
    }
