"""Put a destination's verdicts on the tree: accept, reject, ignore or unknown, with why.

No Textual here.
"""

from __future__ import annotations

from vmdiff.compat import CheckResult, Verdict, VerdictKind
from vmdiff.tui.annotate import path_index, placeholder
from vmdiff.tui.outline import Outline, OutlineNode

_SEVERITY = {"accept": 0, "unknown": 1, "ignore": 2, "reject": 3}


def verdict_rows(verdict: Verdict) -> tuple[tuple[str, str], ...]:
    """The details pane's lines for one verdict."""
    rows = [("reason", verdict.reason)]
    if verdict.crash:
        rows.append(("destination", "QEMU would abort (an assertion), not report an error"))
    rows.extend(("QEMU prints", line) for line in verdict.qemu_messages)
    if verdict.needs:
        label = "missing" if verdict.kind is VerdictKind.IGNORE else "would decide"
        rows.append((label, verdict.needs))
    if verdict.predicted:
        rows.append(("basis", "follows from QEMU's code; not observed on a real QEMU"))
    return tuple(rows)


def annotate_verdicts(outline: Outline, result: CheckResult) -> int:
    """Mark each verdict's node (the worst verdict wins on a node); returns how many landed."""
    index = path_index(outline.root)
    fault = next((n for n in outline.root.children if n.kind == "fault"), None)
    for verdict in result.verdicts:
        node = index.get(verdict.path)
        if node is None and verdict.subject == "stream" and fault is not None:
            node = fault
        if node is None:
            kind = "config-item" if verdict.subject == "configuration" else "note"
            node = placeholder(index, outline.root, verdict.path, kind)
        kind = verdict.kind.value
        if node.verdict is None or _SEVERITY[kind] > _SEVERITY[node.verdict]:
            node.verdict = kind
        label = f"{kind} ({verdict.path})" if node.path != verdict.path else kind
        node.verdict_facts = (*node.verdict_facts, ("verdict", label), *verdict_rows(verdict))
    if result.warnings or result.notes:
        notes = outline.root.add(
            OutlineNode(
                "notes",
                "destination",
                "destination",
                summary=result.destination,
                side=outline.root.side,
            )
        )
        for warning in result.warnings:
            notes.add(
                OutlineNode(
                    "note",
                    warning.path,
                    f"destination/{warning.path}",
                    summary=warning.message,
                    value=warning.message,
                )
            )
        for number, note in enumerate(result.notes):
            notes.add(OutlineNode("note", note, f"destination/note/{number}", value=note))
    return len(result.verdicts)
