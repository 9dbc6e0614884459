"""The CONFIGURATION record: machine type, page size, capabilities and UUID.

QEMU loads it as a VMState: first the subsections in stream order (each with its own checks),
then ``configuration_post_load`` compares the machine type, the target page bits and the
validated capabilities, reporting every capability mismatch (migration/savevm.c).
"""

from __future__ import annotations

from vmdiff.compat.build import format_uuid
from vmdiff.compat.destination import ENOENT, Destination
from vmdiff.compat.knowledge import compat_applies, compat_properties
from vmdiff.compat.verdict import Verdict, VerdictKind
from vmdiff.model import Stream

SUBJECT = "configuration"
# x86: TARGET_PAGE_BITS is 12 and, without the subsection, the legacy minimum 12 is assumed.
X86_PAGE_BITS = 12


def check_configuration(stream: Stream, dest: Destination) -> list[Verdict]:
    """Verdicts for the CONFIGURATION record, in the order QEMU checks it."""
    config = stream.configuration
    offset = config.span.start if config is not None else 8
    expects = _expects_configuration(dest)
    if config is None:
        if expects is False:
            return [_accept("configuration", "neither side uses a configuration record", offset)]
        if expects is None:
            return [
                Verdict(
                    VerdictKind.UNKNOWN,
                    SUBJECT,
                    "configuration",
                    "the stream has no configuration record; whether the destination expects "
                    "one depends on its machine type",
                    offset=offset,
                    needs="the destination's machine type",
                )
            ]
        return [
            Verdict(
                VerdictKind.REJECT,
                SUBJECT,
                "configuration",
                "the destination's machine type sends and expects a configuration record, "
                "and the stream has none",
                dest.failure_lines(dest.message("configuration_missing")),
                offset=offset,
            )
        ]
    if expects is False:
        return [
            Verdict(
                VerdictKind.REJECT,
                SUBJECT,
                "configuration",
                "the destination's machine type (2.3 or older) expects no configuration record",
                dest.failure_lines(dest.message("unknown_section_type", type=7)),
                offset=offset,
                predicted=True,
            )
        ]
    verdicts = [_subsection(name, stream, dest, offset) for name in _subsection_names(stream)]
    verdicts.append(_machine_type(config.machine_type, dest, offset))
    verdicts.append(_page_bits(config.target_page_bits, dest, offset))
    verdicts.append(_capabilities(config.capabilities or (), dest, offset))
    return verdicts


def _expects_configuration(dest: Destination) -> bool | None:
    if dest.profile.machine_type is None:
        return None
    for prop in compat_properties():
        if prop.property == "send-configuration":
            applies = compat_applies(prop, dest.profile.machine_type.value)
            return None if applies is None else not applies
    return True


def _subsection_names(stream: Stream) -> list[str]:
    assert stream.configuration is not None
    return [s.name for s in stream.configuration.subsections]


def _path(name: str) -> str:
    return name if name.startswith("configuration/") else f"configuration/{name}"


def _accept(path: str, reason: str, offset: int) -> Verdict:
    return Verdict(VerdictKind.ACCEPT, SUBJECT, path, reason, offset=offset)


def _subsection(name: str, stream: Stream, dest: Destination, offset: int) -> Verdict:
    path = _path(name)
    knowledge = dest.knowledge
    if knowledge is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            path,
            f"which configuration subsections {dest.version_label} knows",
            offset=offset,
            needs="the destination's QEMU version",
        )
    if name not in knowledge.configuration_subsections:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            path,
            f"{dest.version_label} has no configuration subsection {name}; QEMU reports only "
            "'No such file or directory'",
            dest.failure_lines(errno=ENOENT),
            offset=offset,
            predicted=True,
        )
    config = stream.configuration
    assert config is not None
    if name == "configuration/capabilities":
        unknown = [c for c in config.capabilities or () if c not in knowledge.capabilities]
        if unknown:
            return Verdict(
                VerdictKind.REJECT,
                SUBJECT,
                path,
                f"{dest.version_label} does not know the migration capability {unknown[0]}",
                dest.failure_lines(
                    dest.message("unknown_capability", name=unknown[0]),
                    dest.message(
                        "field_failed", vmsd="configuration/capabilities", field="capabilities"
                    ),
                ),
                offset=offset,
            )
        return _accept(path, f"{dest.version_label} knows every capability listed", offset)
    if name == "configuration/uuid" and config.uuid is not None:
        return _uuid(format_uuid(config.uuid), dest, offset)
    return _accept(path, f"{dest.version_label} knows this subsection", offset)


def _uuid(received: str, dest: Destination, offset: int) -> Verdict:
    path = "configuration/uuid"
    if dest.profile.uuid is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            path,
            f"the source sent its UUID {received}; whether the destination's -uuid matches is "
            "not in the profile",
            offset=offset,
            needs="the destination's -uuid (a capture made with validate-uuid records it)",
        )
    local = dest.profile.uuid.value
    if local is None:
        return _accept(path, "the destination has no UUID: QEMU only warns", offset)
    if local.lower() != received:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            path,
            f"the source's UUID {received} is not the destination's {local}",
            dest.failure_lines(dest.message("uuid_mismatch", received=received, local=local)),
            offset=offset,
        )
    return _accept(path, "the UUIDs are equal", offset)


def _machine_type(received: str, dest: Destination, offset: int) -> Verdict:
    path = "configuration/machine_type"
    machine = dest.profile.machine_type
    if machine is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            path,
            f"the source runs {received}; the profile does not say the destination's machine type",
            offset=offset,
            needs="the destination's machine type",
        )
    local = machine.value
    # QEMU compares only the received length (strncmp): a received prefix is accepted.
    if local.startswith(received):
        quirk = (
            "" if local == received else f" (QEMU compares only the first {len(received)} bytes)"
        )
        return _accept(path, f"{received} matches the destination's {local}{quirk}", offset)
    return Verdict(
        VerdictKind.REJECT,
        SUBJECT,
        path,
        f"the source runs machine type {received} and the destination {local}; machine types "
        "must match exactly",
        dest.failure_lines(dest.message("machine_type", received=received, local=local)),
        offset=offset,
    )


def _page_bits(received: int | None, dest: Destination, offset: int) -> Verdict:
    path = "configuration/target-page-bits"
    bits = X86_PAGE_BITS if received is None else received
    if bits != X86_PAGE_BITS:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            path,
            f"the source's target pages are 2^{bits} bytes, x86's are 2^{X86_PAGE_BITS}",
            dest.failure_lines(dest.message("page_bits", received=bits, local=X86_PAGE_BITS)),
            offset=offset,
        )
    return _accept(path, f"both sides use 2^{X86_PAGE_BITS}-byte target pages", offset)


def _capabilities(received: tuple[str, ...], dest: Destination, offset: int) -> Verdict:
    path = "configuration/capabilities"
    if dest.knowledge is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            path,
            "which capabilities the destination compares depends on its QEMU version",
            offset=offset,
            needs="the destination's QEMU version",
        )
    validated = dest.knowledge.validated_capabilities
    if dest.profile.capabilities is None:
        return Verdict(
            VerdictKind.UNKNOWN,
            SUBJECT,
            path,
            f"the destination must set {' and '.join(validated)} exactly as the source did "
            f"({', '.join(received) or 'none'}); the profile does not say what it sets",
            offset=offset,
            needs="the destination's migration capabilities",
        )
    local = dest.profile.capabilities.value
    lines = []
    for cap in validated:
        source_on, dest_on = cap in received, cap in local
        if source_on != dest_on:
            lines.append(
                dest.message(
                    "capability_mismatch",
                    name=cap,
                    local="on" if dest_on else "off",
                    received="on" if source_on else "off",
                )
            )
    if lines:
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            path,
            f"{' and '.join(validated)} must be set the same on both sides",
            dest.failure_lines(*lines),
            offset=offset,
        )
    state = ", ".join(c for c in validated if c in received) or "none of " + ", ".join(validated)
    return _accept(path, f"both sides have the same validated capabilities ({state})", offset)
