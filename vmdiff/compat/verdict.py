"""What a destination would do with each part of a stream: the verdicts and their summary."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

ENOENT_TEXT = "No such file or directory"


class VerdictKind(StrEnum):
    """The four answers vmdiff gives for a section, subsection, RAM block, command or field."""

    ACCEPT = "accept"
    """The destination knows it and can restore it."""
    REJECT = "reject"
    """The migration fails here."""
    IGNORE = "ignore"
    """The destination loads it but cannot restore it: the state is silently lost."""
    UNKNOWN = "unknown"
    """The profile does not say enough to decide."""


@dataclass(frozen=True, slots=True)
class Verdict:
    """One answer, with why and what the destination's QEMU would print."""

    kind: VerdictKind
    subject: str
    """What the path names: "section", "subsection", "RAM block", "command", "configuration",
    "field"."""
    path: str
    reason: str
    qemu_messages: tuple[str, ...] = ()
    """The lines the destination QEMU prints on stderr, in order (rejections only)."""
    offset: int | None = None
    needs: str | None = None
    """For IGNORE, the missing capability; for UNKNOWN, what would decide."""
    crash: bool = False
    """The destination would abort (an assertion) rather than report an error."""
    predicted: bool = False
    """The messages follow from QEMU's code; a real QEMU may word or reach them differently."""

    @property
    def qemu_message(self) -> str | None:
        """The first (most specific) line QEMU prints, or None."""
        return self.qemu_messages[0] if self.qemu_messages else None


@dataclass(frozen=True, slots=True)
class DestinationWarning:
    """Something only the destination has (a section, a RAM block): not an error in QEMU."""

    path: str
    message: str


class Outcome(StrEnum):
    """How the whole migration would end."""

    FAIL = "fail"
    DROP = "drop"
    """It would succeed but silently lose state."""
    UNKNOWN = "unknown"
    """No rejection and nothing dropped, but some verdicts are unknown."""
    SUCCEED = "succeed"


@dataclass(slots=True)
class CheckResult:
    """Every verdict in stream order, the warnings, and the headline they add up to."""

    source: str
    destination: str
    verdicts: list[Verdict] = field(default_factory=list)
    warnings: list[DestinationWarning] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def first_failure(self) -> Verdict | None:
        """The first rejection: QEMU stops there, so it is the migration's fate."""
        return next((v for v in self.verdicts if v.kind is VerdictKind.REJECT), None)

    def count(self, kind: VerdictKind) -> int:
        """How many verdicts are of this kind."""
        return sum(1 for v in self.verdicts if v.kind is kind)

    @property
    def outcome(self) -> Outcome:
        """FAIL if anything is rejected, else DROP if anything is ignored, else UNKNOWN/SUCCEED."""
        if self.first_failure is not None:
            return Outcome.FAIL
        if self.count(VerdictKind.IGNORE):
            return Outcome.DROP
        if self.count(VerdictKind.UNKNOWN):
            return Outcome.UNKNOWN
        return Outcome.SUCCEED

    @property
    def headline(self) -> str:
        """One line: "would FAIL at …", "would SUCCEED, 2 subsections silently dropped", …"""
        failure = self.first_failure
        if failure is not None:
            detail = failure.qemu_message or failure.reason
            if failure.crash:
                detail = "the destination QEMU would abort"
            elif failure.qemu_messages and failure.qemu_messages[-1].endswith(ENOENT_TEXT):
                # QEMU names neither the subsection nor the reason: vmdiff's reason does.
                detail = failure.reason
            return f"would FAIL at {failure.path}: {detail}"
        ignored = [v for v in self.verdicts if v.kind is VerdictKind.IGNORE]
        if ignored:
            subjects = {v.subject for v in ignored}
            noun = subjects.pop() if len(subjects) == 1 else "part"
            return f"would SUCCEED, {_plural(len(ignored), noun)} silently dropped"
        unknown = self.count(VerdictKind.UNKNOWN)
        if unknown:
            return (
                f"would SUCCEED as far as the profile tells; {_plural(unknown, 'verdict')} unknown"
            )
        return "would SUCCEED"


def _plural(count: int, noun: str) -> str:
    return f"{count} {noun}" if count == 1 else f"{count} {noun}s"
