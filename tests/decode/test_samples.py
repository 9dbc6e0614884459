"""Every real sample decodes completely, and agrees with its own vmdesc and its command line."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import decoded_sample, stream_samples
from vmdiff.model import Field, Section, Stream

STREAMS = [e["name"] for e in stream_samples()]


def _vmdesc_subsection_names(entry: dict[str, Any]) -> list[str]:
    names = []
    for sub in entry.get("subsections", []):
        names.append(sub["vmsd_name"])
        names.extend(_vmdesc_subsection_names(sub))
    for field in entry.get("fields", []):
        if "struct" in field:
            names.extend(_vmdesc_subsection_names(field["struct"]))
    return names


def _model_subsection_names(section: Section) -> list[str]:
    names: list[str] = []

    def from_fields(fields: tuple[Field, ...]) -> None:
        for field in fields:
            for sub in field.subsections:
                names.append(sub.name)
            from_fields(field.children)

    def walk(subs: tuple[Any, ...]) -> None:
        for sub in subs:
            names.append(sub.name)
            from_fields(sub.fields)
            walk(sub.subsections)

    from_fields(section.fields)
    walk(section.subsections)
    return names


@pytest.mark.parametrize("name", STREAMS)
def test_sample_decodes_to_the_end(name: str) -> None:
    stream = decoded_sample(name)
    assert stream.fault is None
    assert stream.vmdesc is not None and stream.vmdesc.json is not None
    assert all(s.problem is None for s in stream.iter_sections()), [
        (s.path, s.problem) for s in stream.iter_sections() if s.problem
    ]


@pytest.mark.parametrize("name", STREAMS)
def test_sample_sections_match_its_vmdesc(name: str) -> None:
    stream = decoded_sample(name)
    assert stream.vmdesc is not None and stream.vmdesc.json is not None
    described = stream.vmdesc.json["devices"]
    sections = stream.device_sections()
    assert [(d["name"], d["instance_id"]) for d in described] == [
        (s.idstr, s.instance_id) for s in sections
    ]
    for device, section in zip(described, sections, strict=True):
        if "version" in device:
            assert device["version"] == section.version_id, section.path
        assert _vmdesc_subsection_names(device) == _model_subsection_names(section), section.path


def _field(stream: Stream, path: str) -> Field:
    for section in stream.device_sections():
        for field in _walk_fields(section.fields):
            if field.path == path:
                return field
    raise KeyError(path)


def _walk_fields(fields: tuple[Field, ...]) -> list[Field]:
    out = []
    for field in fields:
        out.append(field)
        out.extend(_walk_fields(field.children))
    return out


def test_machine_type_and_ram_size_come_from_the_command_line() -> None:
    for name, machine, megabytes in (
        ("pc-7.2", "pc-i440fx-7.2", 64),
        ("pc-7.2-m128", "pc-i440fx-7.2", 128),
        ("q35-10.0", "pc-q35-10.0", 64),
        ("pc-7.2-on-10.0", "pc-i440fx-7.2", 64),
    ):
        stream = decoded_sample(name)
        assert stream.machine_type == machine
        assert stream.ram is not None
        assert stream.ram.blocks["pc.ram"].length == megabytes << 20


def test_nic_mac_address_decodes_from_the_e1000_eeprom() -> None:
    stream = decoded_sample("pc-7.2-e1000")
    eeprom = _field(stream, "0000:00:02.0/e1000[0]/eeprom_data")
    words = [c.value for c in eeprom.children[:3]]
    mac = b"".join(w.to_bytes(2, "little") for w in words if isinstance(w, int))
    assert mac.hex(":") == "52:54:00:12:34:56"


def test_pci_address_of_a_device_is_its_idstr_prefix() -> None:
    stream = decoded_sample("pc-7.2-e1000")
    section = stream.find_section("0000:00:02.0/e1000", 0)
    assert section is not None
    config = _field(stream, "0000:00:02.0/e1000[0]/parent_obj/config[0]")
    assert isinstance(config.value, bytes)
    assert config.value[:4] == bytes.fromhex("86800e10")  # Intel 82540EM: vendor 8086, device 100e


def test_mapped_ram_sample_reads_pages_from_the_bitmap() -> None:
    stream = decoded_sample("pc-10.0-mapped-ram")
    assert stream.ram is not None and stream.ram.mapped_ram
    block = stream.ram.blocks["pc.ram"]
    assert block.mapped is not None and block.mapped.pages_offset % (1 << 20) == 0
    assert block.zero_pages + block.full_pages == block.length // 4096
    bios = stream.ram.blocks["pc.bios"]
    assert bios.full_pages > 0


def test_ignore_shared_sample_carries_guest_addresses_and_uuid() -> None:
    stream = decoded_sample("pc-10.0-ignore-shared")
    assert stream.configuration is not None
    assert stream.configuration.capabilities == ("x-ignore-shared",)
    assert stream.configuration.uuid == bytes.fromhex("12345678123456781234567812345678")
    assert stream.ram is not None
    assert stream.ram.blocks["pc.bios"].guest_address == 0xFFFC0000
    assert stream.ram.blocks["m"].full_pages == 0


def test_switchover_start_is_a_10_0_command() -> None:
    commands = [r.path for r in decoded_sample("pc-10.0").records if r.path.startswith("command/")]
    assert commands == ["command/switchover_start"]
    assert not [r for r in decoded_sample("pc-7.2").records if r.path.startswith("command/")]
