"""What the app works out once both sides are decoded: the comparison and the verdicts.

No Textual here: the browse screen runs ``analyse`` in a worker, then ``apply`` on its trees.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from rich.text import Text

from vmdiff.compat import CheckResult, DestinationProfile, VerdictKind, check, profile_from_stream
from vmdiff.decode import Capture
from vmdiff.decode.reader import decode_source
from vmdiff.decode.source import finish_stream
from vmdiff.diff import CompareOptions, DiffResult, compare
from vmdiff.errors import LayoutError
from vmdiff.layouts import layout_from_json
from vmdiff.model import Stream
from vmdiff.report.diff_describe import summary_line
from vmdiff.report.diff_markdown import diff_to_markdown
from vmdiff.report.verdict_markdown import check_to_markdown
from vmdiff.tui.annotate import annotate_comparison
from vmdiff.tui.from_stream import build_outline
from vmdiff.tui.outline import Outline
from vmdiff.tui.verdicts import annotate_verdicts

Side = Capture | Stream


@dataclass(slots=True)
class Analysis:
    """The comparison of A with B (if there is a B) and A's verdicts (if there is a destination).

    ``redecoded`` holds the sides decoded again with the other side's vmdesc, with their trees.
    """

    diff: DiffResult | None = None
    check: CheckResult | None = None
    destination: str | None = None
    redecoded: dict[str, tuple[Capture, Outline]] = field(default_factory=dict)


def borrow_layout(capture: Capture, other: Capture) -> Capture | None:
    """A capture with no vmdesc of its own (cut short, say) decoded with the other's vmdesc.

    The same rule as ``vmdiff A B``, so the app shows the differences the command prints.
    """
    own, theirs = capture.stream.vmdesc, other.stream.vmdesc
    if (own is not None and own.json is not None) or theirs is None or theirs.json is None:
        return None
    origin = f"the vmdesc of {other.stream.path}"
    try:
        layout = layout_from_json(theirs.json, origin)
    except LayoutError:
        return None
    stream = decode_source(capture.source, layout=layout, index_pages=True)
    finish_stream(capture.source, stream)
    stream.notes.append(f"no vmdesc of its own: decoded with {origin}")
    return Capture(capture.source, stream)


def analyse(
    a: Side,
    b: Side | None,
    destination: DestinationProfile | None,
    options: CompareOptions | None = None,
) -> Analysis:
    """Compare A with B, and check A against the destination (B's configuration if none given)."""
    analysis = Analysis()
    if isinstance(a, Capture) and isinstance(b, Capture):
        for side, mine, theirs in (("a", a, b), ("b", b, a)):
            borrowed = borrow_layout(mine, theirs)
            if borrowed is not None:
                analysis.redecoded[side] = (borrowed, build_outline(borrowed.stream, side=side))
        a = analysis.redecoded["a"][0] if "a" in analysis.redecoded else a
        b = analysis.redecoded["b"][0] if "b" in analysis.redecoded else b
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
