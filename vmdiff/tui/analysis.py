"""What the app works out once both sides are decoded: the comparison and the verdicts.

No Textual here: the browse screen runs ``analyse`` in a worker, then ``apply`` on its trees.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text

from vmdiff.compat import CheckResult, DestinationProfile, VerdictKind, check, profile_from_stream
from vmdiff.decode import Capture
from vmdiff.diff import CompareOptions, DiffResult, compare
from vmdiff.model import Stream
from vmdiff.report.diff_describe import summary_line
from vmdiff.report.diff_markdown import diff_to_markdown
from vmdiff.report.verdict_markdown import check_to_markdown
from vmdiff.tui.annotate import annotate_comparison
from vmdiff.tui.outline import Outline
from vmdiff.tui.verdicts import annotate_verdicts

Side = Capture | Stream


@dataclass(slots=True)
class Analysis:
    """The comparison of A with B (if there is a B) and A's verdicts (if there is a destination)."""

    diff: DiffResult | None = None
    check: CheckResult | None = None
    destination: str | None = None


def analyse(
    a: Side,
    b: Side | None,
    destination: DestinationProfile | None,
    options: CompareOptions | None = None,
) -> Analysis:
    """Compare A with B, and check A against the destination (B's configuration if none given)."""
    analysis = Analysis()
    if b is not None:
        analysis.diff = compare(a, b, options)
    stream_a = a.stream if isinstance(a, Capture) else a
    if destination is None and b is not None:
        stream_b = b.stream if isinstance(b, Capture) else b
        if stream_b.version is not None:
            destination = profile_from_stream(stream_b)
            analysis.destination = f"B ({stream_b.path.rsplit('/', 1)[-1]})"
    if destination is not None:
        analysis.check = check(stream_a, destination)
        analysis.destination = analysis.destination or analysis.check.destination
    return analysis


def apply(analysis: Analysis, a: Outline, b: Outline | None) -> None:
    """Mark A's tree with the differences (grafting B-only nodes) and the verdicts."""
    if analysis.diff is not None and b is not None:
        annotate_comparison(a, b, analysis.diff)
    if analysis.check is not None:
        annotate_verdicts(a, analysis.check)


def analysis_markdown(analysis: Analysis) -> str:
    """The comparison and the verdicts as the Markdown reports of ``vmdiff diff`` and ``check``."""
    parts = []
    if analysis.diff is not None:
        parts.append(diff_to_markdown(analysis.diff))
    if analysis.check is not None:
        parts.append(check_to_markdown(analysis.check))
    return "\n".join(parts)


def analysis_status(analysis: Analysis) -> list[Text]:
    """Status lines: the headline and verdict counts, then the summary of differences."""
    lines: list[Text] = []
    result = analysis.check
    if result is not None:
        if result.first_failure is not None:
            mark, style = "✗", "bold red"
        elif result.count(VerdictKind.IGNORE):
            mark, style = "!", "bold yellow"
        elif result.count(VerdictKind.UNKNOWN):
            mark, style = "?", "bold"
        else:
            mark, style = "✓", "bold green"
        line = Text(no_wrap=True, overflow="ellipsis")
        line.append(f"{mark} {result.headline}", style)
        counts = ", ".join(f"{result.count(kind)} {kind.value}" for kind in VerdictKind)
        line.append(f"  ({counts}; destination {analysis.destination})", "dim")
        lines.append(line)
    if analysis.diff is not None:
        lines.append(Text(summary_line(analysis.diff), "bold" if analysis.diff else "green"))
    return lines
