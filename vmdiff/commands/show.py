"""``vmdiff show``: print what a capture holds."""

from __future__ import annotations

import argparse
import json
import sys
from fnmatch import fnmatchcase

from vmdiff.cli import ConsoleIO
from vmdiff.commands.common import add_layout_argument, decoded, layout_from_args, report_fault
from vmdiff.commands.show_xml import print_domain_xml
from vmdiff.decode import Capture
from vmdiff.decode.reader import OWN_VMDESC
from vmdiff.errors import ExitStatus, InputError
from vmdiff.model import Field, Section, Stream
from vmdiff.report.show_json import stream_to_json
from vmdiff.report.show_text import render_show

NAME = "show"
HELP = "print the records, device state and RAM of a capture"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff show``."""
    parser.add_argument("capture", help="a migration stream file (or - for standard input)")
    parser.add_argument("--json", action="store_true", help="one JSON document (vmdiff.show/1)")
    parser.add_argument(
        "--section",
        action="append",
        metavar="IDSTR",
        help="only sections whose idstr or path matches this glob (repeatable)",
    )
    parser.add_argument(
        "--fields", metavar="PATTERN", help="only fields whose name or path matches this glob"
    )
    parser.add_argument("--ram", action="store_true", help="more RAM statistics per block")
    parser.add_argument(
        "--xml",
        action="store_true",
        help="print the domain XML of a libvirt save image (as virsh save-image-dumpxml)",
    )
    parser.add_argument(
        "--save-vmdesc",
        metavar="FILE",
        help="also write the capture's vmdesc JSON to FILE, as a --layout for captures of the "
        "same QEMU and machine that lack one",
    )
    add_layout_argument(parser)


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Decode and print; exit 2 if decoding stopped at a fault or the stream's own vmdesc
    does not fit it."""
    with decoded(args.capture, io, layout=layout_from_args(args)) as capture:
        stream = capture.stream
        if args.save_vmdesc:
            save_vmdesc(capture, args.save_vmdesc)
    if args.xml:
        return print_domain_xml(stream, io)
    chosen = select_sections(stream, args.section)
    field_filter = None
    if args.fields:
        pattern = args.fields

        def field_filter(field: Field) -> bool:
            return fnmatchcase(field.name, pattern) or fnmatchcase(field.path, pattern)

    if args.json:
        document = stream_to_json(stream, chosen)
        # Indented for a person at a terminal; compact (and encoded in C, 5x faster) for a pipe.
        print(json.dumps(document, indent=1 if sys.stdout.isatty() else None))
    else:
        paths = None if chosen is None else {s.path for s in chosen}
        render_show(stream, io.out, sections=paths, field_filter=field_filter, ram_detail=args.ram)
    if report_fault(stream, io) or report_contradiction(stream, io):
        return ExitStatus.TROUBLE
    return ExitStatus.OK


def save_vmdesc(capture: Capture, path: str) -> None:
    """Write the capture's vmdesc JSON, byte for byte, to ``path``."""
    vmdesc = capture.stream.vmdesc
    if vmdesc is None or vmdesc.json is None:
        raise InputError(f"{capture.stream.path}: no vmdesc to save (none, or not valid JSON)")
    json_start = vmdesc.span.start + 5  # after 0x06 and the be32 length
    try:
        with open(path, "wb") as out:
            out.write(capture.read(json_start, vmdesc.span.end - json_start))
    except OSError as err:
        raise InputError(f"{path}: cannot write: {err.strerror}") from None


def report_contradiction(stream: Stream, io: ConsoleIO) -> bool:
    """One line if the stream's own vmdesc does not fit a body; True if it does not."""
    wrong = [
        s
        for s in stream.iter_sections()
        if s.problem is not None
        and s.problem.actual_end is not None
        and s.layout_source == OWN_VMDESC
    ]
    if not wrong:
        return False
    first = wrong[0]
    assert first.problem is not None and first.problem.actual_end is not None
    where = f"in {first.path}"
    if first.problem.expected_end is not None:
        where += f", whose footer is at {first.problem.expected_end:#x}"
    more = f"; {len(wrong) - 1} more sections do not fit" if len(wrong) > 1 else ""
    io.error(
        f"{stream.path}: offset {first.problem.actual_end:#x}: {first.problem.message} "
        f"({where}){more}"
    )
    return True


def select_sections(stream: Stream, patterns: list[str] | None) -> list[Section] | None:
    """The sections whose idstr or path matches one of the globs, or None for all."""
    if not patterns:
        return None
    return [
        s
        for s in stream.iter_sections()
        if any(fnmatchcase(s.idstr, p) or fnmatchcase(s.path, p) for p in patterns)
    ]
