"""check(stream, profile): what a destination would do with each part of a stream, in order."""

from __future__ import annotations

from vmdiff.compat.destination import Destination
from vmdiff.compat.profile import DestinationProfile
from vmdiff.compat.rules.commands import check_command
from vmdiff.compat.rules.machine import check_configuration
from vmdiff.compat.rules.ram import check_ram_start
from vmdiff.compat.rules.sections import check_section, destination_only
from vmdiff.compat.rules.subsections import section_walk
from vmdiff.compat.verdict import CheckResult, Verdict, VerdictKind
from vmdiff.errors import LayoutError
from vmdiff.layouts import StreamLayout, layout_from_json
from vmdiff.model import Command, EndOfStream, Record, Section, Stream

# A fault this close to the end of the file means the data ran out: the stream was cut short.
CUT_SHORT_WINDOW = 64 * 1024


def check(stream: Stream, profile: DestinationProfile) -> CheckResult:
    """Verdicts for the configuration, every section, RAM block, subsection and command."""
    dest = Destination.from_profile(profile)
    result = CheckResult(source=stream.path, destination=dest.profile.summary())
    result.notes += _notes(dest)
    if stream.version is None:
        fault = stream.fault.message if stream.fault else "no stream header"
        result.verdicts.append(
            Verdict(VerdictKind.UNKNOWN, "stream", "header", f"not a migration stream: {fault}")
        )
        return result
    result.verdicts += check_configuration(stream, dest)
    layout = _layout(stream)
    _records(stream.records, stream, dest, layout, result.verdicts)
    complete = any(isinstance(r, EndOfStream) for r in stream.records)
    if stream.fault is not None and complete:
        result.notes.append(
            f"the stream is damaged after its EOF record ({stream.fault.message}); "
            "the destination reads the vmdesc only for a warning"
        )
    elif stream.fault is not None:
        result.verdicts.append(_fault_verdict(stream, dest))
    if complete:
        result.warnings += destination_only(stream, dest)
    return result


def _fault_verdict(stream: Stream, dest: Destination) -> Verdict:
    fault = stream.fault
    assert fault is not None
    path = f"offset {fault.offset:#x}"
    left = stream.file_size - fault.offset
    if left <= CUT_SHORT_WINDOW:
        # QEMU reads past the end of the data, gets EIO, and names the record it was in.
        return Verdict(
            VerdictKind.REJECT,
            "stream",
            path,
            f"the stream ends {left} bytes later, inside a record ({fault.message}): it was "
            "cut short, and the destination runs out of data there",
            dest.failure_lines(errno="EIO")[-1:],
            offset=fault.offset,
            predicted=True,
        )
    return Verdict(
        VerdictKind.UNKNOWN,
        "stream",
        path,
        f"vmdiff could not decode the stream past here ({fault.message}); what follows was not "
        "checked",
        offset=fault.offset,
        needs="a stream vmdiff can decode to the end",
    )


def _records(
    records: list[Record] | tuple[Record, ...],
    stream: Stream,
    dest: Destination,
    layout: StreamLayout | None,
    verdicts: list[Verdict],
) -> None:
    for record in records:
        if isinstance(record, Command):
            verdicts.append(check_command(record, dest))
            _records(record.records, stream, dest, layout, verdicts)
        elif isinstance(record, Section):
            verdicts += _section(record, stream, dest, layout)


def _section(
    section: Section, stream: Stream, dest: Destination, layout: StreamLayout | None
) -> list[Verdict]:
    if section.kind not in ("start", "full"):
        return []
    if section.is_ram:
        return check_ram_start(section, stream, dest)
    verdict = check_section(section, dest)
    if verdict.kind is VerdictKind.REJECT:
        return [verdict]
    return [verdict, *section_walk(section, dest, layout)]


def _layout(stream: Stream) -> StreamLayout | None:
    document = stream.vmdesc.json if stream.vmdesc is not None else None
    if document is None:
        return None
    try:
        return layout_from_json(document, f"{stream.path} (vmdesc)")
    except LayoutError:
        return None


def _notes(dest: Destination) -> list[str]:
    notes = []
    profile = dest.profile
    for name in ("qemu_version", "machine_type", "accel"):
        fact = getattr(profile, name)
        if fact is not None and fact.inferred:
            notes.append(f"{name.replace('_', ' ')} {fact.value}: {fact.source}")
    if profile.qemu_version is not None and dest.knowledge is None:
        notes.append(
            f"vmdiff has no built-in knowledge of QEMU {profile.qemu_version.value}: "
            "messages and CPU subsections are not known"
        )
    return notes
