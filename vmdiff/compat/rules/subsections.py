"""Subsections: does the destination's vmsd know each one the source sent, at that version?

QEMU looks a subsection up by name in the parent vmsd's list; an unknown name fails the load
with ENOENT and, in 7.2 and 10.0, no message naming it (migration/vmstate.c
vmstate_subsection_load). Subsections also sit inside struct fields, so the walk goes through a
section's fields in wire order, checking the values the destination compares on the way.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass

from vmdiff.compat.destination import ENOENT, Destination
from vmdiff.compat.profile import VmsdFact
from vmdiff.compat.rules.hints import stop_hint
from vmdiff.compat.rules.host import restore_verdict
from vmdiff.compat.rules.lengths import check_length
from vmdiff.compat.rules.values import check_validation, check_value
from vmdiff.compat.verdict import Verdict, VerdictKind
from vmdiff.layouts import FieldLayout, StreamLayout, VmsdLayout
from vmdiff.model import Field, Section, Subsection

SUBJECT = "subsection"
_DUPLICATE_SUFFIX = re.compile(r"\[\d+\]$")

Chain = tuple[tuple[str, str], ...]
"""Enclosing struct fields as (vmsd name, field name), outermost first."""


@dataclass(slots=True)
class SectionWalk:
    """Walks one section's body in wire order and collects the verdicts for what it holds."""

    section: Section
    dest: Destination
    layout: StreamLayout | None

    def verdicts(self) -> list[Verdict]:
        """Field-value and subsection verdicts, in the order QEMU meets them."""
        root = (
            self.layout.for_section(self.section.idstr, self.section.instance_id)
            if self.layout
            else None
        )
        container = self.section.vmsd_name or (root.name if root else None)
        found = list(self._fields(self.section.fields, root, container, ()))
        found += self._subsections(self.section.subsections, root, container, ())
        return found

    def _fields(
        self,
        fields: tuple[Field, ...],
        vmsd_layout: VmsdLayout | None,
        container: str | None,
        chain: Chain,
    ) -> Iterator[Verdict]:
        layouts = {f.display_name: f for f in vmsd_layout.fields} if vmsd_layout else {}
        for index, field in enumerate(fields):
            layout = layouts.get(field.name)
            for verdict in (
                check_validation(field, container, chain, self.section, self.dest),
                check_length(field, fields[:index], self.section, self.dest),
                check_value(field, container, chain, self.section, self.dest),
            ):
                if verdict is not None:
                    yield verdict
            yield from self._inside(field, layout, container, chain)

    def _inside(
        self, field: Field, layout: FieldLayout | None, container: str | None, chain: Chain
    ) -> Iterator[Verdict]:
        struct = layout.vmsd if layout is not None else None
        step = (container or "?", _qemu_field_name(layout.name if layout else field.name))
        is_array = layout is not None and layout.array_len is not None
        if is_array or field.type_name in ("qtailq", "qlist"):
            for element in field.children:
                yield from self._struct(element, struct, (*chain, step))
            return
        if field.children or field.subsections:
            yield from self._struct(field, struct, (*chain, step))

    def _struct(self, field: Field, struct: VmsdLayout | None, chain: Chain) -> Iterator[Verdict]:
        name = struct.name if struct is not None else None
        yield from self._fields(field.children, struct, name, chain)
        yield from self._subsections(field.subsections, struct, name, chain)

    def _subsections(
        self,
        subsections: tuple[Subsection, ...],
        parent_layout: VmsdLayout | None,
        parent: str | None,
        chain: Chain,
    ) -> list[Verdict]:
        found: list[Verdict] = []
        for sub in subsections:
            found.append(self._subsection(sub, parent, chain))
            sub_layout = parent_layout.find_subsection(sub.name) if parent_layout else None
            if sub_layout is None and self.layout is not None:
                sub_layout = self.layout.find_vmsd(sub.name)
            found += self._fields(sub.fields, sub_layout, sub.name, chain)
            found += self._subsections(sub.subsections, sub_layout, sub.name, chain)
        return found

    def _subsection(self, sub: Subsection, parent: str | None, chain: Chain) -> Verdict:
        dest = self.dest
        offset = sub.span.start
        vmsd = self._parent_vmsd(sub.name, parent)
        if vmsd is None:
            return Verdict(
                VerdictKind.UNKNOWN,
                SUBJECT,
                sub.path,
                f"nothing is known about the destination's {parent or 'parent'} vmsd",
                offset=offset,
                needs=f"the destination's subsections of {parent}: add its -dump-vmstate",
            )
        known = vmsd.subsections.get(sub.name)
        if known is None:
            if not vmsd.subsections_complete:
                return Verdict(
                    VerdictKind.UNKNOWN,
                    SUBJECT,
                    sub.path,
                    f"the destination's capture did not send {sub.name}, and nothing lists all of "
                    f"{vmsd.name}'s subsections",
                    offset=offset,
                    needs=f"the full subsection list of {vmsd.name}: add the destination's "
                    "-dump-vmstate",
                )
            return self._unknown_name(sub, vmsd, chain)
        version = sub.version_id & 0xFF  # QEMU reads the be32 version into a uint8_t
        if known.version_id is None:
            return Verdict(
                VerdictKind.UNKNOWN,
                SUBJECT,
                sub.path,
                f"the destination knows {sub.name} but its version is not in the profile",
                offset=offset,
                needs=f"the version of {sub.name}: add the destination's -dump-vmstate",
            )
        lines: tuple[str, ...] = ()
        if version > known.version_id:
            lines = self._failure(
                chain,
                dest.message(
                    "vmsd_too_new", vmsd=sub.name, version=version, local=known.version_id
                ),
            )
        elif known.minimum_version_id is not None and version < known.minimum_version_id:
            lines = self._failure(
                chain,
                dest.message(
                    "vmsd_too_old", vmsd=sub.name, version=version, minimum=known.minimum_version_id
                ),
            )
        if lines:
            accepted = f"{known.minimum_version_id or '?'}..{known.version_id}"
            return Verdict(
                VerdictKind.REJECT,
                SUBJECT,
                sub.path,
                f"the source sends {sub.name} version {version}, the destination loads {accepted}",
                lines,
                offset=offset,
            )
        restored = restore_verdict(sub, vmsd, self.section, dest)
        if restored is not None:
            return restored
        return Verdict(
            VerdictKind.ACCEPT,
            SUBJECT,
            sub.path,
            f"the destination's {vmsd.name} knows {sub.name} (version {known.version_id})",
            offset=offset,
        )

    def _unknown_name(self, sub: Subsection, vmsd: VmsdFact, chain: Chain) -> Verdict:
        dest = self.dest
        hint = stop_hint(sub.name)
        allowed = dest.profile.allow_ignore
        if allowed is not None and sub.name in allowed.value:
            return Verdict(
                VerdictKind.IGNORE,
                SUBJECT,
                sub.path,
                f"allowed by the profile ({allowed.source}): the destination's {vmsd.name} has no "
                f"subsection {sub.name}, and the operator accepts losing it; stock QEMU has no "
                "such switch and fails here with 'No such file or directory'",
                offset=sub.span.start,
                needs=f"subsection {sub.name} in the destination's {vmsd.name}",
            )
        return Verdict(
            VerdictKind.REJECT,
            SUBJECT,
            sub.path,
            f"the destination's {vmsd.name} has no subsection {sub.name}; QEMU prints only "
            f"'No such file or directory' and does not name it{hint}",
            self._failure(chain, errno=ENOENT),
            offset=sub.span.start,
        )

    def _failure(self, chain: Chain, *cause: str | None, errno: str = "EINVAL") -> tuple[str, ...]:
        dest = self.dest
        wrapped = [
            dest.message("field_failed", vmsd=vmsd, field=field) for vmsd, field in reversed(chain)
        ]
        return dest.section_failure(self.section, *cause, *wrapped, errno=errno)

    def _parent_vmsd(self, name: str, parent: str | None) -> VmsdFact | None:
        vmsd = self.dest.vmsd(parent)
        if vmsd is not None:
            return vmsd
        # Without a layout naming the parent struct, use the longest destination vmsd name that
        # prefixes the subsection's name: QEMU only accepts subsections whose name starts so.
        candidates = [
            v for n, v in self.dest.profile.vmsds.items() if name.startswith(n) and n != name
        ]
        listing = [v for v in candidates if name in v.subsections]
        pool = listing or candidates
        return max(pool, key=lambda v: len(v.name)) if pool else None


def _qemu_field_name(name: str) -> str:
    # vmdesc numbers fields that share a name ("config[0]"); QEMU's messages use the bare name.
    return _DUPLICATE_SUFFIX.sub("", name)


def section_walk(section: Section, dest: Destination, layout: StreamLayout | None) -> list[Verdict]:
    """Verdicts for the values and subsections inside one section."""
    return SectionWalk(section, dest, layout).verdicts()
