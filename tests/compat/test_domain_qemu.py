"""Domain XML to QEMU command line: the translation, its refusals, and real QEMU runs of it."""

from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import pytest

from tests.compat.test_domain_profile import IMAGE, IMAGE_11, run, sample_xml, xml_with
from tests.conftest import ROOT
from vmdiff.compat import Outcome, VerdictKind, check
from vmdiff.compat.domain import domain_facts, profile_from_domain_xml, read_domain_xml
from vmdiff.compat.domain_qemu import translate
from vmdiff.compat.from_domain import profile_from_domain
from vmdiff.compat.profile import DestinationProfile
from vmdiff.decode import read_stream
from vmdiff.errors import VmdiffError
from vmdiff.qemu import QemuBinary, find_qemu, load

DOMAINS = Path(__file__).parent / "domains"


def need_qemu(version: str) -> QemuBinary:
    qemu = find_qemu(version)
    if qemu is None:
        pytest.skip(f"QEMU {version} is not installed (tools/install-qemu.sh)")
    return qemu


def test_sample_xml_translates_to_libvirts_own_command_line() -> None:
    # libvirt 9.0 started this domain with the same machine, accelerator, CPU, memory, SMP,
    # UUID, RTC and a virtio-blk-pci at bus=pci.0,addr=0x2 (its qemu log); only the block
    # back-end differs.
    translation = translate(sample_xml(), "dom.xml")
    assert translation.untranslated == []
    assert translation.args == [
        *("-machine", "pc-i440fx-7.2,usb=off", "-accel", "tcg", "-cpu", "qemu64", "-m", "64"),
        *("-smp", "1,sockets=1,cores=1,threads=1", "-nodefaults", "-rtc", "base=utc"),
        *("-uuid", "0b36a6be-0489-4605-b204-64144a0a7e67"),
        "-blockdev",
        "driver=null-co,node-name=drive-vda,size=1048576,read-zeroes=on",
        "-device",
        "virtio-blk-pci,drive=drive-vda,id=virtio-vda,bus=pci.0,addr=0x2",
    ]
    assert any("null-co stand-ins" in note for note in translation.notes)


def test_elements_it_does_not_translate_are_listed() -> None:
    text = xml_with(
        sample_xml(),
        "<memballoon model='none'/>",
        "<memballoon model='none'/><hostdev mode='subsystem' type='pci'/>"
        "<sound model='sb16'><address type='pci' slot='0x06'/></sound>"
        "<interface type='network'><address type='pci' slot='0x07'/></interface>"
        "<disk type='file' device='disk'><target dev='vdb' bus='virtio'/></disk>",
    )
    text = xml_with(text, "<acpi/>", "<acpi/><hyperv><relaxed state='on'/></hyperv>")
    text = xml_with(
        text, "<cpu mode='custom' match='exact' check='none'>", "<cpu mode='host-model'>"
    )
    untranslated = translate(text, "odd.xml").untranslated
    assert untranslated == [
        "<features><hyperv>: not translated",
        "<cpu mode='host-model'>: libvirt expands it to this host's CPU: take <cpu> from "
        "`virsh dumpxml` of the running domain",
        "hostdev: this kind of device is not translated",
        "sound (sb16): this model is not translated",
        "interface network: no <model>: libvirt picks the default model; name it",
        "disk vdb (virtio): no PCI address (libvirt assigns one when it defines the domain: use "
        "the XML `virsh dumpxml` prints)",
    ]


def test_profile_refuses_untranslated_elements_before_running_qemu(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    xml = tmp_path / "dom.xml"
    xml.write_text(xml_with(sample_xml(), "<memballoon model='none'/>", "<tpm model='tpm-crb'/>"))
    status, out, err = run(capsys, "profile", "--domain-xml", str(xml), "--qemu", "/bin/true")
    assert status == 2
    assert out == ""
    assert "/bin/true: not a QEMU binary" in err
    need_qemu("7.2")
    status, out, err = run(capsys, "profile", "--domain-xml", str(xml), "--qemu", "7.2")
    lines = err.splitlines()
    assert status == 2
    assert lines[0] == f"QEMU command line translated from {xml}:"
    assert "not translated:" in lines
    assert "  - tpm (tpm-crb): this kind of device is not translated" in lines
    assert lines[-1] == (
        f"vmdiff: {xml}: 1 element(s) not translated (listed above): change the XML, or say "
        "--approximate to leave them out"
    )


def _own_stream_check(qemu: QemuBinary, image: Path) -> tuple[DestinationProfile, list[str]]:
    text = read_domain_xml(str(image))
    translation = translate(text, str(image))
    profile = profile_from_domain(text, str(image), qemu, translation)
    return profile, translation.args


@pytest.mark.parametrize(
    ("version", "image"),
    [("7.2", IMAGE), ("10.0", IMAGE_11), ("10.0", IMAGE)],
    ids=["9.0-image-on-7.2", "11-image-on-10.0", "9.0-image-on-10.0"],
)
def test_profile_from_an_images_xml_accepts_the_images_stream(version: str, image: Path) -> None:
    qemu = need_qemu(version)
    profile, args = _own_stream_check(qemu, image)
    assert profile.qemu_version is not None and profile.qemu_version.value == version
    assert any("started from the translation of" in line for line in profile.built_from)
    stream = read_stream(str(image))
    result = check(stream, profile)
    assert result.outcome is Outcome.SUCCEED, result.headline
    assert result.count(VerdictKind.ACCEPT) == len(result.verdicts)
    # And the real thing: the same QEMU, started from the translation, loads the stream.
    assert stream.container is not None
    uri = f"exec:tail -c +{stream.container.payload_offset + 1} {shlex.quote(str(image))}"
    loaded = load(qemu, args, image, uri=uri)
    assert loaded.succeeded, loaded.error_lines


@pytest.mark.parametrize(
    ("version", "domain"),
    [
        ("7.2", "pc-many-devices"),
        ("7.2", "pc-more-models"),
        ("7.2", "q35-root-ports"),
        ("10.0", "pc-more-models"),
        ("10.0", "q35-root-ports"),
    ],
)
def test_device_sections_match_real_qemu(version: str, domain: str) -> None:
    """Every device the table places has exactly the table's sections at its address in a
    real capture: the XML's facts merge with the capture, and nothing else sits there."""
    qemu = need_qemu(version)
    path = DOMAINS / f"{domain}.xml"
    text = path.read_text()
    translation = translate(text, str(path))
    assert translation.untranslated == []
    profile = profile_from_domain(text, str(path), qemu, translation)
    assert profile.sections is not None and profile.sections.complete
    facts = domain_facts(text, str(path))
    captured = {s.idstr for s in profile.sections.value.values()}
    for address in {p.rpartition("/")[0] for p in facts.sections}:
        expected = {p.rsplit("[", 1)[0] for p in facts.sections if p.startswith(f"{address}/")}
        assert {s for s in captured if s.rpartition("/")[0] == address} == expected
    assert len(facts.placed) >= 8


def test_approximate_leaves_out_and_says_so(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    need_qemu("7.2")
    xml = tmp_path / "dom.xml"
    xml.write_text(xml_with(sample_xml(), "<memballoon model='none'/>", "<tpm model='tpm-crb'/>"))
    out = tmp_path / "approx.json"
    status, _, err = run(
        capsys,
        "profile",
        "--domain-xml",
        str(xml),
        "--qemu",
        "7.2",
        "--approximate",
        "-o",
        str(out),
    )
    assert status == 0, err
    assert "left out (--approximate):" in err.splitlines()
    document = json.loads(out.read_text())
    approximate = (
        "approximate: the translation left out tpm (tpm-crb): this kind of device is not translated"
    )
    assert approximate in document["built_from"]
    assert document["sections"]["inferred"] is True
    status, report, _ = run(capsys, "check", str(IMAGE), "--dest", str(out), "--brief")
    assert status == 0
    assert f"note: the destination profile is {approximate}" in report.splitlines()


def test_readme_shows_the_real_translation(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    qemu = need_qemu("7.2")
    readme = (ROOT / "README.md").read_text().split("**From libvirt.**", 1)[1]
    shown = readme.split("$ vmdiff profile --domain-xml", 1)[1].split("\n$ ", 1)[0]
    monkeypatch.chdir(ROOT)
    out = tmp_path / "dest.json"
    image = "samples/libvirt/libvirt-9.0-raw.sav"
    status, _, err = run(capsys, "profile", "--domain-xml", image, "--qemu", "7.2", "-o", str(out))
    assert status == 0
    printed = err.replace(str(out), "dest.json").replace(
        str(qemu.path), "/usr/bin/qemu-system-x86_64"
    )
    assert printed.splitlines() == shown.splitlines()[1:]


def _damaged_numbers() -> list[str]:
    """The many-devices XML with one number at a time replaced by a word."""
    text = (DOMAINS / "pc-many-devices.xml").read_text()
    spots = [m.start(1) for m in re.finditer(r"[='>](0x[0-9a-f]+|\d+)['<]", text)]
    return [text[:at] + "many" + text[at:].lstrip("0x123456789abcdef") for at in spots]


@pytest.mark.parametrize("text", _damaged_numbers())
def test_a_damaged_number_is_a_clean_error_or_ignored(text: str) -> None:
    for read in (translate, profile_from_domain_xml):
        try:
            read(text, "damaged.xml")
        except VmdiffError as err:
            assert str(err).startswith("damaged.xml: ")
