"""``vmdiff diff --format markdown``: a table to paste into a bug report."""

from __future__ import annotations

from vmdiff.diff import DiffResult, StreamInfo
from vmdiff.report.diff_describe import describe, summary_line


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


__all__ = ["diff_to_markdown"]
