"""The ``vmdiff check --format markdown`` report: for bug reports and review comments."""

from __future__ import annotations

from vmdiff.compat import CheckResult, VerdictKind


def check_to_markdown(result: CheckResult, *, brief: bool = False) -> str:
    """Headline, QEMU's messages, a verdict table, warnings and notes as GitHub Markdown."""
    lines = [
        f"## `{result.source}` → {result.destination}",
        "",
        f"**{result.headline}**",
        "",
    ]
    failure = result.first_failure
    if failure is not None:
        lines += [f"Why: {_escape(failure.reason)}", ""]
        if failure.qemu_messages:
            lines += ["The destination QEMU prints:", "", "```", *failure.qemu_messages, "```", ""]
    shown = [v for v in result.verdicts if not (brief and v.kind is VerdictKind.ACCEPT)]
    if shown:
        lines += ["| verdict | path | reason | QEMU prints |", "|---|---|---|---|"]
    elif result.verdicts:
        lines.append(f"All {len(result.verdicts)} verdicts are accept.")
    for verdict in shown:
        reason = verdict.reason
        if verdict.needs and verdict.kind in (VerdictKind.UNKNOWN, VerdictKind.IGNORE):
            reason += f" (needs: {verdict.needs})"
        message = f"`{_escape(verdict.qemu_message)}`" if verdict.qemu_message else ""
        lines.append(f"| {verdict.kind.value} | `{verdict.path}` | {_escape(reason)} | {message} |")
    if result.warnings:
        lines += ["", "Only on the destination (not errors):", ""]
        lines += [f"- `{w.path}`: {_escape(w.message)}" for w in result.warnings]
    if result.notes:
        lines += ["", *[f"> {_escape(n)}" for n in result.notes]]
    return "\n".join(lines) + "\n"


def _escape(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")
