"""The triage report as JSON (schema ``vmdiff.triage/1``)."""

from __future__ import annotations

from typing import Any

from vmdiff.report.verdict_json import verdict_to_json
from vmdiff.triage.report import Finding, TriageReport
from vmdiff.triage.source_facts import DomainXmlFacts

TRIAGE_FORMAT = "vmdiff.triage/1"


def triage_to_json(report: TriageReport) -> dict[str, Any]:
    """The report as a JSON-ready dict."""
    src = report.source
    return {
        "format": TRIAGE_FORMAT,
        "capture": report.capture,
        "log": report.log,
        "source": None
        if src is None
        else {
            "machine_type": src.machine_type,
            "qemu_at_least": ".".join(map(str, src.qemu_at_least)) if src.qemu_at_least else None,
            "version_evidence": src.version_evidence,
            "accelerator": src.accelerator,
            "accelerator_evidence": src.accelerator_evidence,
            "devices": src.devices,
            "ram_blocks": [{"name": n, "length": size} for n, size in src.ram_blocks],
            "capabilities": list(src.capabilities),
            "domain_xml": _domain(src.domain),
        },
        "capture_fault": report.fault,
        "first_failure": _finding(report.first_failure) if report.first_failure else None,
        "fixes": report.fixes,
        "log_findings": [_finding(f) for f in report.findings],
        "verdicts": None
        if report.verdicts is None
        else {
            "destination": report.verdicts.destination,
            "outcome": report.verdicts.outcome.value,
            "headline": report.verdicts.headline,
            "not_accepted": [
                verdict_to_json(v) for v in report.verdicts.verdicts if v.kind.value != "accept"
            ],
        },
        "values": [{"path": p, "value": v} for p, v in report.values],
        "notes": report.notes,
    }


def _finding(finding: Finding) -> dict[str, Any]:
    return {
        "line": finding.event.line_no,
        "message": finding.event.text,
        "family": finding.event.family.value,
        "details": finding.event.details,
        "cause": finding.cause,
        "path": finding.location.path if finding.location else None,
        "offset": finding.location.offset if finding.location else None,
        "candidates": finding.candidates,
    }


def _domain(domain: DomainXmlFacts | None) -> dict[str, Any] | None:
    """A save image's domain XML facts, and where they disagree with the stream."""
    if domain is None:
        return None
    info = domain.info
    return {
        "name": info.name if info else None,
        "uuid": info.uuid if info else None,
        "domain_type": info.domain_type if info else None,
        "machine_type": info.machine_type if info else None,
        "memory_bytes": info.memory_bytes if info else None,
        "vcpus": info.vcpus if info else None,
        "vcpus_online": domain.vcpus_online,
        "cpu_mode": info.cpu_mode if info else None,
        "cpu_model": info.cpu_model if info else None,
        "devices": domain.devices,
        "mismatches": domain.mismatches,
        "error": domain.error,
    }
