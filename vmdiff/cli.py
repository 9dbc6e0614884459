"""The ``vmdiff`` command: parse arguments, run one command, exit with its status."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from importlib import import_module
from typing import Protocol

from rich.console import Console

from vmdiff import __version__
from vmdiff.errors import ExitStatus, VmdiffError

# Each module names one subcommand: NAME, HELP, add_arguments(parser), run(args, io) -> int.
COMMAND_MODULES = (
    "vmdiff.commands.show",
    "vmdiff.commands.extract",
    "vmdiff.commands.capture",
    "vmdiff.commands.tui",
    "vmdiff.commands.triage",
    "vmdiff.commands.diff",
    "vmdiff.commands.check",
    "vmdiff.commands.profile",
)
DEFAULT_COMMAND = "diff"


class CommandModule(Protocol):
    """What a module in COMMAND_MODULES provides."""

    NAME: str
    HELP: str

    def add_arguments(self, parser: argparse.ArgumentParser) -> None: ...

    def run(self, args: argparse.Namespace, io: ConsoleIO) -> int: ...


class ConsoleIO:
    """Where a command prints: results to stdout, messages and progress to stderr."""

    def __init__(self, color: bool | None = None) -> None:
        no_color = bool(os.environ.get("NO_COLOR")) or color is False
        self.out = Console(
            no_color=no_color,
            highlight=False,
            soft_wrap=True,
            force_terminal=True if color else None,
        )
        self.err = Console(stderr=True, no_color=no_color, highlight=False, soft_wrap=True)

    def error(self, message: str) -> None:
        """One line on stderr, prefixed with the program name."""
        self.err.print(f"vmdiff: {message}", markup=False)


def _commands(only: str | None = None) -> dict[str, CommandModule]:
    # Just the command asked for, named like its module, when it is one: importing them all
    # costs every command a tenth of a second. All of them for --help and `vmdiff A B`.
    chosen = [m for m in COMMAND_MODULES if m.rsplit(".", 1)[1] == only] or COMMAND_MODULES
    modules = [import_module(name) for name in chosen]
    return {m.NAME: m for m in modules}


def build_parser(commands: dict[str, CommandModule]) -> argparse.ArgumentParser:
    """The argument parser with one subparser per command."""
    parser = argparse.ArgumentParser(
        prog="vmdiff",
        description="Decode, compare and check QEMU live-migration streams.",
        epilog="`vmdiff A B` is short for `vmdiff diff A B`. Exit status: 0 same/ok, "
        "1 differences, 2 trouble, 3 the destination would fail or drop state.",
    )
    parser.add_argument("--version", action="version", version=f"vmdiff {__version__}")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour output (default: when stdout is a terminal and NO_COLOR is unset)",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    for name, module in commands.items():
        command_parser = sub.add_parser(name, help=module.HELP, description=module.HELP)
        module.add_arguments(command_parser)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point of the ``vmdiff`` script."""
    args_list = list(sys.argv[1:] if argv is None else argv)
    # The first word that is neither an option nor the value of --color names the command.
    words = [i for i, a in enumerate(args_list) if a == "-" or not a.startswith("-")]
    first = next((i for i in words if i == 0 or args_list[i - 1] != "--color"), None)
    commands = _commands(args_list[first] if first is not None else None)
    if first is not None and args_list[first] not in commands and DEFAULT_COMMAND in commands:
        args_list.insert(first, DEFAULT_COMMAND)
    parser = build_parser(commands)
    args = parser.parse_args(args_list)
    if args.command is None:
        parser.print_help()
        return ExitStatus.TROUBLE
    io = ConsoleIO({"auto": None, "always": True, "never": False}[args.color])
    try:
        return commands[args.command].run(args, io)
    except VmdiffError as err:
        io.error(str(err))
        return ExitStatus.TROUBLE
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        sys.stderr.close()
        return ExitStatus.TROUBLE


if __name__ == "__main__":
    sys.exit(main())
