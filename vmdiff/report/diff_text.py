"""``vmdiff diff`` as text: differences grouped by section, a summary line, then the verdicts."""

from __future__ import annotations

from rich.console import Console
from rich.text import Text

from vmdiff.compat import CheckResult
from vmdiff.diff import Category, Difference, DiffResult, StreamInfo
from vmdiff.report.diff_describe import describe, summary_line, verdict_counts
from vmdiff.report.verdict_text import OUTCOME_STYLES, render_check

_STYLES = {"-": "red", "+": "green", "~": "yellow"}
_INDENT = "  "


def render_diff(result: DiffResult, console: Console) -> None:
    """Print the header, every difference grouped by section, notes and the summary line."""
    _header(result, console)
    for group, differences in result.groups().items():
        if len(differences) == 1 and differences[0].path == group:
            console.print(_line(differences[0], ""))
            _details(differences[0], console, _INDENT)
            continue
        console.print(Text(group, style="bold cyan"))
        for difference in differences:
            console.print(_line(difference, _INDENT))
            _details(difference, console, _INDENT * 2)
    _notes(result, console)
    console.print(Text(summary_line(result), style="bold"))


def render_stat(result: DiffResult, console: Console) -> None:
    """Print how many differences each group has, then the summary line."""
    _header(result, console)
    groups = result.groups()
    width = max((len(g) for g in groups), default=0)
    for group, differences in groups.items():
        marks = "".join(describe(d).marker for d in differences)
        line = Text(f" {group.ljust(width)} | {len(differences):>4} ")
        for mark in "-+~":
            if mark in marks:
                line.append(mark * min(marks.count(mark), 20), style=_STYLES[mark])
        console.print(line)
    _notes(result, console)
    console.print(Text(summary_line(result), style="bold"))


def render_verdicts(result: CheckResult, console: Console, *, stat: bool = False) -> None:
    """Print the verdicts as text; with ``stat``, the headline and the counts."""
    if not stat:
        render_check(result, console, brief=True)
        return
    console.print(Text.assemble((result.source, "bold"), " → ", result.destination))
    console.print(Text(result.headline, style=OUTCOME_STYLES[result.outcome]))
    console.print(Text(verdict_counts(result), style="bold"))


def _header(result: DiffResult, console: Console) -> None:
    for label, side in (("A", result.a), ("B", result.b)):
        console.print(Text.assemble((f"{label} ", "bold"), _side(side)))


def _side(side: StreamInfo) -> str:
    machine = side.machine_type or "machine type unknown"
    text = f"{side.path}  {machine}, {side.file_size} bytes"
    if side.fault is not None:
        text += f", stopped at {side.fault.offset:#x}"
    return text


def _line(difference: Difference, pad: str) -> Text:
    words = describe(difference)
    line = Text(pad)
    line.append(f"{words.marker} ", style=_STYLES[words.marker])
    line.append(difference.path, style="bold")
    line.append("  " if words.change == "value" else f"  {words.change}")
    for label, text in words.details:
        if label not in ("A", "B"):
            line.append(f" {label} {text}")
    if words.a or words.b:
        if words.marker == "~":
            line.append("" if words.change == "value" else ": ")
            line.append(words.a or "-", style="red")
            line.append(" → ")
            line.append(words.b or "-", style="green")
        elif difference.category is Category.FIELD:
            line.append(f" = {words.a or words.b}")
        else:
            line.append(f" ({words.a or words.b})")
    return line


def _details(difference: Difference, console: Console, pad: str) -> None:
    for label, text in describe(difference).details:
        if label in ("A", "B"):
            style = "red" if label == "A" else "green"
            console.print(Text.assemble(pad, (f"{label} ", style), text))


def _notes(result: DiffResult, console: Console) -> None:
    for note in result.notes:
        console.print(Text(f"note: {note}", style="dim"))


__all__ = ["render_diff", "render_stat", "render_verdicts"]
