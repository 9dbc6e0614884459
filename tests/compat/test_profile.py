"""Profiles: what captures and dumps contribute, JSON round trips, merging and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.compat.helpers import sample_profile
from tests.conftest import decoded_sample, sample_path
from vmdiff.compat import ProfileError, load_destination
from vmdiff.compat.build import format_uuid, profile_from_stream, with_qemu_version
from vmdiff.compat.profile import (
    DestinationProfile,
    Fact,
    merge_profiles,
)
from vmdiff.compat.profile_json import profile_from_json, profile_to_json
from vmdiff.decode import decode_bytes


def test_capture_profile_holds_machine_ram_sections_and_checked_values() -> None:
    profile = profile_from_stream(decoded_sample("pc-7.2-e1000"))
    assert profile.machine_type is not None and profile.machine_type.value == "pc-i440fx-7.2"
    assert profile.ram_blocks is not None
    assert profile.ram_blocks.value["0000:00:02.0/e1000.rom"].length == 0x40000
    assert profile.sections is not None
    e1000 = profile.sections.value["0000:00:02.0/e1000[0]"]
    assert (e1000.vmsd, e1000.version_id) == ("e1000", 2)
    assert profile.checked_fields is not None
    config = profile.checked_fields.value["0000:00:02.0/e1000[0]/parent_obj/config[0]"]
    assert config.value[:4] == bytes.fromhex("86800e10")  # type: ignore[index]
    assert profile.vmsds["e1000"].subsections["e1000/mit_state"].seen
    assert not profile.vmsds["e1000"].subsections_complete


def test_capture_profile_infers_version_and_accelerator() -> None:
    old = profile_from_stream(decoded_sample("pc-7.2-kvm"))
    new = profile_from_stream(decoded_sample("pc-7.2-on-10.0"))
    assert old.qemu_version is not None and new.qemu_version is not None
    assert (old.qemu_version.value, new.qemu_version.value) == ("7.2", "10.0")
    assert old.qemu_version.inferred and "no 'configuration' entry" in old.qemu_version.source
    assert old.accel is not None and old.accel.value == "kvm"
    assert new.accel is not None and new.accel.value == "tcg"


def test_capture_profile_reads_capabilities_and_uuid() -> None:
    profile = profile_from_stream(decoded_sample("pc-10.0-ignore-shared"))
    assert profile.capabilities is not None
    assert profile.capabilities.value == frozenset({"x-ignore-shared"})
    assert profile.uuid is not None
    assert profile.uuid.value == "12345678-1234-5678-1234-567812345678"
    assert profile.ram_blocks is not None
    assert profile.ram_blocks.value["pc.bios"].guest_address == 0xFFFC0000


def test_dump_profile_lists_vmsds_with_minimums_and_complete_subsections() -> None:
    profile = sample_profile("dump-7.2-pc-i440fx-7.2")
    piix3 = profile.vmsds["PIIX3"]
    assert [(v.version_id, v.minimum_version_id) for v in piix3.versions] == [(3, 2)]
    assert piix3.subsections_complete and "PIIX3/rcr" in piix3.subsections
    # Two vmsds share the name "ne2000" (ISA and PCI): both versions are kept.
    assert len(profile.vmsds["ne2000"].versions) == 2
    assert "cpu" not in profile.vmsds
    assert profile.sections is None and profile.ram_blocks is None


def test_merging_capture_and_dump_combines_their_facts() -> None:
    profile = sample_profile("pc-7.2", "dump-7.2-pc-i440fx-7.2")
    hpet = profile.vmsds["hpet"]
    assert [(v.version_id, v.minimum_version_id) for v in hpet.versions] == [(2, 1)]
    assert hpet.subsections_complete
    assert profile.sections is not None and "hpet[0]" in profile.sections.value


def test_merge_refuses_contradicting_read_facts() -> None:
    a = DestinationProfile(machine_type=Fact("pc-i440fx-7.2", "capture a"))
    b = DestinationProfile(machine_type=Fact("pc-q35-7.2", "capture b"))
    with pytest.raises(ProfileError, match=r"capture a.*contradicts.*capture b"):
        merge_profiles([a, b])


def test_merge_prefers_read_facts_to_inferred_ones() -> None:
    guessed = DestinationProfile(qemu_version=Fact("7.2", "guess", inferred=True))
    stated = with_qemu_version(guessed, "10.0", "--qemu-version")
    assert stated.qemu_version == Fact("10.0", "--qemu-version")


def test_merge_refuses_ram_blocks_of_different_lengths() -> None:
    with pytest.raises(ProfileError, match=r"RAM block pc\.ram"):
        merge_profiles([sample_profile("pc-7.2"), sample_profile("pc-7.2-m128")])


def test_profile_json_round_trip_is_lossless() -> None:
    profile = sample_profile("pc-10.0-ignore-shared", "dump-10.0-pc-i440fx-10.0")
    profile.allow_ignore = Fact(frozenset({"cpu/msr_smi_count"}), "operator")
    document = profile_to_json(profile)
    again = profile_from_json(json.loads(json.dumps(document)), "round trip")
    assert profile_to_json(again) == document
    assert document["format"] == "vmdiff.profile/1"
    assert document["ram_blocks"]["blocks"]["pc.bios"] == {
        "length": "0x40000",
        "guest_address": "0xfffc0000",
    }


@pytest.mark.parametrize(
    ("document", "error"),
    [
        ({"format": "other/1"}, "'format' must be 'vmdiff.profile/1'"),
        ({"format": "vmdiff.profile/1", "machine_type": {"value": "pc"}}, "machine_type.source"),
        (
            {"format": "vmdiff.profile/1", "ram_blocks": {"source": "me", "blocks": {"x": {}}}},
            "ram_blocks.x.length: expected an integer",
        ),
        (
            {
                "format": "vmdiff.profile/1",
                "vmsds": {"cpu": {"version_id": "twelve", "source": "me"}},
            },
            "vmsds.cpu.version_id",
        ),
        ({"format": "vmdiff.profile/1", "host": {"source": "me", "msrs": "0x34"}}, "host.msrs"),
    ],
)
def test_hand_edited_profile_errors_name_the_key(document: object, error: str) -> None:
    with pytest.raises(ProfileError, match=error.replace(".", r"\.").replace("(", r"\(")):
        profile_from_json(document, "edited.json")


def test_profile_accepts_hex_strings_and_integers() -> None:
    document = {
        "format": "vmdiff.profile/1",
        "ram_blocks": {"source": "me", "blocks": {"pc.ram": {"length": 67108864}}},
        "host": {"source": "me", "msrs": ["0x34", 59]},
    }
    profile = profile_from_json(document, "edited.json")
    assert profile.ram_blocks is not None and profile.ram_blocks.value["pc.ram"].length == 1 << 26
    assert profile.host is not None and profile.host.msrs == frozenset({0x34, 0x3B})


def test_load_destination_tells_files_apart_by_content(tmp_path: Path) -> None:
    profile_file = tmp_path / "no-extension"
    profile_file.write_text(json.dumps(profile_to_json(sample_profile("pc-7.2"))))
    loaded = load_destination(str(profile_file))
    assert loaded.machine_type is not None and loaded.machine_type.value == "pc-i440fx-7.2"
    dump = load_destination(str(sample_path("dump-10.0-pc-q35-10.0")))
    assert dump.machine_type is not None and dump.machine_type.value == "pc-q35-10.0"
    capture = load_destination(str(sample_path("pc-10.0-mapped-ram")))
    assert capture.capabilities is not None and "mapped-ram" in capture.capabilities.value


def test_load_destination_rejects_other_files(tmp_path: Path) -> None:
    junk = tmp_path / "junk.bin"
    junk.write_bytes(b"\x7fELF" + bytes(60))
    with pytest.raises(
        Exception, match=r"junk\.bin: not a profile, a -dump-vmstate file or a capture"
    ):
        load_destination(str(junk))
    vmdesc = tmp_path / "other.json"
    vmdesc.write_text('{"devices": []}')
    with pytest.raises(ProfileError, match="neither a vmdiff profile"):
        load_destination(str(vmdesc))


def test_format_uuid_matches_qemu() -> None:
    assert format_uuid(bytes(range(16))) == "00010203-0405-0607-0809-0a0b0c0d0e0f"


def test_profile_of_a_cut_capture_lists_no_sections() -> None:
    data = sample_path("pc-7.2").read_bytes()[:300_000]
    profile = profile_from_stream(decode_bytes(data))
    assert profile.sections is None
    assert profile.ram_blocks is not None and "pc.ram" in profile.ram_blocks.value
    assert any("stops at a fault" in line for line in profile.built_from)
