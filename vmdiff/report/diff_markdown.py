"""``vmdiff diff --format markdown``: tables to paste into a bug report."""

from __future__ import annotations

from vmdiff.compat import CheckResult, VerdictKind
from vmdiff.diff import DiffResult, StreamInfo
from vmdiff.report.diff_describe import describe, summary_line, verdict_counts


def diff_to_markdown(result: DiffResult, *, stat: bool = False) -> str:
    """The comparison as GitHub-flavoured Markdown; with ``stat``, counts per group only."""
    lines = [
        "### vmdiff",
        "",
        f"- A: {_side(result.a)}",
        f"- B: {_side(result.b)}",
        "",
        f"**{_escape(summary_line(result))}**",
        "",
    ]
    groups = result.groups()
    if stat and groups:
        lines += ["| group | differences |", "|---|---:|"]
        lines += [f"| `{_code(g)}` | {len(ds)} |" for g, ds in groups.items()]
        lines.append("")
    elif groups:
        lines += ["| | path | change | A | B |", "|---|---|---|---|---|"]
        for difference in result.differences:
            words = describe(difference)
            a, b, change = words.a, words.b, words.change
            for label, text in words.details:
                if label == "A":
                    a = f"{a} {text}".strip()
                elif label == "B":
                    b = f"{b} {text}".strip()
                else:
                    change = f"{change} {label} {text}"
            lines.append(
                f"| {_escape(words.marker)} | `{_code(difference.path)}` | {_escape(change)}"
                f" | {_cell(a)} | {_cell(b)} |"
            )
        lines.append("")
    for note in result.notes:
        lines.append(f"> note: {_escape(note)}")
    if result.notes:
        lines.append("")
    return "\n".join(lines)


def verdicts_to_markdown(result: CheckResult, *, stat: bool = False) -> str:
    """The verdicts as Markdown under a heading of the comparison's level; ``stat``: counts only."""
    lines = [f"### `{_code(result.source)}` → {_escape(result.destination)}", ""]
    lines += [f"**{_escape(result.headline)}**", ""]
    failure = result.first_failure
    if failure is not None and not stat:
        lines += [f"Why: {_escape(failure.reason)}", ""]
        if failure.qemu_messages:
            lines += ["The destination QEMU prints:", "", "```", *failure.qemu_messages, "```", ""]
    lines += [verdict_counts(result), ""]
    if stat:
        return "\n".join(lines)
    shown = [v for v in result.verdicts if v.kind is not VerdictKind.ACCEPT]
    if shown:
        lines += ["| verdict | path | reason | QEMU prints |", "|---|---|---|---|"]
        for verdict in shown:
            reason = verdict.reason + (f" (needs: {verdict.needs})" if verdict.needs else "")
            message = f"`{_code(verdict.qemu_message)}`" if verdict.qemu_message else ""
            path = f"`{_code(verdict.path)}`"
            lines.append(f"| {verdict.kind.value} | {path} | {_escape(reason)} | {message} |")
        lines.append("")
    if result.warnings:
        lines += ["Only on the destination (not errors: they keep their reset state):", ""]
        lines += [f"- `{_code(w.path)}`: {_escape(w.message)}" for w in result.warnings]
        lines.append("")
    for note in result.notes:
        lines.append(f"> note: {_escape(note)}")
    if result.notes:
        lines.append("")
    return "\n".join(lines)


def _side(side: StreamInfo) -> str:
    text = f"`{_code(side.path)}` ({_escape(side.machine_type or 'machine type unknown')}, "
    text += f"{side.file_size} bytes)"
    if side.fault is not None:
        text += f", decoding stopped at {side.fault.offset:#x}"
    return text


def _cell(text: str) -> str:
    return f"`{_code(text)}`" if text else ""


def _code(text: str) -> str:
    return text.replace("|", "\\|").replace("`", "'")


def _escape(text: str) -> str:
    out = text.replace("\\", "\\\\")
    for char in "|*_`[]<>":
        out = out.replace(char, "\\" + char)
    return out


__all__ = ["diff_to_markdown", "verdicts_to_markdown"]
