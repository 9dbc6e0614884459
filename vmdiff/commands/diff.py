"""``vmdiff diff A B`` (or ``vmdiff A B``): what differs between two captures, by meaning."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial

from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TimeRemainingColumn

from vmdiff.cli import ConsoleIO
from vmdiff.commands.check import (
    check_against_capture,
    check_file,
    emit_check,
    exit_status,
    is_destination_document,
)
from vmdiff.commands.common import add_layout_argument, layout_from_args, report_fault
from vmdiff.compat import CheckResult, load_destinations
from vmdiff.diff import CompareOptions, DiffResult, compare
from vmdiff.diff.load import CapturePair, open_pair
from vmdiff.errors import ExitStatus, InputError
from vmdiff.layouts import StreamLayout
from vmdiff.model import Stream
from vmdiff.report.diff_json import diff_to_json
from vmdiff.report.diff_markdown import diff_to_markdown
from vmdiff.report.diff_text import render_diff, render_stat
from vmdiff.report.verdict_json import check_to_json

NAME = "diff"
HELP = "compare two captures: configuration, sections, subsections, fields and RAM"
_PROGRESS_MIN_BYTES = 64 << 20
_PROGRESS_STEP = 8 << 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff diff``."""
    parser.add_argument("a", metavar="A", help="the first capture (or - for standard input)")
    parser.add_argument("b", metavar="B", help="the second capture")
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="one JSON document (vmdiff.diff/1)")
    output.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default: text, coloured on a terminal)",
    )
    parser.add_argument(
        "--stat", action="store_true", help="only the counts per section and the summary line"
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="PATTERN",
        help="drop differences whose path matches this glob, or lies below a path it matches "
        "(repeatable; * and ? are wildcards, brackets are literal: 'cpu[*]/env.tsc')",
    )
    parser.add_argument(
        "--ignore-volatile",
        action="store_true",
        help="drop clocks, time stamps and timer deadlines that differ between any two "
        "captures of one configuration (listed in the README)",
    )
    parser.add_argument("--no-ram", action="store_true", help="do not compare RAM")
    parser.add_argument(
        "--section",
        action="append",
        default=[],
        metavar="IDSTR",
        help="only sections whose idstr or path matches this glob (repeatable; "
        "'ram', 'configuration' and 'command' name the stream-level records)",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="also give the verdicts with B as the destination (vmdiff check A --dest B); "
        "exit 3 if it would fail or drop state. A profile or dump as B is only checked",
    )
    add_layout_argument(parser)


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Compare; exit 0 if nothing differs after the filters, 1 if something does."""
    if args.a == "-" and args.b == "-":
        raise InputError("only one of A and B can be standard input")
    if is_destination_document(args.b):
        # B is a profile or a -dump-vmstate file: nothing to compare, only to check.
        output = "json" if args.json else args.format
        return check_file(args.a, load_destinations([args.b]), output, io, brief=False, args=args)
    options = CompareOptions(
        ignore=tuple(args.ignore),
        ignore_volatile=args.ignore_volatile,
        ram=not args.no_ram,
        sections=tuple(args.section),
    )
    layout = layout_from_args(args)
    with _decoded_pair(args.a, args.b, io, layout, options.ram) as pair:
        for stream in (pair.a.stream, pair.b.stream):
            _require_stream(stream)
            report_fault(stream, io)
        result = compare(pair.a, pair.b, options)
        result.notes[:0] = pair.notes
        verdicts = check_against_capture(pair.a.stream, pair.b.stream) if args.check else None
        _render(result, args, io, verdicts)
    if verdicts is not None and exit_status(verdicts) == ExitStatus.WOULD_FAIL:
        return ExitStatus.WOULD_FAIL
    return ExitStatus.DIFFERENT if result else ExitStatus.OK


@contextmanager
def _decoded_pair(
    path_a: str, path_b: str, io: ConsoleIO, layout: StreamLayout | None, index_pages: bool
) -> Iterator[CapturePair]:
    """Both captures, with a progress bar on stderr while a big A decodes on a terminal."""
    bar: Progress | None = None
    progress = None
    size = os.path.getsize(path_a) if os.path.isfile(path_a) else 0
    if io.err.is_terminal and size >= _PROGRESS_MIN_BYTES:
        columns = ("{task.description}", BarColumn(), DownloadColumn(), TimeRemainingColumn())
        bar = Progress(*columns, console=io.err, transient=True)
        task = bar.add_task(f"decoding {path_a}", total=size)
        progress = partial(_advance, bar, task, [0])
        bar.start()
    try:
        with open_pair(
            path_a, path_b, layout=layout, index_pages=index_pages, progress=progress
        ) as pair:
            if bar is not None:
                bar.stop()
            yield pair
    finally:
        if bar is not None:
            bar.stop()


def _advance(bar: Progress, task: TaskID, last: list[int], position: int) -> None:
    if position - last[0] >= _PROGRESS_STEP:
        last[0] = position
        bar.update(task, completed=position)


def _require_stream(stream: Stream) -> None:
    """A file with nothing decodable is trouble (exit 2), not a stream with no sections."""
    if stream.version is None and stream.fault is not None:
        raise InputError(f"{stream.path}: not a QEMU migration stream: {stream.fault.message}")


def _render(
    result: DiffResult, args: argparse.Namespace, io: ConsoleIO, verdicts: CheckResult | None
) -> None:
    output = "json" if args.json else args.format
    if output == "json":
        document = diff_to_json(result, stat=args.stat)
        if verdicts is not None:
            document["check"] = check_to_json(verdicts)
        print(json.dumps(document, indent=1))
        return
    if output == "markdown":
        print(diff_to_markdown(result, stat=args.stat), end="")
    elif args.stat:
        render_stat(result, io.out)
    else:
        render_diff(result, io.out)
    if verdicts is not None:
        io.out.print()
        emit_check(verdicts, output, io, brief=True)
