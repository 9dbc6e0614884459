"""DestinationProfile: what a destination accepts, each fact with where it came from, and how
profiles from several sources merge.

On disk a profile is JSON (``vmdiff.profile/1``, vmdiff.compat.profile_json, docs/profile.md).
Every group of facts carries a ``source``; facts vmdiff guessed rather than read are
``inferred`` and give way to facts that were read.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields, replace
from typing import Generic, TypeVar

from vmdiff.errors import VmdiffError

T = TypeVar("T")


class ProfileError(VmdiffError):
    """A profile file is malformed, or two sources of one profile contradict each other."""


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """One value and where it came from.

    ``complete`` matters for lists (RAM blocks, sections): False when the list names only some
    of the destination's items (a domain XML says pc.ram, not the option ROMs).
    """

    value: T
    source: str
    inferred: bool = False
    complete: bool = True


@dataclass(frozen=True, slots=True)
class RamBlockFact:
    """A RAM block the destination has, with its used length (and address under x-ignore-shared)."""

    name: str
    length: int
    guest_address: int | None = None


@dataclass(frozen=True, slots=True)
class SectionFact:
    """A section the destination registers: (idstr, instance_id), its vmsd and version_id."""

    idstr: str
    instance_id: int
    vmsd: str | None = None
    version_id: int | None = None

    @property
    def path(self) -> str:
        """``idstr[instance_id]``, the key verdicts use."""
        return f"{self.idstr}[{self.instance_id}]"


@dataclass(frozen=True, slots=True)
class SubsectionFact:
    """A subsection a vmsd accepts; ``seen`` when the destination itself sent it."""

    version_id: int | None = None
    minimum_version_id: int | None = None
    seen: bool = False


@dataclass(frozen=True, slots=True)
class VersionRange:
    """version_id and minimum_version_id of one vmsd (minimum None when unknown)."""

    version_id: int
    minimum_version_id: int | None = None


@dataclass(frozen=True, slots=True)
class VmsdFact:
    """What the destination's vmsd of this name accepts.

    ``versions`` has more than one entry when several vmsds share the name (a -dump-vmstate
    file lists e.g. an ISA and a PCI "ne2000"). ``subsections_complete`` says whether the
    subsection list is the whole list (from a dump or built-in knowledge) or only what a
    capture happened to send.
    """

    name: str
    source: str
    versions: tuple[VersionRange, ...] = ()
    subsections: dict[str, SubsectionFact] = field(default_factory=dict)
    subsections_complete: bool = False


@dataclass(frozen=True, slots=True)
class CheckedField:
    """A field whose value the destination compares with its own (PCI config, "equal" types)."""

    path: str
    type_name: str
    value: int | bytes


@dataclass(frozen=True, slots=True)
class ArrayLength:
    """How many elements the destination's array field holds.

    ``count_fields`` are the earlier fields of the same struct whose value equals that length
    in the destination's capture: when the source's copy of one of them also equals the
    source's length, the count travels in the stream and the destination reads it from there.
    """

    path: str
    length: int
    count_fields: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class HostFacts:
    """The destination host's KVM: the MSRs it lists and its capabilities."""

    source: str
    msrs: frozenset[int] | None = None
    kvm_caps: dict[str, int] = field(default_factory=dict)
    tsc_khz: int | None = None


@dataclass(slots=True)
class DestinationProfile:
    """Everything vmdiff knows about one destination; unset fields mean "not known"."""

    description: str = ""
    built_from: list[str] = field(default_factory=list)
    qemu_version: Fact[str] | None = None
    machine_type: Fact[str] | None = None
    accel: Fact[str] | None = None
    capabilities: Fact[frozenset[str]] | None = None
    uuid: Fact[str | None] | None = None
    return_path: Fact[bool] | None = None
    ram_blocks: Fact[dict[str, RamBlockFact]] | None = None
    sections: Fact[dict[str, SectionFact]] | None = None
    vmsds: dict[str, VmsdFact] = field(default_factory=dict)
    checked_fields: Fact[dict[str, CheckedField]] | None = None
    array_lengths: Fact[dict[str, ArrayLength]] | None = None
    host: HostFacts | None = None
    allow_ignore: Fact[frozenset[str]] | None = None

    def find_section(self, idstr: str, instance_id: int) -> SectionFact | None:
        """The destination's section for (idstr, instance_id), or None."""
        if self.sections is None:
            return None
        return self.sections.value.get(f"{idstr}[{instance_id}]")

    def summary(self) -> str:
        """One line naming the destination, e.g. "QEMU 7.2, pc-i440fx-7.2, kvm"."""
        parts = [
            f"QEMU {self.qemu_version.value}" if self.qemu_version else "QEMU version unknown",
            self.machine_type.value if self.machine_type else "machine type unknown",
            self.accel.value if self.accel else "accelerator unknown",
        ]
        return ", ".join(parts)


# --- merging -------------------------------------------------------------------------------


def merge_profiles(profiles: list[DestinationProfile]) -> DestinationProfile:
    """One profile holding every fact of ``profiles``; raise ProfileError on a contradiction.

    A fact that was read beats one that was inferred; two read facts must agree.
    """
    if not profiles:
        return DestinationProfile()
    merged = profiles[0]
    for other in profiles[1:]:
        merged = _merge_two(merged, other)
    return merged


def fill_profile(profile: DestinationProfile, defaults: DestinationProfile) -> DestinationProfile:
    """``profile`` with gaps filled from ``defaults`` (built-in knowledge); never a conflict."""
    result = replace(profile)
    for name in ("qemu_version", "machine_type", "accel", "capabilities", "uuid", "return_path"):
        if getattr(result, name) is None:
            setattr(result, name, getattr(defaults, name))
    vmsds = dict(defaults.vmsds)
    for name, vmsd in profile.vmsds.items():
        vmsds[name] = _merge_vmsd(vmsd, defaults.vmsds[name]) if name in defaults.vmsds else vmsd
    result.vmsds = vmsds
    return result


def _merge_two(a: DestinationProfile, b: DestinationProfile) -> DestinationProfile:
    result = DestinationProfile(
        description="; ".join(d for d in (a.description, b.description) if d),
        built_from=[*a.built_from, *b.built_from],
    )
    for name in ("qemu_version", "machine_type", "accel", "capabilities", "uuid", "return_path"):
        setattr(result, name, _merge_fact(name, getattr(a, name), getattr(b, name)))
    result.allow_ignore = _union_fact(a.allow_ignore, b.allow_ignore)
    result.ram_blocks = _merge_mapping("RAM block", a.ram_blocks, b.ram_blocks)
    result.sections = _merge_mapping("section", a.sections, b.sections)
    result.checked_fields = _merge_mapping("checked field", a.checked_fields, b.checked_fields)
    result.array_lengths = _merge_mapping("array", a.array_lengths, b.array_lengths)
    vmsds = dict(a.vmsds)
    for name, vmsd in b.vmsds.items():
        vmsds[name] = _merge_vmsd(vmsds[name], vmsd) if name in vmsds else vmsd
    result.vmsds = vmsds
    result.host = _merge_host(a.host, b.host)
    return result


def _merge_fact(name: str, a: Fact[T] | None, b: Fact[T] | None) -> Fact[T] | None:
    if a is None or b is None:
        return a or b
    if a.value == b.value:
        return b if a.inferred and not b.inferred else a
    if a.inferred != b.inferred:
        return b if a.inferred else a
    if a.inferred:
        return a
    raise ProfileError(
        f"{name}: {_show(a.value)} ({a.source}) contradicts {_show(b.value)} ({b.source})"
    )


def _union_fact(
    a: Fact[frozenset[str]] | None, b: Fact[frozenset[str]] | None
) -> Fact[frozenset[str]] | None:
    if a is None or b is None:
        return a or b
    return Fact(a.value | b.value, f"{a.source}; {b.source}")


M = TypeVar("M", RamBlockFact, SectionFact, CheckedField, ArrayLength)


def _merge_mapping(
    what: str, a: Fact[dict[str, M]] | None, b: Fact[dict[str, M]] | None
) -> Fact[dict[str, M]] | None:
    if a is None or b is None:
        return a or b
    merged = dict(a.value)
    for key, item in b.value.items():
        known = merged.get(key)
        together = item if known is None else _merge_item(known, item)
        if together is None:
            raise ProfileError(
                f"{what} {key}: {a.source} and {b.source} disagree "
                f"({_show(known)} != {_show(item)})"
            )
        merged[key] = together
    for whole, part in ((a, b), (b, a)):
        missing = sorted(set(part.value) - set(whole.value))
        if whole.complete and not part.complete and missing:
            raise ProfileError(
                f"{what} {missing[0]}: {part.source} lists it, {whole.source} (the whole list) "
                "does not"
            )
    complete = a.complete or b.complete
    return Fact(merged, f"{a.source}; {b.source}", a.inferred and b.inferred, complete)


def _merge_item(a: M, b: M) -> M | None:
    """One item from two that agree wherever both know a value (None = not known), else None."""
    values = {}
    for item_field in fields(a):
        mine, theirs = getattr(a, item_field.name), getattr(b, item_field.name)
        if mine is not None and theirs is not None and mine != theirs:
            return None
        values[item_field.name] = theirs if mine is None else mine
    return replace(a, **values)


def _merge_vmsd(a: VmsdFact, b: VmsdFact) -> VmsdFact:
    versions = list(a.versions)
    for candidate in b.versions:
        same = [v for v in versions if v.version_id == candidate.version_id]
        if not same:
            versions.append(candidate)
        elif same[0].minimum_version_id is None:
            versions[versions.index(same[0])] = candidate
    subsections = dict(b.subsections)
    for name, sub in a.subsections.items():
        other = subsections.get(name)
        subsections[name] = sub if other is None else _merge_subsection(sub, other)
    return VmsdFact(
        name=a.name,
        source=a.source if a.source == b.source else f"{a.source}; {b.source}",
        versions=tuple(versions),
        subsections=subsections,
        subsections_complete=a.subsections_complete or b.subsections_complete,
    )


def _merge_subsection(a: SubsectionFact, b: SubsectionFact) -> SubsectionFact:
    return SubsectionFact(
        version_id=a.version_id if a.version_id is not None else b.version_id,
        minimum_version_id=(
            a.minimum_version_id if a.minimum_version_id is not None else b.minimum_version_id
        ),
        seen=a.seen or b.seen,
    )


def _merge_host(a: HostFacts | None, b: HostFacts | None) -> HostFacts | None:
    if a is None or b is None:
        return a or b
    return HostFacts(
        source=f"{a.source}; {b.source}",
        msrs=a.msrs if a.msrs is not None else b.msrs,
        kvm_caps={**b.kvm_caps, **a.kvm_caps},
        tsc_khz=a.tsc_khz if a.tsc_khz is not None else b.tsc_khz,
    )


def _show(value: object) -> str:
    if isinstance(value, frozenset):
        return "[" + ", ".join(sorted(value)) + "]"
    return repr(value)
