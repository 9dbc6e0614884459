"""``vmdiff tui``: browse a capture (or compare two) in a full-screen app."""

from __future__ import annotations

import argparse
import os

from vmdiff.cli import ConsoleIO
from vmdiff.commands.common import add_layout_argument, layout_from_args
from vmdiff.errors import ExitStatus

NAME = "tui"
HELP = "browse a capture (or compare two) in a full-screen terminal app"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff tui``."""
    parser.add_argument("capture", help="a migration stream file (compressed ones too)")
    parser.add_argument(
        "dest",
        nargs="?",
        help="a second capture (e.g. made on the destination) to compare with the first",
    )
    add_layout_argument(parser)


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Check the files can be read, then run the app (Textual is imported only here)."""
    for path in (args.capture, args.dest):
        if path is None:
            continue
        if path == "-":
            io.error("the TUI needs a file, not standard input")
            return ExitStatus.TROUBLE
        if not os.path.isfile(path) or not os.access(path, os.R_OK):
            reason = "no such file" if not os.path.exists(path) else "not a readable file"
            io.error(f"{path}: {reason}")
            return ExitStatus.TROUBLE
    layout = layout_from_args(args)

    from vmdiff.tui.app import VmdiffApp
    from vmdiff.tui.sources import ToOpen

    second = ToOpen(args.dest, layout) if args.dest else None
    VmdiffApp(ToOpen(args.capture, layout), second).run()
    return ExitStatus.OK
