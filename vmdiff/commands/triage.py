"""``vmdiff triage``: turn a failed migration into a report fit for a bug tracker."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from vmdiff.cli import ConsoleIO
from vmdiff.commands.check import add_destination_arguments, destination_from_args
from vmdiff.commands.common import add_layout_argument, decoded, layout_from_args
from vmdiff.commands.fleet import Result, emit, fleet_status, run_each
from vmdiff.compat import CheckResult, DestinationProfile, check
from vmdiff.decode import Capture, open_capture
from vmdiff.errors import ExitStatus, InputError, VmdiffError
from vmdiff.layouts import StreamLayout
from vmdiff.report.triage_json import triage_to_json
from vmdiff.report.triage_markdown import render_triage_markdown
from vmdiff.triage.report import TriageReport, build_report

NAME = "triage"
HELP = "explain a failed migration from a capture, the destination's log and/or a destination"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff triage``."""
    parser.add_argument(
        "captures", nargs="*", metavar="CAPTURE", help="the source's migration stream(s)"
    )
    parser.add_argument(
        "--log",
        metavar="FILE",
        help="the destination's stderr (QEMU's or libvirt's log, as is; - for stdin)",
    )
    add_destination_arguments(parser, required=False)
    parser.add_argument(
        "--json", action="store_true", help="JSON (vmdiff.triage/1) instead of Markdown"
    )
    parser.add_argument(
        "--json-lines", action="store_true", help="one JSON line per capture (many captures)"
    )
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="triage N captures at once"
    )
    parser.add_argument(
        "--include-values",
        action="store_true",
        help="show the field values of the failing section (device state; off by default)",
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report here")
    add_layout_argument(parser)


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """One report, or one line per capture; exit 3 when a failure is found, else 0."""
    if not args.captures and args.log is None:
        raise InputError("give a capture, a --log, or both")
    if len(args.captures) > 1 and args.log is not None:
        raise InputError("--log belongs to one capture; triage several captures without it")
    if args.jobs < 1:
        raise InputError("--jobs takes a positive number")
    profile = destination_from_args(args) if args.dest else None
    if len(args.captures) > 1 or args.json_lines:
        return _many(args, profile, io)
    log_text = _read_log(args.log) if args.log else None
    if not args.captures:
        report = build_report(None, log_text, log_name=args.log)
    else:
        report = _one(args.captures[0], profile, layout_from_args(args), log_text, args, io)
    text = (
        json.dumps(triage_to_json(report), indent=1) + "\n"
        if args.json
        else render_triage_markdown(report)
    )
    _write(text, args.output, io)
    return ExitStatus.WOULD_FAIL if _failed(report) else ExitStatus.OK


def _one(
    path: str,
    profile: DestinationProfile | None,
    layout: StreamLayout | None,
    log_text: str | None,
    args: argparse.Namespace,
    io: ConsoleIO,
) -> TriageReport:
    with decoded(path, io, layout=layout) as capture:
        stream = capture.stream
        body = _ram_start_body(capture)
    verdicts: CheckResult | None = check(stream, profile) if profile is not None else None
    return build_report(
        stream,
        log_text,
        capture=path,
        log_name=args.log,
        ram_start_body=body,
        verdicts=verdicts,
        include_values=args.include_values,
    )


def _ram_start_body(capture: Capture) -> bytes | None:
    """The RAM START section's body: the block list that names every RAM block."""
    sections = capture.stream.iter_sections()
    start = next((s for s in sections if s.is_ram and s.kind == "start"), None)
    return capture.read(start.body.start, start.body.size) if start else None


def _failed(report: TriageReport) -> bool:
    if report.first_failure is not None:
        return True
    return report.verdicts is not None and report.verdicts.outcome.value in ("fail", "drop")


def triage_file(path: str, profile: DestinationProfile | None) -> Result:
    """The JSON report of one capture, or an error entry: one line of --json-lines."""
    try:
        with open_capture(path) as capture:
            stream = capture.stream
            body = _ram_start_body(capture)
        verdicts = check(stream, profile) if profile is not None else None
        report = build_report(stream, None, capture=path, ram_start_body=body, verdicts=verdicts)
    except VmdiffError as err:
        return {"format": "vmdiff.triage/1", "capture": path, "error": str(err)}
    document = triage_to_json(report)
    if verdicts is not None:
        document["outcome"] = verdicts.outcome.value
    else:
        document["outcome"] = "fail" if report.first_failure else "no failure found"
    return document


def _many(args: argparse.Namespace, profile: DestinationProfile | None, io: ConsoleIO) -> int:
    results = run_each(triage_file, args.captures, profile, args.jobs)
    emit(results, lines=args.json_lines, output=args.output, io=io)
    return fleet_status(results)


def _read_log(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    try:
        return Path(path).read_text(errors="replace")
    except OSError as err:
        raise InputError(f"{path}: cannot read log: {err.strerror}") from None


def _write(text: str, output: str | None, io: ConsoleIO) -> None:
    if output:
        try:
            Path(output).write_text(text)
        except OSError as err:
            raise InputError(f"{output}: cannot write: {err.strerror}") from None
        io.err.print(f"wrote {output}", markup=False)
    else:
        print(text, end="")
