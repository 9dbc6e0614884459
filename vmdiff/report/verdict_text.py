"""The ``vmdiff check`` report for a terminal: headline, QEMU's words, then every verdict."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from vmdiff.compat import CheckResult, Outcome, Verdict, VerdictKind

VERDICT_STYLES = {
    VerdictKind.ACCEPT: "green",
    VerdictKind.REJECT: "bold red",
    VerdictKind.IGNORE: "yellow",
    VerdictKind.UNKNOWN: "magenta",
}
OUTCOME_STYLES = {
    Outcome.FAIL: "bold red",
    Outcome.DROP: "bold yellow",
    Outcome.UNKNOWN: "bold magenta",
    Outcome.SUCCEED: "bold green",
}
_QEMU_INDENT = " " * 11


def render_check(result: CheckResult, console: Console, *, brief: bool = False) -> None:
    """Print the headline and the verdicts; with ``brief``, leave out the accepted ones."""
    console.print(Text.assemble((result.source, "bold"), " → ", result.destination))
    console.print(Text(result.headline, style=OUTCOME_STYLES[result.outcome]))
    failure = result.first_failure
    if failure is not None:
        _explain_failure(failure, console)
    counts = ", ".join(
        f"{result.count(kind)} {kind.value}" for kind in VerdictKind if result.count(kind)
    )
    console.print()
    console.print(Text(f"verdicts ({counts})", style="bold"))
    several = result.count(VerdictKind.REJECT) > 1
    footnotes: dict[str, int] = {}
    for verdict in result.verdicts:
        if brief and verdict.kind is VerdictKind.ACCEPT:
            continue
        console.print(_verdict_line(verdict, footnotes, first=verdict is failure and several))
        if verdict.kind is not VerdictKind.ACCEPT and verdict.qemu_message:
            console.print(Text(f"{_QEMU_INDENT}QEMU: {verdict.qemu_message}", style="dim"))
    if footnotes:
        console.print()
        for needs, number in footnotes.items():
            console.print(Text(f"  [{number}] {needs}", style="dim"))
    if result.warnings:
        console.print()
        console.print(
            Text("only on the destination (not errors: they keep their reset state)", style="bold")
        )
        for warning in result.warnings:
            console.print(Text(f"  {warning.path}: {warning.message}"))
    for note in result.notes:
        console.print(Text(f"note: {note}", style="dim"))


def _explain_failure(failure: Verdict, console: Console) -> None:
    console.print(Text(f"  why: {failure.reason}"))
    if failure.qemu_messages:
        console.print(Text("  the destination QEMU prints:", style="dim"))
        for message in failure.qemu_messages:
            console.print(Text(f"    {message}"))
    if failure.predicted:
        console.print(
            Text("  (predicted from QEMU's code; the exact words may differ)", style="dim")
        )


def _verdict_line(verdict: Verdict, footnotes: dict[str, int], *, first: bool) -> Text:
    line = Text("  ")
    line.append(f"{verdict.kind.value:<8}", style=VERDICT_STYLES[verdict.kind])
    emphasis = "" if verdict.kind is VerdictKind.ACCEPT else "bold"
    line.append(f" {verdict.path}: ", style=emphasis)
    line.append(verdict.reason)
    if verdict.needs and verdict.kind is VerdictKind.IGNORE:
        line.append(f" (needs: {verdict.needs})", style="dim")
    elif verdict.needs and verdict.kind is VerdictKind.UNKNOWN:
        # The same missing fact decides many verdicts: name it once, below the list.
        number = footnotes.setdefault(verdict.needs, len(footnotes) + 1)
        line.append(f" [would decide: {number}]", style="dim")
    if first:
        line.append(" [QEMU stops here; later verdicts say what would follow]", style="dim")
    return line
