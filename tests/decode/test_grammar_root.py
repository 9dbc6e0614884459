"""The grammar's root type parses every sample end to end and agrees with the streaming reader.

The reader parses one record at a time with the grammar's types and works out what the wire
leaves unsaid; the root type parses the whole stream in one go, given only the page size, the
capabilities and the size of each device body (taken from the reader). If both readings agree
on every record, the grammar alone describes the samples: it is the single truth.
"""

from __future__ import annotations

import pytest
from kaitaistruct import ValidationFailedError

from tests.conftest import sample_capture, stream_samples
from vmdiff.decode import decode_bytes
from vmdiff.decode._generated.qemu_migration import QemuMigration
from vmdiff.decode.kstream import mapped_stream
from vmdiff.layouts import layout_from_json
from vmdiff.model import Command, EndOfStream, Section, Stream

STREAMS = [e["name"] for e in stream_samples()]
_KINDS = {
    QemuMigration.RecordType.section_start: "start",
    QemuMigration.RecordType.section_part: "part",
    QemuMigration.RecordType.section_end: "end",
    QemuMigration.RecordType.section_full: "full",
}


def _body_sizes(stream: Stream) -> list[int]:
    return [s.body.size for s in stream.iter_sections() if not (s.is_ram and s.kind != "full")]


def parse_root(name: str) -> tuple[QemuMigration, Stream]:
    """A sample parsed by the root type, with the reader's Stream for the same bytes."""
    capture = sample_capture(name)
    stream = capture.stream
    caps = (stream.configuration.capabilities if stream.configuration else None) or ()
    assert stream.ram is not None
    io = mapped_stream(capture.source.buf, stream.stream_offset)
    root = QemuMigration(
        stream.ram.page_size,
        "x-ignore-shared" in caps,
        "mapped-ram" in caps,
        any(s.footer is not None for s in stream.iter_sections()),
        _body_sizes(stream),
        io,
    )
    assert io.is_eof(), "the root type stopped before the end of the file"
    return root, stream


def _record_summary(
    record: QemuMigration.Record, base: int, next_offset: int
) -> tuple[object, ...]:
    offset = base + record.offset
    if record.rec_type == QemuMigration.RecordType.eof:
        return ("eof", offset, offset + 1)
    if record.rec_type == QemuMigration.RecordType.command:
        return ("command", offset, next_offset, record.command.cmd.name)
    section = record.section
    start = getattr(section, "start", None)
    return (
        _KINDS[record.rec_type],
        offset,
        next_offset,
        section.section_id,
        start.idstr.text if start else None,
        start.instance_id if start else None,
        start.version_id if start else None,
        hasattr(section, "footer"),
    )


def _model_summary(record: Section | Command | EndOfStream) -> tuple[object, ...]:
    if isinstance(record, EndOfStream):
        return ("eof", record.span.start, record.span.end)
    if isinstance(record, Command):
        return ("command", record.span.start, record.span.end, record.name)
    live = record.kind in ("part", "end")
    return (
        record.kind,
        record.span.start,
        record.span.end,
        record.section_id,
        None if live else record.idstr,
        None if live else record.instance_id,
        None if live else record.version_id,
        record.footer is not None,
    )


@pytest.mark.parametrize("name", STREAMS)
def test_root_type_reads_each_sample_as_the_reader_does(name: str) -> None:
    root, stream = parse_root(name)
    base = stream.stream_offset
    assert root.header.version == stream.version == 3

    config = stream.configuration
    assert config is not None
    assert bytes(root.configuration.machine_type).decode("latin-1") == config.machine_type
    subsections = getattr(root.configuration, "subsections", None) or []
    assert [s.header.name.text for s in subsections] == [s.name for s in config.subsections]
    for sub in subsections:
        if isinstance(sub.body, QemuMigration.ConfigCapabilities):
            assert tuple(n.text for n in sub.body.names) == config.capabilities
        if isinstance(sub.body, QemuMigration.ConfigUuid):
            assert bytes(sub.body.uuid) == config.uuid

    offsets = [r.offset for r in root.records[1:]] + [root.records[-1].offset + 1]
    grammar = [
        _record_summary(r, base, base + o) for r, o in zip(root.records, offsets, strict=True)
    ]
    assert grammar == [_model_summary(r) for r in stream.records]

    ram_records = sum(
        len(r.section.ram.records) for r in root.records if r.is_section and r.section.is_ram
    )
    assert stream.ram is not None
    assert ram_records == stream.ram.records

    assert stream.vmdesc is not None
    vmdesc_start = base + root.records[-1].offset + 1
    assert stream.vmdesc.span.start == vmdesc_start
    assert stream.vmdesc.span.end == vmdesc_start + 5 + root.vmdesc.len
    assert stream.vmdesc.json is not None


def test_root_type_refuses_a_body_size_the_footer_contradicts() -> None:
    """The grammar checks each footer: one byte too many in a body fails at that footer."""
    capture = sample_capture("pc-7.2")
    stream = capture.stream
    sizes = _body_sizes(stream)
    sizes[3] += 1
    with pytest.raises(ValidationFailedError) as failure:
        QemuMigration(4096, False, False, True, sizes, mapped_stream(capture.source.buf))
    device = stream.device_sections()[3]
    assert failure.value.src_path == "/types/section_footer/seq/0"
    assert failure.value.io.pos() == device.body.end + 2


def _packaged_variant() -> tuple[bytes, Stream]:
    """pc-7.2 reshaped as postcopy sends it: the device sections inside a PACKAGED command
    (with the commands postcopy puts around them), then EOF and no vmdesc."""
    capture = sample_capture("pc-7.2")
    stream = capture.stream
    buf = capture.source.buf
    devices = stream.device_sections()
    first, last = devices[0].span.start, devices[-1].span.end
    listen = bytes([0x08, 0, 4, 0, 0])  # POSTCOPY_LISTEN
    run = bytes([0x08, 0, 5, 0, 0])  # POSTCOPY_RUN
    package = listen + bytes(buf[first:last]) + run
    packaged = bytes([0x08, 0, 7, 0, 4]) + len(package).to_bytes(4, "big") + package
    data = bytes(buf[:first]) + packaged + b"\x00"
    assert stream.vmdesc is not None and stream.vmdesc.json is not None
    layout = layout_from_json(stream.vmdesc.json, "pc-7.2's vmdesc")
    return data, decode_bytes(data, layout=layout)


def test_packaged_records_are_read_alike() -> None:
    data, stream = _packaged_variant()
    assert stream.fault is None, stream.fault
    assert [r.path for r in stream.records][-2:] == ["command/packaged", "eof"]
    package = stream.records[-2]
    assert isinstance(package, Command)
    assert package.records[0].path == "command/postcopy_listen"
    assert len([r for r in package.records if isinstance(r, Section)]) == 30
    assert all(s.fields and s.problem is None for s in stream.device_sections())

    root = QemuMigration(4096, False, False, True, _body_sizes(stream), mapped_stream(data))
    record = root.records[-2]
    assert record.is_packaged and not hasattr(root, "vmdesc")
    base = package.span.end - record.command.data.length
    inner = record.package.records
    offsets = [r.offset for r in inner[1:]] + [record.command.data.length]
    grammar = [_record_summary(r, base, base + o) for r, o in zip(inner, offsets, strict=True)]
    assert grammar == [_model_summary(r) for r in package.records]


def test_a_package_inside_a_package_is_refused_by_both() -> None:
    data, _ = _packaged_variant()
    nested_at = data.rindex(bytes([0x08, 0, 4, 0, 0]))  # the LISTEN inside the package
    inner = bytes([0x08, 0, 7, 0, 4, 0, 0, 0, 0])  # an empty PACKAGED in its place
    mutated = data[:nested_at] + inner + data[nested_at + 5 :]
    outer = data.rindex(bytes([0x08, 0, 7, 0, 4]), 0, nested_at)
    length = int.from_bytes(data[outer + 5 : outer + 9], "big") + len(inner) - 5
    mutated = mutated[: outer + 5] + length.to_bytes(4, "big") + mutated[outer + 9 :]
    stream = decode_bytes(mutated)
    assert stream.fault is not None and stream.fault.offset == nested_at
    with pytest.raises(ValidationFailedError):
        QemuMigration(4096, False, False, True, _body_sizes(stream), mapped_stream(mutated))
