"""``vmdiff tui``: browse a capture, compare two, or check one against a destination."""

from __future__ import annotations

import argparse
import os

from vmdiff.cli import ConsoleIO
from vmdiff.commands.common import add_layout_argument, layout_from_args
from vmdiff.errors import ExitStatus

NAME = "tui"
HELP = "browse a capture (or compare two, or check one) in a full-screen terminal app"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff tui``."""
    parser.add_argument("capture", help="a migration stream file (compressed ones too)")
    parser.add_argument(
        "dest",
        nargs="?",
        help="a second capture to compare with the first (made on the destination, it also "
        "gives the verdicts), or a profile or -dump-vmstate file to check the first against",
    )
    parser.add_argument(
        "--dest",
        dest="profiles",
        action="append",
        default=[],
        metavar="PROFILE",
        help="check the capture against this destination: a profile, a capture or a "
        "-dump-vmstate file (repeatable; merged)",
    )
    parser.add_argument(
        "--ignore",
        action="append",
        default=[],
        metavar="PATTERN",
        help="leave out differences whose path matches this glob (repeatable)",
    )
    parser.add_argument(
        "--ignore-volatile",
        action="store_true",
        help="leave out clocks and timers that differ between any two captures",
    )
    add_layout_argument(parser)


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Check the files can be read, load the destination, then run the app."""
    for path in (args.capture, args.dest, *args.profiles):
        if path is None:
            continue
        if path == "-":
            io.error("the TUI needs files, not standard input")
            return ExitStatus.TROUBLE
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            reason = "no such file" if not os.path.exists(path) else "not a readable file"
            io.error(f"{path}: {reason}")
            return ExitStatus.TROUBLE
    layout = layout_from_args(args)
    profiles = list(args.profiles)
    second_capture = args.dest
    if args.dest is not None and _is_json(args.dest):
        profiles.append(args.dest)
        second_capture = None

    from vmdiff.compat import load_destinations
    from vmdiff.diff import CompareOptions

    destination = load_destinations(profiles) if profiles else None
    options = CompareOptions(ignore=tuple(args.ignore), ignore_volatile=args.ignore_volatile)

    # Textual is imported here only, so the batch commands start fast.
    from vmdiff.tui.app import VmdiffApp
    from vmdiff.tui.sources import ToOpen

    second = ToOpen(second_capture, layout) if second_capture else None
    app = VmdiffApp(ToOpen(args.capture, layout), second, destination=destination, options=options)
    app.run()
    return ExitStatus.OK


def _is_json(path: str) -> bool:
    """Profiles and -dump-vmstate files are JSON; captures never start with "{"."""
    with open(path, "rb") as handle:
        return handle.read(64).lstrip()[:1] == b"{"
