"""``vmdiff triage``: turn a failed migration into a report fit for a bug tracker."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from vmdiff.cli import ConsoleIO
from vmdiff.commands.common import add_layout_argument, decoded, layout_from_args
from vmdiff.errors import ExitStatus, InputError
from vmdiff.report.triage_json import triage_to_json
from vmdiff.report.triage_markdown import render_triage_markdown
from vmdiff.triage.report import TriageReport, build_report

NAME = "triage"
HELP = "explain a failed migration from a capture and/or the destination's log"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff triage``."""
    parser.add_argument("capture", nargs="?", help="the source's migration stream (optional)")
    parser.add_argument(
        "--log",
        metavar="FILE",
        help="the destination's stderr (QEMU's or libvirt's log, as is; - for stdin)",
    )
    parser.add_argument(
        "--json", action="store_true", help="JSON (vmdiff.triage/1) instead of Markdown"
    )
    parser.add_argument("-o", "--output", metavar="FILE", help="write the report here")
    add_layout_argument(parser)


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Build the report; exit 3 when it names a failure, 0 when it found none."""
    if args.capture is None and args.log is None:
        raise InputError("give a capture, a --log, or both")
    log_text = _read_log(args.log) if args.log else None
    if args.capture is None:
        report = build_report(None, log_text, log_name=args.log)
    else:
        with decoded(args.capture, io, layout=layout_from_args(args)) as capture:
            stream = capture.stream
            ram_start = next(
                (s for s in stream.iter_sections() if s.is_ram and s.kind == "start"), None
            )
            body = capture.read(ram_start.body.start, ram_start.body.size) if ram_start else None
            report = build_report(
                stream, log_text, capture=args.capture, log_name=args.log, ram_start_body=body
            )
    _emit(report, args, io)
    return ExitStatus.WOULD_FAIL if report.first_failure else ExitStatus.OK


def _read_log(path: str) -> str:
    if path == "-":
        import sys

        return sys.stdin.read()
    try:
        return Path(path).read_text(errors="replace")
    except OSError as err:
        raise InputError(f"{path}: cannot read log: {err.strerror}") from None


def _emit(report: TriageReport, args: argparse.Namespace, io: ConsoleIO) -> None:
    text = (
        json.dumps(triage_to_json(report), indent=1) + "\n"
        if args.json
        else render_triage_markdown(report)
    )
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as err:
            raise InputError(f"{args.output}: cannot write: {err.strerror}") from None
        io.err.print(f"wrote {args.output}", markup=False)
    else:
        print(text, end="")
