"""``vmdiff check SRC --dest D``: would this stream load into that destination, and what is lost?"""

from __future__ import annotations

import argparse
import json

from vmdiff.cli import ConsoleIO
from vmdiff.commands.common import add_layout_argument, decoded, layout_from_args, report_fault
from vmdiff.commands.fleet import Result, emit, fleet_status, run_each
from vmdiff.compat import (
    CheckResult,
    DestinationProfile,
    Outcome,
    check,
    load_destinations,
)
from vmdiff.compat.build import with_qemu_version
from vmdiff.compat.domain import source_xml_notes
from vmdiff.compat.from_domain import approximation_notes
from vmdiff.compat.profile import Fact, merge_profiles
from vmdiff.decode import open_capture
from vmdiff.errors import ExitStatus, InputError, VmdiffError
from vmdiff.model import Stream
from vmdiff.report.verdict_json import check_to_json
from vmdiff.report.verdict_markdown import check_to_markdown
from vmdiff.report.verdict_text import render_check

NAME = "check"
HELP = "predict whether a destination would accept a stream, section by section"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff check``."""
    parser.add_argument(
        "captures",
        nargs="+",
        metavar="CAPTURE",
        help="the source's migration stream; several for a fleet (one summary row each)",
    )
    add_destination_arguments(parser, required=True)
    parser.add_argument("--json", action="store_true", help="one JSON document (vmdiff.verdicts/1)")
    parser.add_argument(
        "--format",
        choices=("text", "json", "markdown"),
        default="text",
        help="output format (default text; --json is --format json)",
    )
    parser.add_argument(
        "--brief", action="store_true", help="leave accepted sections and subsections out"
    )
    parser.add_argument(
        "--json-lines", action="store_true", help="one JSON line (vmdiff.verdicts/1) per capture"
    )
    parser.add_argument("--jobs", type=int, default=1, metavar="N", help="check N captures at once")
    parser.add_argument("-o", "--output", metavar="FILE", help="with --json-lines: write them here")
    add_layout_argument(parser)


def add_destination_arguments(parser: argparse.ArgumentParser, *, required: bool) -> None:
    """--dest, --qemu-version and --allow-ignore: what describes the destination."""
    parser.add_argument(
        "--dest",
        action="append",
        metavar="FILE",
        required=required,
        help="the destination: a profile, a capture made on it (a libvirt save image adds its "
        "domain XML), its -dump-vmstate file or its libvirt domain XML (repeat to merge several)",
    )
    parser.add_argument(
        "--qemu-version",
        metavar="X.Y",
        help="the destination's QEMU version, when a capture or dump guesses it wrong",
    )
    parser.add_argument(
        "--allow-ignore",
        action="append",
        metavar="SUBSECTION",
        default=[],
        help="a subsection whose loss the destination accepts: an unknown one becomes "
        "'ignore' instead of 'reject' (repeatable)",
    )


def destination_from_args(args: argparse.Namespace) -> DestinationProfile:
    """The merged --dest profile with --qemu-version and --allow-ignore applied."""
    profile = load_destinations(args.dest)
    if args.qemu_version:
        profile = with_qemu_version(profile, args.qemu_version, "--qemu-version")
    if args.allow_ignore:
        allowed = Fact(frozenset(args.allow_ignore), "--allow-ignore")
        profile = merge_profiles([profile, DestinationProfile(allow_ignore=allowed)])
    return profile


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Check and print; exit 0 clean, 1 differences or unknowns, 3 would fail or drop state."""
    if args.jobs < 1:
        raise InputError("--jobs takes a positive number")
    profile = destination_from_args(args)
    if len(args.captures) > 1 or args.json_lines:
        results = run_each(check_one, args.captures, profile, args.jobs)
        emit(results, lines=args.json_lines, output=args.output, io=io)
        return fleet_status(results)
    fmt = "json" if args.json else args.format
    return check_file(args.captures[0], profile, fmt, io, brief=args.brief, args=args)


def check_one(path: str, profile: DestinationProfile) -> Result:
    """One capture's verdicts as a JSON document (one line of --json-lines), or its error."""
    try:
        with open_capture(path) as capture:
            stream = capture.stream
        if stream.version is None and stream.fault is not None:
            raise InputError(f"not a QEMU migration stream: {stream.fault.message}")
    except VmdiffError as err:
        return {"format": "vmdiff.verdicts/1", "capture": path, "error": str(err)}
    document = {"capture": path, **check_to_json(_check(stream, profile), profile.built_from)}
    if stream.fault is not None:
        document["capture_fault"] = stream.fault.message
    return document


def check_file(
    path: str,
    profile: DestinationProfile,
    fmt: str,
    io: ConsoleIO,
    *,
    brief: bool,
    args: argparse.Namespace,
) -> int:
    """Decode ``path``, check it against ``profile``, print the report and return the status."""
    with decoded(path, io, layout=layout_from_args(args)) as capture:
        stream = capture.stream
    if stream.version is None and stream.fault is not None:
        raise InputError(f"{stream.path}: not a QEMU migration stream: {stream.fault.message}")
    result = _check(stream, profile)
    if fmt == "json":
        print(json.dumps(check_to_json(result, profile.built_from), indent=1))
    else:
        emit_check(result, fmt, io, brief=brief)
    if report_fault(stream, io):
        return ExitStatus.TROUBLE
    return exit_status(result)


def _check(stream: Stream, profile: DestinationProfile) -> CheckResult:
    """check(), with notes on an approximate profile and on a save image whose XML and stream
    disagree."""
    result = check(stream, profile)
    result.notes += approximation_notes(profile) + source_xml_notes(stream)
    return result


def emit_check(result: CheckResult, fmt: str, io: ConsoleIO, *, brief: bool) -> None:
    """Print the verdict report as text or Markdown."""
    if fmt == "markdown":
        print(check_to_markdown(result, brief=brief), end="")
    else:
        render_check(result, io.out, brief=brief)


def is_destination_document(path: str) -> bool:
    """True when ``path`` holds JSON (a profile or a -dump-vmstate file), not a capture."""
    try:
        with open(path, "rb") as f:
            return f.read(64).lstrip()[:1] == b"{"
    except OSError:
        return False


def exit_status(result: CheckResult) -> int:
    """3 if the migration would fail or drop state, 1 for unknowns or destination-only parts."""
    if result.outcome in (Outcome.FAIL, Outcome.DROP):
        return ExitStatus.WOULD_FAIL
    if result.outcome is Outcome.UNKNOWN or result.warnings:
        return ExitStatus.DIFFERENT
    return ExitStatus.OK
