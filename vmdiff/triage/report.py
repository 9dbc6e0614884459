"""Assemble a triage report: the source, the destination's log explained, and what would fix it."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from vmdiff.compat import CheckResult, Verdict, VerdictKind
from vmdiff.model import Field, Stream
from vmdiff.report.values import format_value
from vmdiff.triage.locate import Location, likely_cause, locate
from vmdiff.triage.logparse import (
    Family,
    LogEvent,
    enoent_subsection_failure,
    parse_log,
    root_cause,
)
from vmdiff.triage.source_facts import SourceFacts, describe_source

_SUBSECTION_PATH = re.compile(r"^.*?\[\d+\]/(?P<name>.+)$")
_MACHINE = re.compile(r"^(?P<family>.+)-(?P<major>\d+)\.(?P<minor>\d+)$")


@dataclass(slots=True)
class Finding:
    """One recognised log line, explained and, with a capture, located in it."""

    event: LogEvent
    cause: str
    location: Location | None = None
    candidates: list[str] = field(default_factory=list)


@dataclass(slots=True)
class TriageReport:
    """Everything the report says; rendered as Markdown or JSON."""

    capture: str | None
    log: str | None
    source: SourceFacts | None
    fault: str | None
    findings: list[Finding]
    first_failure: Finding | None
    fixes: list[str]
    verdicts: CheckResult | None = None
    values: list[tuple[str, str]] = field(default_factory=list)
    """(path, value) of the failing section's fields; only with include_values."""
    notes: list[str] = field(default_factory=list)


def build_report(
    stream: Stream | None,
    log_text: str | None,
    *,
    capture: str | None = None,
    log_name: str | None = None,
    ram_start_body: bytes | None = None,
    verdicts: CheckResult | None = None,
    include_values: bool = False,
) -> TriageReport:
    """Explain a failed migration from a capture, a destination log, verdicts, or all three.

    With a log, its first error is the failure (it happened); without one, the verdicts'
    first rejection is (it would happen).
    """
    events = parse_log(log_text) if log_text else []
    findings = [_finding(e, stream, ram_start_body) for e in events]
    cause = root_cause(events)
    first = next((f for f in findings if f.event is cause), None)
    fix_events = events
    if first is None and verdicts is not None and verdicts.first_failure is not None:
        first, fix_events = _predicted_finding(verdicts.first_failure, stream, ram_start_body)
    fixes = _fixes(first, fix_events, stream)
    if verdicts is not None:
        fixes += _verdict_fixes(verdicts)
    notes: list[str] = []
    if log_text is not None and not events:
        notes.append("no QEMU migration error was recognised in the log")
    if stream is None and events:
        notes.append("without the capture, the report cannot point at byte offsets")
    return TriageReport(
        capture=capture,
        log=log_name,
        source=describe_source(stream) if stream else None,
        fault=stream.fault.message if stream and stream.fault else None,
        findings=findings,
        first_failure=first,
        fixes=fixes,
        verdicts=verdicts,
        values=_values(stream, first) if include_values else [],
        notes=notes,
    )


def _predicted_finding(
    verdict: Verdict, stream: Stream | None, ram_start_body: bytes | None
) -> tuple[Finding | None, list[LogEvent]]:
    """The verdicts' first rejection, read back through the log patterns it would print."""
    events = parse_log("\n".join(verdict.qemu_messages))
    cause = root_cause(events)
    if cause is None:
        return None, []
    finding = _finding(cause, stream, ram_start_body)
    finding.cause = verdict.reason
    if finding.location is None or finding.location.path != verdict.path:
        finding.location = Location(verdict.path, verdict.offset or 0)
    finding.candidates = []
    return finding, events


def _verdict_fixes(verdicts: CheckResult) -> list[str]:
    """What the verdicts add: the unknown subsection's name, and state that would be dropped."""
    fixes = []
    failure = verdicts.first_failure
    named = _SUBSECTION_PATH.match(failure.path) if failure is not None else None
    if failure is not None and failure.subject == "subsection" and named:
        fixes.append(
            f"the destination does not know the subsection {named['name']}: upgrade its QEMU, "
            "or start the source with a machine type whose compat properties stop sending it"
        )
    for verdict in verdicts.verdicts:
        if verdict.kind is VerdictKind.IGNORE and verdict.needs:
            fixes.append(
                f"{verdict.path} would be silently dropped: the destination needs {verdict.needs}"
            )
    return fixes


def _values(stream: Stream | None, first: Finding | None) -> list[tuple[str, str]]:
    """The failing section's field values, flattened (device state: only when asked)."""
    if stream is None or first is None or first.location is None:
        return []
    path = first.location.path
    section = next((s for s in stream.device_sections() if path.startswith(s.path)), None)
    if section is None:
        return []
    out: list[tuple[str, str]] = []

    def walk(fields: tuple[Field, ...]) -> None:
        for f in fields:
            if f.children:
                walk(f.children)
            else:
                out.append((f.path, format_value(f.type_name, f.value)))
            for sub in f.subsections:
                walk(sub.fields)

    walk(section.fields)
    for sub in section.subsections:
        walk(sub.fields)
    return out


def _finding(event: LogEvent, stream: Stream | None, ram_start_body: bytes | None) -> Finding:
    finding = Finding(event, likely_cause(event))
    if stream is None:
        return finding
    finding.location = locate(event, stream, ram_start_body)
    if event.family is Family.DEVICE_LOAD and finding.location is not None:
        section = next(
            (s for s in stream.device_sections() if s.path == finding.location.path), None
        )
        if section is not None:
            finding.candidates = [s.path for s in section.subsections]
    return finding


def _fixes(first: Finding | None, events: list[LogEvent], stream: Stream | None) -> list[str]:
    """Fixes the data supports, for the first failure only (later lines follow from it)."""
    if first is None:
        return []
    event, details = first.event, first.event.details
    family = event.family
    if family is Family.MACHINE_TYPE:
        return _machine_fix(details["received"], details["local"])
    if family is Family.UNKNOWN_SECTION:
        idstr = details["idstr"]
        if idstr == "kvmclock":
            return ["run the destination under KVM (`-accel kvm`): the source ran under KVM"]
        where = f" at PCI address {idstr.split('/')[0]}" if "/" in idstr else ""
        return [
            f"give the destination the same device ({idstr}{where}), or unplug it from the "
            "source before migrating"
        ]
    if family is Family.UNKNOWN_RAMBLOCK:
        block = details["block"]
        if block.endswith(".rom"):
            device = block.rsplit("/", 1)[0]
            return [
                f"give the destination the same device at {device}: {block} is its option "
                "ROM (or set `romfile=` to the same value on both sides)"
            ]
        return [f"give the destination the memory backend or device that owns {block}"]
    if family is Family.RAM_SIZE:
        source_size, dest_size = int(details["received"], 16), int(details["local"], 16)
        block = details["block"]
        what = "`-m`" if block == "pc.ram" else f"the size of {block}"
        return [
            f"make {what} the same: the source has {source_size:#x} bytes, "
            f"the destination {dest_size:#x}"
        ]
    if family is Family.SECTION_VERSION:
        return [
            f"{details['idstr']} is version {details['version']} in the stream and "
            f"{details['local']} on the destination: upgrade the destination QEMU, or start the "
            "source with an older machine type"
        ]
    if family is Family.CAPABILITY and "received" in details:
        cap, received = details["capability"], details["received"]
        return [
            f"set the migration capability {cap} {received} on the destination too "
            "(`migrate-set-capabilities`), or change it on the source"
        ]
    if family is Family.UUID:
        return [f"start the destination with `-uuid {details['received']}`"]
    if family is Family.DEVICE_LOAD and enoent_subsection_failure(events) is event:
        return [
            f"the destination QEMU does not know a subsection of {details.get('idstr')}: "
            "upgrade it, or start the source with a machine type whose compat properties stop "
            "that subsection; `vmdiff check SRC --dest DEST` names the subsection"
        ]
    if family in (Family.MISSING_FOOTER, Family.FOOTER_MISMATCH):
        return [
            "compare a capture made on the destination's configuration with this one "
            "(`vmdiff SRC DEST`): a device property or QEMU build changed the section's layout"
        ]
    return []


def _machine_fix(received: str, local: str) -> list[str]:
    mr, ml = _MACHINE.match(received), _MACHINE.match(local)
    if not (mr and ml and mr["family"] == ml["family"]):
        return [f"run both sides with the same machine type ({received} or {local})"]
    newer_source = (int(mr["major"]), int(mr["minor"])) > (int(ml["major"]), int(ml["minor"]))
    if newer_source:
        return [
            f"start the source with `-M {local}` (a QEMU that runs {received} also has the "
            f"older {local}), or upgrade the destination to a QEMU that has {received}"
        ]
    return [f"start the destination with `-M {received}`, the machine type the guest runs"]
