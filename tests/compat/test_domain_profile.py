"""Domain XML as a destination: the facts it states, partial lists, save images, mismatches."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.compat.test_docs import DOCUMENTED
from tests.conftest import SAMPLES, decoded_sample, sample_path
from vmdiff.cli import main
from vmdiff.compat import VerdictKind, check, load_destination
from vmdiff.compat.build import profile_from_stream, with_qemu_version
from vmdiff.compat.domain import (
    domain_facts,
    is_domain_xml,
    profile_from_domain_xml,
    read_domain_xml,
    xml_stream_mismatches,
)
from vmdiff.compat.profile import ProfileError, merge_profiles
from vmdiff.compat.profile_json import profile_from_json, profile_to_json
from vmdiff.decode import read_stream

IMAGE = SAMPLES / "libvirt" / "libvirt-9.0-raw.sav"
IMAGE_11 = SAMPLES / "libvirt" / "libvirt-11-raw.sav"
# The XML area of a libvirt 9.0 image ends where its QEMU stream starts.
IMAGE_PAYLOAD = 0x105C8
EDITS = (
    (b"<memory unit='KiB'>65536", b"<memory unit='KiB'>98304"),
    (b"machine='pc-i440fx-7.2'", b"machine='pc-i440fx-7.1'"),
    (b"slot='0x02'", b"slot='0x03'"),
)
NIC_AT_SLOT_2 = (
    "<interface type='network'><mac address='52:54:00:12:34:56'/><model type='virtio'/>"
    "<address type='pci' domain='0x0000' bus='0x00' slot='0x02' function='0x0'/></interface>"
)


def sample_xml() -> str:
    """The domain XML libvirt 9.0 wrote into the raw save image."""
    return read_domain_xml(str(IMAGE))


def edited_image(directory: Path, edits: tuple[tuple[bytes, bytes], ...] = EDITS) -> Path:
    """A copy of the 9.0 image whose XML was rewritten in place (as save-image-define does):
    96 MiB, pc-i440fx-7.1 and the disk at slot 3, while the stream still says otherwise."""
    data = IMAGE.read_bytes()
    head = data[:IMAGE_PAYLOAD]
    for old, new in edits:
        assert head.count(old) == 1 and len(old) == len(new)
        head = head.replace(old, new)
    path = directory / "edited.sav"
    path.write_bytes(head + data[IMAGE_PAYLOAD:])
    return path


def xml_with(text: str, old: str, new: str) -> str:
    assert text.count(old) == 1
    return text.replace(old, new)


def test_domain_xml_facts_of_the_libvirt_sample() -> None:
    profile = profile_from_domain_xml(sample_xml(), "dom.xml")
    assert profile.machine_type is not None and profile.machine_type.value == "pc-i440fx-7.2"
    assert "(a canonical machine type)" in profile.machine_type.source
    assert profile.accel is not None and profile.accel.value == "tcg"
    assert profile.uuid is not None
    assert profile.uuid.value == "0b36a6be-0489-4605-b204-64144a0a7e67"
    assert profile.ram_blocks is not None and not profile.ram_blocks.complete
    assert profile.ram_blocks.value["pc.ram"].length == 64 << 20
    assert profile.sections is not None and not profile.sections.complete
    assert list(profile.sections.value) == ["0000:00:02.0/virtio-blk[0]"]
    sources = [
        profile.machine_type.source,
        profile.accel.source,
        profile.uuid.source,
        profile.ram_blocks.source,
        profile.sections.source,
    ]
    assert all(source.startswith("domain XML dom.xml: ") for source in sources)
    assert profile.qemu_version is None and profile.capabilities is None


def test_alias_machine_type_is_left_to_the_destination_qemu() -> None:
    text = xml_with(sample_xml(), "machine='pc-i440fx-7.2'", "machine='pc'")
    profile = profile_from_domain_xml(text, "alias.xml")
    assert profile.machine_type is None
    assert any("'pc' is an alias" in line for line in profile.built_from)
    verdicts = check(decoded_sample("pc-7.2"), profile)
    machine = next(v for v in verdicts.verdicts if v.path == "configuration/machine_type")
    assert machine.kind is VerdictKind.UNKNOWN
    assert machine.needs == "the destination's machine type"


@pytest.mark.parametrize(
    ("head", "expected"),
    [
        (b"<domain type='kvm'>", True),
        (b"\xef\xbb\xbf<?xml version='1.0'?>\n<!-- virsh dumpxml -->\n<domain>", True),
        (b"  \n<domain\n type='qemu'>", True),
        (b"<domainsnapshot>", False),
        (b'{"format": "vmdiff.profile/1"}', False),
        (b"QEVM\x00\x00\x00\x03", False),
    ],
)
def test_domain_xml_is_recognised_by_content(head: bytes, expected: bool) -> None:
    assert is_domain_xml(head) is expected


def test_xml_alone_never_rejects_the_stream_it_came_with() -> None:
    profile = with_qemu_version(profile_from_domain_xml(sample_xml(), "dom.xml"), "7.2", "test")
    result = check(read_stream(str(IMAGE)), profile)
    assert result.first_failure is None
    by_path = {v.path: v for v in result.verdicts}
    assert by_path["ram/pc.ram"].kind is VerdictKind.ACCEPT
    assert by_path["ram/pc.bios"].kind is VerdictKind.UNKNOWN
    assert by_path["ram/pc.bios"].reason.endswith("lists only some of the destination's RAM blocks")
    assert by_path["configuration/machine_type"].kind is VerdictKind.ACCEPT
    assert by_path["0000:00:02.0/virtio-blk[0]"].needs == "the destination's version of virtio-blk"
    assert "lists only some of" in by_path["0000:00:01.1/ide[0]"].reason


def test_xml_memory_decides_the_main_ram_block() -> None:
    profile = profile_from_domain_xml(sample_xml(), "dom.xml")
    failure = check(decoded_sample("pc-7.2-m128"), profile).first_failure
    assert failure is not None and failure.path == "ram/pc.ram"
    assert failure.qemu_message is None  # no QEMU version: no message text
    known = with_qemu_version(profile, "7.2", "test")
    failure = check(decoded_sample("pc-7.2-m128"), known).first_failure
    assert failure is not None
    assert failure.qemu_message == "Size mismatch: pc.ram: 0x8000000 != 0x4000000: Invalid argument"


def test_another_device_at_the_same_pci_address_is_rejected() -> None:
    text = xml_with(sample_xml(), "<disk type='file' device='disk'>", NIC_AT_SLOT_2 + "<disk>")
    text = xml_with(text, "slot='0x02' function='0x0'/>\n    </disk>", "slot='0x05'/></disk>")
    profile = with_qemu_version(profile_from_domain_xml(text, "nic.xml"), "7.2", "test")
    result = check(decoded_sample("pc-7.2-e1000"), profile)
    by_path = {v.path: v for v in result.verdicts}
    assert by_path["ram/0000:00:02.0/e1000.rom"].kind is VerdictKind.UNKNOWN
    failure = result.first_failure
    assert failure is not None and failure.path == "0000:00:02.0/e1000[0]"
    assert failure.reason == (
        "the destination has 0000:00:02.0/virtio-net at that PCI address, not 0000:00:02.0/e1000"
    )
    assert failure.qemu_message is not None
    assert failure.qemu_message.startswith(
        "Unknown savevm section or instance '0000:00:02.0/e1000' 0."
    )


def test_save_image_as_destination_is_its_stream_plus_its_xml() -> None:
    profile = load_destination(str(IMAGE))
    assert any("is a libvirt save image" in line for line in profile.built_from)
    assert profile.sections is not None and profile.sections.complete
    assert profile.accel is not None and not profile.accel.inferred
    assert profile.accel.source == f"domain XML in {IMAGE}: <domain type='qemu'>"
    assert profile.ram_blocks is not None and profile.ram_blocks.complete
    assert "<memory> 64 MiB" in profile.ram_blocks.source
    result = check(read_stream(str(IMAGE_11)), profile)
    assert result.first_failure is not None
    assert result.first_failure.path == "configuration/machine_type"
    assert check(read_stream(str(IMAGE)), profile).headline == "would SUCCEED"


def test_image_whose_xml_contradicts_its_stream_is_no_destination(tmp_path: Path) -> None:
    edited = edited_image(tmp_path)
    with pytest.raises(ProfileError, match="its domain XML and its stream disagree") as err:
        load_destination(str(edited))
    assert "contradicts 'pc-i440fx-7.1'" in str(err.value)


def test_partial_list_must_agree_with_a_whole_one() -> None:
    capture = profile_from_stream(decoded_sample("pc-7.2"))
    bigger = xml_with(sample_xml(), "65536</memory>", "131072</memory>")
    with pytest.raises(ProfileError, match=r"RAM block pc\.ram: .* disagree"):
        merge_profiles([capture, profile_from_domain_xml(bigger, "big.xml")])
    with pytest.raises(ProfileError) as err:
        merge_profiles([capture, profile_from_domain_xml(sample_xml(), "disk.xml")])
    assert str(err.value).startswith("section 0000:00:02.0/virtio-blk[0]: domain XML disk.xml")
    assert str(err.value).endswith("(the whole list) does not")


def test_partial_lists_survive_the_profile_file() -> None:
    profile = profile_from_domain_xml(sample_xml(), "dom.xml")
    document = profile_to_json(profile)
    assert document["ram_blocks"]["complete"] is False
    assert document["sections"]["complete"] is False
    again = profile_from_json(json.loads(json.dumps(document)), "dom.json")
    assert again.ram_blocks is not None and not again.ram_blocks.complete
    assert again.sections is not None and again.sections.value == profile.sections.value  # type: ignore[union-attr]
    whole = profile_to_json(profile_from_stream(decoded_sample("pc-7.2")))
    assert "complete" not in whole["sections"]


def test_xml_and_stream_of_an_intact_image_agree() -> None:
    for image in (IMAGE, IMAGE_11):
        stream = read_stream(str(image))
        assert stream.container is not None and stream.container.domain_xml
        assert xml_stream_mismatches(stream, domain_facts(stream.container.domain_xml, "x")) == []


def test_xml_and_stream_mismatches_are_named(tmp_path: Path) -> None:
    stream = read_stream(str(edited_image(tmp_path)))
    assert stream.container is not None and stream.container.domain_xml
    assert xml_stream_mismatches(stream, domain_facts(stream.container.domain_xml, "x")) == [
        "the XML says machine type pc-i440fx-7.1, the stream pc-i440fx-7.2",
        "the XML gives 96 MiB of memory, the stream's pc.ram is 64 MiB",
        "the XML has disk vda (virtio) at 0000:00:03.0, the stream no section "
        "0000:00:03.0/virtio-blk[0]",
        "the stream has 0000:00:02.0/virtio-blk, the XML no device at 0000:00:02.0",
    ]


# --- the command line ---------------------------------------------------------------------


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    status = main(["--color", "never", *args])
    captured = capsys.readouterr()
    return status, captured.out, captured.err


def test_check_takes_a_domain_xml_as_dest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    xml = tmp_path / "destination"  # no .xml: recognised by content
    xml.write_text(sample_xml())
    status, out, _ = run(
        capsys, "check", str(sample_path("pc-7.2-m128")), "--dest", str(xml), "--json"
    )
    document = json.loads(out)
    assert status == 3
    assert document["first_failure"]["path"] == "ram/pc.ram"
    assert document["destination_built_from"][0].startswith(f"domain XML {xml} (")


def test_check_notes_where_a_source_image_disagrees_with_its_xml(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    edited = edited_image(tmp_path)
    status, out, _ = run(capsys, "check", str(edited), "--dest", str(IMAGE), "--brief")
    notes = [line for line in out.splitlines() if line.startswith("note: the image's")]
    assert status == 0
    assert len(notes) == 4
    assert notes[1] == (
        "note: the image's domain XML and its stream disagree: the XML gives 96 MiB of memory, "
        "the stream's pc.ram is 64 MiB"
    )
    _, intact, _ = run(capsys, "check", str(IMAGE), "--dest", str(IMAGE), "--brief")
    assert "the image's domain XML" not in intact


def test_a_domain_xml_with_a_dtd_is_refused(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    hostile = tmp_path / "dtd.xml"
    hostile.write_text('<?xml version="1.0"?>\n<domain><!DOCTYPE x [<!ENTITY a "b">]></domain>')
    status, _, err = run(capsys, "check", str(sample_path("pc-7.2")), "--dest", str(hostile))
    assert status == 2
    assert err.strip() == f"vmdiff: {hostile}: DTDs and entity declarations are not accepted"


def test_profile_writes_the_facts_of_a_domain_xml(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "dest.json"
    status, _, err = run(capsys, "profile", "--domain-xml", str(IMAGE), "-o", str(out))
    document = json.loads(out.read_text())
    assert status == 0
    assert err.strip() == f"wrote {out}: QEMU version unknown, pc-i440fx-7.2, tcg"
    assert document["ram_blocks"] == {
        "blocks": {"pc.ram": {"length": "0x4000000"}},
        "source": f"domain XML {IMAGE}: <memory> 64 MiB is the main RAM block pc.ram",
        "complete": False,
    }


def test_the_keys_a_domain_xml_adds_are_documented() -> None:
    document = profile_to_json(profile_from_domain_xml(sample_xml(), "dom.xml"))
    assert set(document) - DOCUMENTED == set()
    for key in ("ram_blocks", "sections"):
        assert set(document[key]) - DOCUMENTED - {"source", "blocks", "sections"} == set()
