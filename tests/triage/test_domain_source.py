"""triage on libvirt save images: the domain XML in the Source table, and where it disagrees."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.compat.test_domain_profile import IMAGE, edited_image, run
from tests.conftest import sample_path


def test_source_table_shows_what_the_domain_xml_says(capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = run(capsys, "triage", str(IMAGE))
    rows = out.splitlines()
    assert status == 0
    assert "| domain (XML) | `vmdiff-sample`, type qemu, machine `pc-i440fx-7.2` |" in rows
    assert "| memory (XML) | 64 MiB |" in rows
    assert "| vCPUs (XML) | 1 |" in rows
    assert "| CPU model (XML) | `qemu64` (mode custom) |" in rows
    assert (
        "| devices (XML) | `disk vda (virtio) at 0000:00:02.0`, `controller usb (none)`, "
        "`input mouse (ps2)`, `memballoon (none)` |"
    ) in rows
    assert (
        "| XML and stream | agree (machine type, memory, vCPUs, devices at PCI addresses) |"
    ) in rows


def test_a_disagreement_is_a_finding_of_the_source_table(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    edited = edited_image(tmp_path)
    _, markdown, _ = run(capsys, "triage", str(edited))
    row = next(line for line in markdown.splitlines() if line.startswith("| XML and stream |"))
    assert row.startswith(
        "| XML and stream | **disagree**: the XML says machine type pc-i440fx-7.1, the stream "
        "pc-i440fx-7.2; the XML gives 96 MiB of memory, the stream's pc.ram is 64 MiB; "
    )
    _, out, _ = run(capsys, "triage", str(edited), "--json")
    domain = json.loads(out)["source"]["domain_xml"]
    assert domain["name"] == "vmdiff-sample"
    assert domain["memory_bytes"] == 96 << 20
    assert domain["vcpus"] == 1 and domain["cpu_model"] == "qemu64"
    assert domain["devices"][0] == "disk vda (virtio) at 0000:00:03.0"
    assert domain["mismatches"][3] == (
        "the stream has 0000:00:02.0/virtio-blk, the XML no device at 0000:00:02.0"
    )


def test_a_bare_stream_has_no_domain_xml(capsys: pytest.CaptureFixture[str]) -> None:
    _, out, _ = run(capsys, "triage", str(sample_path("pc-7.2")), "--json")
    assert json.loads(out)["source"]["domain_xml"] is None
    _, markdown, _ = run(capsys, "triage", str(sample_path("pc-7.2")))
    assert "(XML)" not in markdown


def test_triage_takes_a_domain_xml_as_dest(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    xml = tmp_path / "dest.xml"
    xml.write_text(IMAGE.read_bytes()[92:0x105C8].split(b"\0", 1)[0].decode())
    source = str(sample_path("pc-7.2-m128"))
    status, out, _ = run(capsys, "triage", source, "--dest", str(xml), "--json")
    report = json.loads(out)
    assert status == 3
    assert report["verdicts"]["not_accepted"][0]["path"] == "configuration/capabilities"
    assert report["verdicts"]["not_accepted"][1]["path"] == "ram/pc.ram"
    assert report["first_failure"] is None  # no QEMU version, so no message to read back
    status, out, _ = run(
        capsys, "triage", source, "--dest", str(xml), "--qemu-version", "7.2", "--json"
    )
    report = json.loads(out)
    assert report["first_failure"]["path"] == "ram/pc.ram"
    assert report["fixes"][0] == (
        "make `-m` the same: the source has 0x8000000 bytes, the destination 0x4000000"
    )
