"""The ``vmdiff check --json`` document (schema ``vmdiff.verdicts/1``, see docs/profile.md)."""

from __future__ import annotations

from typing import Any

from vmdiff.compat import CheckResult, Verdict

VERDICTS_FORMAT = "vmdiff.verdicts/1"


def check_to_json(result: CheckResult, built_from: list[str] | None = None) -> dict[str, Any]:
    """Outcome, first failure, every verdict in stream order, warnings and notes."""
    failure = result.first_failure
    return {
        "format": VERDICTS_FORMAT,
        "source": result.source,
        "destination": result.destination,
        "destination_built_from": list(built_from or []),
        "outcome": result.outcome.value,
        "headline": result.headline,
        "first_failure": None
        if failure is None
        else {
            "path": failure.path,
            "message": failure.qemu_message,
            "messages": list(failure.qemu_messages),
            "reason": failure.reason,
            "crash": failure.crash,
        },
        "verdicts": [verdict_to_json(v) for v in result.verdicts],
        "warnings": [{"path": w.path, "message": w.message} for w in result.warnings],
        "notes": list(result.notes),
    }


def verdict_to_json(verdict: Verdict) -> dict[str, Any]:
    """One verdict: path, verdict, reason, message (QEMU's first line) and the details."""
    return {
        "path": verdict.path,
        "subject": verdict.subject,
        "verdict": verdict.kind.value,
        "reason": verdict.reason,
        "message": verdict.qemu_message,
        "messages": list(verdict.qemu_messages),
        "needs": verdict.needs,
        "offset": verdict.offset,
        "crash": verdict.crash,
        "predicted": verdict.predicted,
    }
