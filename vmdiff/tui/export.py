"""``e``: the node under the cursor and everything below it, as Markdown for a bug report.

No Textual here.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from vmdiff.report.values import format_size
from vmdiff.tui.outline import Outline, OutlineNode

MAX_ROWS = 5000
_CAPTURE_SUFFIXES = frozenset(("bin", "img", "sav", "save", "gz", "bz2", "xz", "zst", "lzo"))
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def _cell(text: str) -> str:
    return text.replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def _value(node: OutlineNode | None) -> str:
    if node is None:
        return "—"
    if node.value is not None:
        return node.value
    return node.summary


def export_markdown(
    node: OutlineNode,
    outlines: list[Outline],
    keep: Callable[[OutlineNode], bool] | None = None,
) -> str:
    """A heading naming the file(s), then one table row per node from ``node`` down."""
    compare = len(outlines) > 1
    title = node.path or node.name
    lines = [f"# vmdiff: {title}", ""]
    for label, outline in zip("AB", outlines, strict=False):
        stream = outline.stream
        prefix = f"{label}: " if compare else ""
        machine = stream.machine_type or "machine type unknown"
        lines.append(f"- {prefix}`{stream.path}` ({format_size(stream.file_size)}), {machine}")
        if stream.fault is not None:
            lines.append(f"  - decoding stopped: {stream.fault.message}")
    lines.append("")
    if compare:
        lines.append("| path | A | B | difference | verdict |")
        lines.append("|---|---|---|---|---|")
    else:
        lines.append("| path | offset | size | type | value |")
        lines.append("|---|---:|---:|---|---|")
    rows = 0
    for item in node.walk():
        if item.kind == "more" or (keep is not None and not keep(item)):
            continue
        if rows >= MAX_ROWS:
            lines.append("")
            lines.append(f"(stopped after {MAX_ROWS} rows)")
            break
        rows += 1
        path = _cell(item.path or item.name)
        if compare:
            a_node, b_node = (item, item.other) if item.side == "a" else (item.other, item)
            cells = [
                path,
                _cell(_value(a_node)),
                _cell(_value(b_node)),
                item.difference or "",
                item.verdict or "",
            ]
        else:
            offset = f"{item.span.start:#x}" if item.span else ""
            size = str(item.span.size) if item.span else ""
            cells = [path, offset, size, item.type_name or item.kind, _cell(_value(item))]
        lines.append("| " + " | ".join(cells) + " |")
    problems = [n for n in node.walk() if n.problem is not None]
    if problems:
        lines.append("")
        lines.append("## Problems")
        lines.append("")
        lines.extend(f"- `{n.path or n.name}`: {n.problem}" for n in problems)
    return "\n".join(lines) + "\n"


def export_file_name(node: OutlineNode, outline: Outline) -> str:
    """A file name for the export, e.g. ``pc-7.2-cpu_0.md``."""
    stem = outline.root.name
    while "." in stem and stem.rsplit(".", 1)[1].lower() in _CAPTURE_SUFFIXES:
        stem = stem.rsplit(".", 1)[0]
    part = _UNSAFE.sub("_", node.path).strip("_") if node.path else "stream"
    return f"{stem}-{part}.md"
