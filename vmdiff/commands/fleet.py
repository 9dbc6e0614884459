"""Run one command over many captures: in parallel, one JSON line each, a summary at the end."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

from rich.table import Table

from vmdiff.cli import ConsoleIO
from vmdiff.errors import ExitStatus

T = TypeVar("T")
Result = dict[str, Any]
"""One capture's JSON document; ``error`` is set when it could not be read at all."""


def run_each(
    work: Callable[[str, T], Result], paths: Sequence[str], shared: T, jobs: int
) -> list[Result]:
    """``work(path, shared)`` for every path, ``jobs`` at a time, results in the paths' order."""
    if jobs > 1 and len(paths) > 1:
        with ProcessPoolExecutor(max_workers=min(jobs, len(paths))) as pool:
            return list(pool.map(work, paths, [shared] * len(paths)))
    return [work(path, shared) for path in paths]


def json_lines(results: list[Result]) -> str:
    """One compact JSON object per line."""
    return "".join(json.dumps(r) + "\n" for r in results)


def summary_table(results: list[Result]) -> Table:
    """capture, outcome, first failure and what QEMU would print: one row per capture."""
    table = Table(title=f"{len(results)} captures", title_justify="left")
    table.add_column("capture", no_wrap=True)
    table.add_column("outcome", no_wrap=True, min_width=7)
    table.add_column("first failure", no_wrap=True)
    table.add_column("QEMU would print", no_wrap=True, overflow="ellipsis", max_width=40)
    for result in results:
        if "error" in result:
            table.add_row(result["capture"], "[red]error[/]", "-", result["error"])
            continue
        first = result.get("first_failure")
        where, message = (first["path"], first["message"].split(". ")[0]) if first else ("-", "")
        table.add_row(result["capture"], result["outcome"], where, message or "")
    return table


def fleet_status(results: list[Result]) -> int:
    """2 if any capture could not be read, else 3 if any would fail or drop state, else 0."""
    if any("error" in r for r in results):
        return ExitStatus.TROUBLE
    if any(r["outcome"] in ("fail", "drop") for r in results):
        return ExitStatus.WOULD_FAIL
    return ExitStatus.OK


def emit(results: list[Result], *, lines: bool, output: str | None, io: ConsoleIO) -> None:
    """JSON lines to stdout (or ``output``) when asked, and the summary table to stderr."""
    if lines:
        text = json_lines(results)
        if output:
            with open(output, "w") as out:
                out.write(text)
        else:
            print(text, end="")
    io.err.print(summary_table(results))
