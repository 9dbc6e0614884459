"""The triage report as Markdown, fit to paste into a bug tracker."""

from __future__ import annotations

from vmdiff.report.values import format_size
from vmdiff.report.verdict_markdown import check_to_markdown
from vmdiff.triage.report import Finding, TriageReport
from vmdiff.triage.source_facts import DomainXmlFacts


def render_triage_markdown(report: TriageReport) -> str:
    """The whole report; never guest RAM contents."""
    lines = ["# Migration failure triage", ""]
    subject = [
        f"capture `{report.capture}`" if report.capture else None,
        f"destination log `{report.log}`" if report.log else None,
    ]
    lines.append("From " + " and ".join(s for s in subject if s) + ".")
    lines.append("")
    if report.first_failure is not None:
        happened = report.log is not None
        lines += ["## Verdict", "", _headline(report.first_failure, happened), ""]
        if report.fixes:
            lines += ["**What would fix it:**", ""]
            lines += [f"- {fix}" for fix in report.fixes]
            lines.append("")
    if report.source is not None:
        src = report.source
        lines += ["## Source", "", "| | |", "|---|---|"]
        lines.append(f"| machine type | `{src.machine_type or 'not in the stream'}` |")
        evidence = "; ".join(src.version_evidence) or "nothing in the stream narrows it"
        lines.append(f"| QEMU | {src.qemu_range} ({evidence}) |")
        lines.append(f"| accelerator | {src.accelerator} ({src.accelerator_evidence}) |")
        lines.append(f"| capabilities | {', '.join(src.capabilities) or 'none validated'} |")
        devices = ", ".join(f"`{d}`" for d in src.devices) or "none with a PCI path"
        lines.append(f"| devices | {devices} |")
        blocks = ", ".join(f"`{n}` {format_size(size)}" for n, size in src.ram_blocks)
        lines.append(f"| RAM blocks | {blocks or 'none'} |")
        if src.domain is not None:
            lines += _domain_rows(src.domain)
        lines.append("")
    if report.fault:
        lines += [f"**The capture itself is damaged:** {report.fault}", ""]
    if report.verdicts is not None:
        lines += ["## Verdicts for the destination", ""]
        lines += check_to_markdown(report.verdicts, brief=True).replace("## ", "### ").splitlines()
        lines.append("")
    if report.values:
        lines += ["## Field values of the failing section", "", "| field | value |", "|---|---|"]
        lines += [f"| `{path}` | `{value}` |" for path, value in report.values]
        lines.append("")
    if report.findings:
        lines += [
            "## Destination log",
            "",
            "| line | message | meaning | in the capture |",
            "|---|---|---|---|",
        ]
        lines += [_row(f) for f in report.findings]
        lines.append("")
    for note in report.notes:
        lines.append(f"_Note: {note}._")
    return "\n".join(lines).rstrip() + "\n"


def _domain_rows(domain: DomainXmlFacts) -> list[str]:
    """The save image's domain XML: what it says, and whether the stream agrees."""
    info = domain.info
    if info is None:
        return [f"| domain XML | not read: {_cell(domain.error or '')} |"]
    vcpus = str(info.vcpus) if info.vcpus is not None else "not given"
    if domain.vcpus_online is not None and domain.vcpus_online != info.vcpus:
        vcpus = f"{domain.vcpus_online} of {vcpus}"
    cpu = f"`{info.cpu_model}`" if info.cpu_model else "not named"
    if info.cpu_mode:
        cpu += f" (mode {info.cpu_mode})"
    memory = format_size(info.memory_bytes) if info.memory_bytes is not None else "not given"
    devices = ", ".join(f"`{d}`" for d in domain.devices) or "none"
    if domain.mismatches:
        agreement = "**disagree**: " + "; ".join(_cell(m) for m in domain.mismatches)
    else:
        agreement = "agree (machine type, memory, vCPUs, devices at PCI addresses)"
    return [
        f"| domain (XML) | `{info.name or '?'}`, type {info.domain_type or '?'}, machine "
        f"`{info.machine_type or '?'}` |",
        f"| memory (XML) | {memory} |",
        f"| vCPUs (XML) | {vcpus} |",
        f"| CPU model (XML) | {cpu} |",
        f"| devices (XML) | {devices} |",
        f"| XML and stream | {agreement} |",
    ]


def _cell(text: str) -> str:
    return text.replace("|", "\\|")


def _headline(finding: Finding, happened: bool) -> str:
    where = ""
    if finding.location is not None:
        where = f" at `{finding.location.path}` (offset {finding.location.offset:#x})"
    verb = "failed" if happened else "would fail"
    text = f"The migration {verb}{where}: {finding.cause}."
    if finding.candidates:
        names = ", ".join(f"`{c}`" for c in finding.candidates)
        text += f" The device sent these subsections, one of which the destination lacks: {names}."
    return text


def _row(finding: Finding) -> str:
    where = "-"
    if finding.location is not None:
        where = f"`{finding.location.path}` @ {finding.location.offset:#x}"
    message = finding.event.text.replace("|", "\\|")
    return f"| {finding.event.line_no} | `{message}` | {finding.cause} | {where} |"
