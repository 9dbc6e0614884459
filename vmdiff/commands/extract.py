"""``vmdiff extract``: write a RAM block's final memory image to a file."""

from __future__ import annotations

import argparse
import os

from vmdiff.cli import ConsoleIO
from vmdiff.commands.common import add_layout_argument, decoded, layout_from_args, report_fault
from vmdiff.decode.pages import PageReader
from vmdiff.errors import ExitStatus, InputError

NAME = "extract"
HELP = "write one RAM block's final memory image to a file (sparse where pages are zero)"


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff extract``."""
    parser.add_argument("capture", help="a migration stream file")
    parser.add_argument(
        "--ram-block",
        required=True,
        metavar="NAME",
        help="the RAM block to write, e.g. pc.ram (see `vmdiff show --ram`)",
    )
    parser.add_argument(
        "-o",
        "--output",
        required=True,
        metavar="FILE",
        help="where to write the image (created or truncated)",
    )
    add_layout_argument(parser)


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Decode with a page index, then write each page's last content at its offset."""
    with decoded(args.capture, io, layout=layout_from_args(args), index_pages=True) as capture:
        stream = capture.stream
        faulted = report_fault(stream, io)
        if stream.ram is None or args.ram_block not in stream.ram.blocks:
            known = ", ".join(stream.ram.blocks) if stream.ram else "none"
            raise InputError(f"{args.capture}: no RAM block {args.ram_block!r} (blocks: {known})")
        block = stream.ram.blocks[args.ram_block]
        reader = PageReader(capture.source.buf, block, stream.ram.page_size)
        written = _write_image(reader, args.output, block.length)
    message = f"wrote {args.output}: {block.length} bytes, {written} non-zero pages"
    if reader.unrecoverable:
        message += f"; {reader.unrecoverable} XBZRLE/corrupt pages left as zero"
    io.err.print(message, markup=False)
    return ExitStatus.TROUBLE if faulted else ExitStatus.OK


def _write_image(reader: PageReader, path: str, length: int) -> int:
    written = 0
    try:
        with open(path, "wb") as out:
            for index, content in reader.iter_pages():
                if content is not None and content.strip(b"\0"):
                    out.seek(index * reader.page_size)
                    out.write(content[: max(0, length - index * reader.page_size)])
                    written += 1
            out.truncate(length)
    except OSError as err:
        raise InputError(f"{path}: cannot write: {err.strerror}") from None
    os.utime(path)
    return written
