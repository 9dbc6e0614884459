"""The triage report as JSON (schema ``vmdiff.triage/1``)."""

from __future__ import annotations

from typing import Any

from vmdiff.report.verdict_json import verdict_to_json
from vmdiff.triage.report import Finding, TriageReport

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
