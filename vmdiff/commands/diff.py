"""``vmdiff diff A B`` (or ``vmdiff A B``): what differs, by meaning, and would A load into B."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from typing import NamedTuple

from rich.progress import BarColumn, DownloadColumn, Progress, TaskID, TimeRemainingColumn

from vmdiff.cli import ConsoleIO
from vmdiff.commands.check import is_destination_document
from vmdiff.commands.common import add_layout_argument, decoded, layout_from_args, report_fault
from vmdiff.compat import (
    CheckResult,
    DestinationProfile,
    Outcome,
    check,
    load_destinations,
    profile_from_stream,
)
from vmdiff.compat.build import is_complete, with_qemu_version
from vmdiff.compat.profile import Fact, merge_profiles
from vmdiff.diff import CompareOptions, DiffResult, compare
from vmdiff.diff.load import CapturePair, open_pair
from vmdiff.errors import ExitStatus, InputError
from vmdiff.layouts import StreamLayout
from vmdiff.model import Stream
from vmdiff.report.diff_json import diff_to_json
from vmdiff.report.diff_markdown import diff_to_markdown, verdicts_to_markdown
from vmdiff.report.diff_text import render_diff, render_stat, render_verdicts
from vmdiff.report.verdict_json import check_to_json

NAME = "diff"
HELP = "compare two captures by meaning, then check A with B as the destination"
_PROGRESS_MIN_BYTES = 64 << 20
_PROGRESS_STEP = 8 << 20


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff diff``."""
    parser.epilog = (
        "After the differences come the verdicts of 'vmdiff check A --dest B' (brief form). "
        "Exit status: 3 if B's configuration would refuse A or silently drop state, else 1 if "
        "anything differs after the filters, else 0; 2 trouble. With --no-check: 0 same, "
        "1 different, 2 trouble. B may be a profile or a -dump-vmstate file: A is then only "
        "checked."
    )
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
    verdicts = parser.add_mutually_exclusive_group()
    verdicts.add_argument(
        "--no-check",
        action="store_true",
        help="only compare: leave out the verdicts with B as the destination; exit 0 same, "
        "1 different, 2 trouble, as diff(1)",
    )
    verdicts.add_argument(
        "--check",
        action="store_true",
        help="the verdicts are the default now: accepted so that older scripts keep working",
    )
    parser.add_argument(
        "--qemu-version",
        metavar="X.Y",
        help="B's QEMU version for the verdicts, when vmdiff infers it wrong from B",
    )
    parser.add_argument(
        "--allow-ignore",
        action="append",
        metavar="SUBSECTION",
        default=[],
        help="for the verdicts: a subsection whose loss the destination accepts (repeatable)",
    )
    add_layout_argument(parser)


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Compare, and check A against B as the destination unless --no-check.

    Exit 3 if the destination would refuse A or drop state, else 1 if anything differs after
    the filters, else 0.
    """
    if args.a == "-" and args.b == "-":
        raise InputError("only one of A and B can be standard input")
    if args.no_check and (args.qemu_version or args.allow_ignore):
        raise InputError("--qemu-version and --allow-ignore are for the verdicts: drop --no-check")
    if is_destination_document(args.b):
        if args.no_check:
            raise InputError(
                f"{args.b} is a destination profile or a -dump-vmstate file, not a capture: "
                "there is nothing to compare, only to check (drop --no-check)"
            )
        return _check_only(args, io, _destination(load_destinations([args.b]), args))
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
        verdicts = None if args.no_check else _check_against_b(pair, result, args)
        _render(result, args, io, verdicts)
    if verdicts is not None and _would_fail(verdicts.result):
        return ExitStatus.WOULD_FAIL
    return ExitStatus.DIFFERENT if result else ExitStatus.OK


class Verdicts(NamedTuple):
    """The verdicts with B as the destination, and what B's profile was built from."""

    result: CheckResult
    built_from: list[str]


def _check_against_b(
    pair: CapturePair, result: DiffResult, args: argparse.Namespace
) -> Verdicts | None:
    """The verdicts for A with B's capture as the destination, or None if B cannot be one."""
    b = pair.b.stream
    if not is_complete(b):
        # Whatever came after B's fault is unknown, so B says nothing about those sections.
        result.notes.append(
            "no verdicts: B stops at a fault, so it cannot stand for the destination "
            "(vmdiff check needs a destination capture that decodes to its end)"
        )
        return None
    profile = _destination(profile_from_stream(b), args)
    return Verdicts(check(pair.a.stream, profile), profile.built_from)


def _destination(profile: DestinationProfile, args: argparse.Namespace) -> DestinationProfile:
    """``profile`` with --qemu-version and --allow-ignore applied."""
    if args.qemu_version:
        profile = with_qemu_version(profile, args.qemu_version, "--qemu-version")
    if args.allow_ignore:
        allowed = Fact(frozenset(args.allow_ignore), "--allow-ignore")
        profile = merge_profiles([profile, DestinationProfile(allow_ignore=allowed)])
    return profile


def _would_fail(verdicts: CheckResult) -> bool:
    return verdicts.outcome in (Outcome.FAIL, Outcome.DROP)


def _check_only(args: argparse.Namespace, io: ConsoleIO, profile: DestinationProfile) -> int:
    """B is a profile or a dump: the verdicts alone, exit 0, 1 (unknowns, warnings) or 3."""
    with decoded(args.a, io, layout=layout_from_args(args)) as capture:
        stream = capture.stream
    _require_stream(stream)
    report_fault(stream, io)
    verdicts = check(stream, profile)
    output = "json" if args.json else args.format
    if output == "json":
        print(json.dumps(check_to_json(verdicts, profile.built_from), indent=1))
    elif output == "markdown":
        print(verdicts_to_markdown(verdicts, stat=args.stat), end="")
    else:
        render_verdicts(verdicts, io.out, stat=args.stat)
    if _would_fail(verdicts):
        return ExitStatus.WOULD_FAIL
    unsure = verdicts.outcome is Outcome.UNKNOWN or verdicts.warnings
    return ExitStatus.DIFFERENT if unsure else ExitStatus.OK


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
    result: DiffResult, args: argparse.Namespace, io: ConsoleIO, verdicts: Verdicts | None
) -> None:
    output = "json" if args.json else args.format
    if output == "json":
        document = diff_to_json(result, stat=args.stat)
        if not args.no_check:
            document["check"] = (
                None if verdicts is None else check_to_json(verdicts.result, verdicts.built_from)
            )
        print(json.dumps(document, indent=1))
        return
    if output == "markdown":
        print(diff_to_markdown(result, stat=args.stat), end="")
        if verdicts is not None:
            print()
            print(verdicts_to_markdown(verdicts.result, stat=args.stat), end="")
        return
    if args.stat:
        render_stat(result, io.out)
    else:
        render_diff(result, io.out)
    if verdicts is not None:
        io.out.print()
        render_verdicts(verdicts.result, io.out, stat=args.stat)
