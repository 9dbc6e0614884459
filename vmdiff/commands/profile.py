"""``vmdiff profile``: write a destination profile from captures, dumps, a QEMU or this host."""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from pathlib import Path

from vmdiff.cli import ConsoleIO
from vmdiff.compat import DestinationProfile, load_destination
from vmdiff.compat.build import with_qemu_version
from vmdiff.compat.domain import profile_from_domain_xml, read_domain_xml
from vmdiff.compat.domain_qemu import translate
from vmdiff.compat.from_domain import profile_from_domain
from vmdiff.compat.from_qemu import profile_from_qemu, resolve_qemu
from vmdiff.compat.host_probe import host_profile
from vmdiff.compat.profile import Fact, merge_profiles
from vmdiff.compat.profile_json import profile_to_json
from vmdiff.errors import ExitStatus, InputError

NAME = "profile"
HELP = "build a destination profile (from captures and dumps, by running its QEMU, or of this host)"
EPILOG = """\
forms:
  vmdiff profile build --capture F --dump F [--probe-host] -o PROFILE
  vmdiff profile --qemu BINARY [--capability CAP] -o PROFILE -- QEMU-ARGS...
  vmdiff profile --domain-xml DOMAIN.xml --qemu BINARY [--approximate] -o PROFILE
  vmdiff profile --domain-xml DOMAIN.xml -o PROFILE     (only the facts the XML states)
  vmdiff profile --probe-host -o PROFILE
"""


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """Arguments of ``vmdiff profile``."""
    parser.formatter_class = argparse.RawDescriptionHelpFormatter
    parser.epilog = EPILOG
    parser.add_argument(
        "words",
        nargs="*",
        metavar="build | -- QEMU-ARGS",
        help="'build' to merge the given files; after --, the destination's QEMU arguments",
    )
    parser.add_argument(
        "--capture",
        action="append",
        default=[],
        metavar="FILE",
        help="a capture made on the destination configuration (repeatable)",
    )
    parser.add_argument(
        "--dump",
        action="append",
        default=[],
        metavar="FILE",
        help="the destination QEMU's -dump-vmstate file (repeatable)",
    )
    parser.add_argument(
        "--profile",
        action="append",
        default=[],
        metavar="FILE",
        help="an existing profile to merge in (repeatable)",
    )
    parser.add_argument(
        "--probe-host",
        action="store_true",
        help="add this host's KVM facts (MSR list, capabilities, TSC frequency)",
    )
    parser.add_argument(
        "--qemu",
        metavar="BINARY",
        help="run this destination QEMU (a path, or 7.2 / 10.0) with QEMU-ARGS",
    )
    parser.add_argument(
        "--domain-xml",
        metavar="FILE",
        help="the destination's libvirt domain XML (or a save image holding one): with --qemu, "
        "translated into that QEMU's command line and run; alone, the facts it states",
    )
    parser.add_argument(
        "--approximate",
        action="store_true",
        help="with --domain-xml: leave out the elements vmdiff does not translate, and mark the "
        "profile approximate, instead of refusing",
    )
    parser.add_argument(
        "--capability",
        action="append",
        default=[],
        metavar="CAP",
        help="a migration capability the destination sets (with --qemu)",
    )
    parser.add_argument(
        "--qemu-version",
        metavar="X.Y",
        help="the destination's QEMU version, when a capture or dump guesses wrong",
    )
    parser.add_argument(
        "--allow-ignore",
        action="append",
        default=[],
        metavar="SUBSECTION",
        help="a subsection whose loss the destination's operator accepts",
    )
    parser.add_argument("--description", help="free text stored in the profile")
    parser.add_argument(
        "-o", "--output", metavar="FILE", help="write the profile here (default: standard output)"
    )


def run(args: argparse.Namespace, io: ConsoleIO) -> int:
    """Build, merge and write the profile."""
    parts = _parts(args, io)
    if not parts:
        raise InputError(
            "nothing to build from: give 'build' with --capture/--dump/--profile, "
            "--qemu BINARY -- ARGS, or --probe-host"
        )
    profile = merge_profiles(parts)
    if args.qemu_version:
        profile = with_qemu_version(profile, args.qemu_version, "--qemu-version")
    if args.allow_ignore:
        allowed = Fact(frozenset(args.allow_ignore), "vmdiff profile --allow-ignore")
        profile = merge_profiles([profile, DestinationProfile(allow_ignore=allowed)])
    if args.description:
        profile.description = args.description
    text = json.dumps(profile_to_json(profile), indent=1) + "\n"
    if args.output:
        try:
            Path(args.output).write_text(text)
        except OSError as err:
            raise InputError(f"{args.output}: cannot write: {err.strerror}") from None
        io.err.print(f"wrote {args.output}: {profile.summary()}", markup=False)
    else:
        sys.stdout.write(text)
    return ExitStatus.OK


def _parts(args: argparse.Namespace, io: ConsoleIO) -> list[DestinationProfile]:
    words = list(args.words)
    files = [*args.profile, *args.capture, *args.dump]
    if args.qemu is None:
        if words not in ([], ["build"]):
            raise InputError(
                f"unexpected arguments {' '.join(words)!r} (QEMU arguments need --qemu)"
            )
        if files and words != ["build"]:
            raise InputError("say 'vmdiff profile build' to merge --capture/--dump/--profile files")
    elif not words and args.domain_xml is None:
        raise InputError("--qemu needs the destination's QEMU arguments after --")
    parts = [load_destination(path) for path in files]
    if args.domain_xml is not None:
        parts.insert(0, _from_domain_xml(args, words, io))
    elif args.qemu is not None:
        qemu = resolve_qemu(args.qemu)
        parts.insert(0, profile_from_qemu(qemu, words, capabilities=args.capability))
    if args.probe_host:
        parts.append(host_profile())
    return parts


def _from_domain_xml(
    args: argparse.Namespace, words: list[str], io: ConsoleIO
) -> DestinationProfile:
    """The XML's facts, or (with --qemu) the profile of the QEMU its translation starts."""
    path = args.domain_xml
    text = read_domain_xml(path)
    if args.qemu is None:
        return profile_from_domain_xml(text, path)
    qemu = resolve_qemu(args.qemu)
    translation = translate(text, path)
    command = translation.command_line(str(qemu.path))
    extra = f" {shlex.join(words)}" if words else ""
    io.err.print(f"QEMU command line translated from {path}:", markup=False)
    io.err.print(f"  {command}{extra}", markup=False, soft_wrap=True)
    for note in translation.notes:
        io.err.print(f"  note: {note}", markup=False)
    if translation.untranslated:
        verb = "left out (--approximate)" if args.approximate else "not translated"
        io.err.print(f"{verb}:", markup=False)
        for item in translation.untranslated:
            io.err.print(f"  - {item}", markup=False)
        if not args.approximate:
            raise InputError(
                f"{path}: {len(translation.untranslated)} element(s) not translated (listed "
                "above): change the XML, or say --approximate to leave them out"
            )
    return profile_from_domain(
        text, path, qemu, translation, extra_args=words, capabilities=args.capability
    )
