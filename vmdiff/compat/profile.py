"""DestinationProfile: what a destination accepts, each fact with where it came from.

A profile is a JSON file (format ``vmdiff.profile/1``, documented in docs/profile.md) that people
may write or edit by hand. Every group of facts carries a ``source``; facts vmdiff guessed rather
than read carry ``"inferred": true`` and give way to facts that were read.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, Generic, TypeVar

from vmdiff.errors import VmdiffError

PROFILE_FORMAT = "vmdiff.profile/1"
T = TypeVar("T")


class ProfileError(VmdiffError):
    """A profile file is malformed, or two sources of one profile contradict each other."""


@dataclass(frozen=True, slots=True)
class Fact(Generic[T]):
    """One value and where it came from."""

    value: T
    source: str
    inferred: bool = False


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
        if key in merged and merged[key] != item:
            raise ProfileError(
                f"{what} {key}: {a.source} and {b.source} disagree "
                f"({_show(merged[key])} != {_show(item)})"
            )
        merged[key] = item
    return Fact(merged, f"{a.source}; {b.source}", a.inferred and b.inferred)


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


# --- JSON ----------------------------------------------------------------------------------


def profile_to_json(profile: DestinationProfile) -> dict[str, Any]:
    """The profile as the JSON document written to disk."""
    doc: dict[str, Any] = {"format": PROFILE_FORMAT}
    if profile.description:
        doc["description"] = profile.description
    doc["built_from"] = list(profile.built_from)
    for name in ("qemu_version", "machine_type", "accel", "return_path"):
        fact = getattr(profile, name)
        if fact is not None:
            doc[name] = _fact_json(fact, fact.value)
    if profile.capabilities is not None:
        doc["capabilities"] = _fact_json(profile.capabilities, sorted(profile.capabilities.value))
    if profile.uuid is not None:
        doc["uuid"] = _fact_json(profile.uuid, profile.uuid.value)
    if profile.ram_blocks is not None:
        blocks = {
            name: {"length": hex(b.length)}
            | ({"guest_address": hex(b.guest_address)} if b.guest_address is not None else {})
            for name, b in profile.ram_blocks.value.items()
        }
        doc["ram_blocks"] = _fact_json(profile.ram_blocks, blocks, key="blocks")
    if profile.sections is not None:
        sections = {
            path: {"idstr": s.idstr, "instance_id": s.instance_id}
            | ({"vmsd": s.vmsd} if s.vmsd is not None else {})
            | ({"version_id": s.version_id} if s.version_id is not None else {})
            for path, s in profile.sections.value.items()
        }
        doc["sections"] = _fact_json(profile.sections, sections, key="sections")
    doc["vmsds"] = {name: _vmsd_json(v) for name, v in sorted(profile.vmsds.items())}
    if profile.checked_fields is not None:
        checked = {
            path: {
                "type": c.type_name,
                "value": c.value.hex() if isinstance(c.value, bytes) else c.value,
            }
            for path, c in profile.checked_fields.value.items()
        }
        doc["checked_fields"] = _fact_json(profile.checked_fields, checked, key="fields")
    if profile.array_lengths is not None:
        arrays = {
            path: {"length": a.length}
            | ({"count_fields": list(a.count_fields)} if a.count_fields else {})
            for path, a in profile.array_lengths.value.items()
        }
        doc["array_lengths"] = _fact_json(profile.array_lengths, arrays, key="fields")
    if profile.host is not None:
        host = profile.host
        doc["host"] = {"source": host.source}
        if host.msrs is not None:
            doc["host"]["msrs"] = [hex(m) for m in sorted(host.msrs)]
        if host.kvm_caps:
            doc["host"]["kvm_caps"] = dict(sorted(host.kvm_caps.items()))
        if host.tsc_khz is not None:
            doc["host"]["tsc_khz"] = host.tsc_khz
    if profile.allow_ignore is not None:
        doc["allow_ignore"] = _fact_json(
            profile.allow_ignore, sorted(profile.allow_ignore.value), key="subsections"
        )
    return doc


def _fact_json(fact: Fact[Any], value: object, key: str = "value") -> dict[str, Any]:
    doc: dict[str, Any] = {key: value, "source": fact.source}
    if fact.inferred:
        doc["inferred"] = True
    return doc


def _vmsd_json(vmsd: VmsdFact) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if len(vmsd.versions) == 1:
        doc.update(_range_json(vmsd.versions[0]))
    elif vmsd.versions:
        doc["alternatives"] = [_range_json(v) for v in vmsd.versions]
    doc["subsections"] = {name: _subsection_json(s) for name, s in sorted(vmsd.subsections.items())}
    doc["subsections_complete"] = vmsd.subsections_complete
    doc["source"] = vmsd.source
    return doc


def _range_json(version: VersionRange) -> dict[str, Any]:
    doc: dict[str, Any] = {"version_id": version.version_id}
    if version.minimum_version_id is not None:
        doc["minimum_version_id"] = version.minimum_version_id
    return doc


def _subsection_json(sub: SubsectionFact) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    if sub.version_id is not None:
        doc["version_id"] = sub.version_id
    if sub.minimum_version_id is not None:
        doc["minimum_version_id"] = sub.minimum_version_id
    if sub.seen:
        doc["seen"] = True
    return doc


def save_profile(profile: DestinationProfile, path: str | Path) -> None:
    """Write the profile as indented JSON."""
    text = json.dumps(profile_to_json(profile), indent=1) + "\n"
    try:
        Path(path).write_text(text)
    except OSError as err:
        raise ProfileError(f"{path}: cannot write profile: {err.strerror}") from None


def load_profile(path: str | Path) -> DestinationProfile:
    """Read a profile file written by ``vmdiff profile`` or by hand."""
    try:
        document = json.loads(Path(path).read_bytes())
    except OSError as err:
        raise ProfileError(f"{path}: cannot read profile: {err.strerror}") from None
    except ValueError as err:
        raise ProfileError(f"{path}: not JSON: {err}") from None
    return profile_from_json(document, str(path))


def profile_from_json(document: object, origin: str) -> DestinationProfile:
    """Parse a ``vmdiff.profile/1`` document; errors name the key that is wrong."""
    reader = _Reader(origin)
    doc = reader.mapping(document, "the document")
    if doc.get("format") != PROFILE_FORMAT:
        raise ProfileError(
            f"{origin}: 'format' must be {PROFILE_FORMAT!r}, found {doc.get('format')!r}"
        )
    profile = DestinationProfile(
        description=str(doc.get("description", "")),
        built_from=[str(x) for x in reader.sequence(doc.get("built_from", []), "built_from")],
    )
    profile.qemu_version = reader.fact(doc, "qemu_version", str)
    profile.machine_type = reader.fact(doc, "machine_type", str)
    profile.accel = reader.fact(doc, "accel", str)
    profile.return_path = reader.fact(doc, "return_path", bool)
    caps = reader.fact(doc, "capabilities", list)
    if caps is not None:
        profile.capabilities = Fact(frozenset(map(str, caps.value)), caps.source, caps.inferred)
    if "uuid" in doc:
        entry = reader.mapping(doc["uuid"], "uuid")
        uuid_value = entry.get("value")
        profile.uuid = Fact(
            None if uuid_value is None else str(uuid_value),
            reader.source(entry, "uuid"),
            bool(entry.get("inferred", False)),
        )
    if "ram_blocks" in doc:
        entry = reader.mapping(doc["ram_blocks"], "ram_blocks")
        blocks = {
            name: RamBlockFact(
                name,
                reader.integer(b.get("length"), f"ram_blocks.{name}.length"),
                reader.optional_integer(b.get("guest_address"), f"ram_blocks.{name}.guest_address"),
            )
            for name, b in reader.items(entry.get("blocks", {}), "ram_blocks.blocks")
        }
        profile.ram_blocks = Fact(
            blocks, reader.source(entry, "ram_blocks"), bool(entry.get("inferred"))
        )
    if "sections" in doc:
        entry = reader.mapping(doc["sections"], "sections")
        sections = {}
        for path, s in reader.items(entry.get("sections", {}), "sections.sections"):
            fact = SectionFact(
                idstr=str(s.get("idstr", path.rsplit("[", 1)[0])),
                instance_id=reader.integer(s.get("instance_id", 0), f"sections.{path}.instance_id"),
                vmsd=None if s.get("vmsd") is None else str(s["vmsd"]),
                version_id=reader.optional_integer(
                    s.get("version_id"), f"sections.{path}.version_id"
                ),
            )
            sections[fact.path] = fact
        profile.sections = Fact(
            sections, reader.source(entry, "sections"), bool(entry.get("inferred"))
        )
    for name, v in reader.items(doc.get("vmsds", {}), "vmsds"):
        profile.vmsds[name] = reader.vmsd(name, v)
    if "checked_fields" in doc:
        entry = reader.mapping(doc["checked_fields"], "checked_fields")
        checked = {}
        for path, c in reader.items(entry.get("fields", {}), "checked_fields.fields"):
            type_name = str(c.get("type", ""))
            raw = c.get("value")
            value: int | bytes
            if type_name == "pci config":
                try:
                    value = bytes.fromhex(str(raw))
                except ValueError:
                    raise ProfileError(
                        f"{origin}: checked_fields.{path}: value is not hex"
                    ) from None
            else:
                value = reader.integer(raw, f"checked_fields.{path}.value")
            checked[path] = CheckedField(path, type_name, value)
        profile.checked_fields = Fact(checked, reader.source(entry, "checked_fields"))
    if "array_lengths" in doc:
        entry = reader.mapping(doc["array_lengths"], "array_lengths")
        arrays = {
            path: ArrayLength(
                path,
                reader.integer(a.get("length"), f"array_lengths.{path}.length"),
                tuple(
                    map(str, reader.sequence(a.get("count_fields", []), f"array_lengths.{path}"))
                ),
            )
            for path, a in reader.items(entry.get("fields", {}), "array_lengths.fields")
        }
        profile.array_lengths = Fact(arrays, reader.source(entry, "array_lengths"))
    if "host" in doc:
        entry = reader.mapping(doc["host"], "host")
        msrs = entry.get("msrs")
        profile.host = HostFacts(
            source=reader.source(entry, "host"),
            msrs=None
            if msrs is None
            else frozenset(
                reader.integer(m, "host.msrs") for m in reader.sequence(msrs, "host.msrs")
            ),
            kvm_caps={
                str(k): reader.integer(v, f"host.kvm_caps.{k}")
                for k, v in reader.mapping(entry.get("kvm_caps", {}), "host.kvm_caps").items()
            },
            tsc_khz=reader.optional_integer(entry.get("tsc_khz"), "host.tsc_khz"),
        )
    if "allow_ignore" in doc:
        entry = reader.mapping(doc["allow_ignore"], "allow_ignore")
        names = reader.sequence(entry.get("subsections", []), "allow_ignore.subsections")
        profile.allow_ignore = Fact(
            frozenset(map(str, names)), reader.source(entry, "allow_ignore")
        )
    return profile


@dataclass(slots=True)
class _Reader:
    """Type checks for hand-edited JSON, with errors that name the offending key."""

    origin: str

    def fail(self, where: str, expected: str, found: object) -> ProfileError:
        return ProfileError(f"{self.origin}: {where}: expected {expected}, found {found!r:.60}")

    def mapping(self, value: object, where: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.fail(where, "an object", value)
        return value

    def sequence(self, value: object, where: str) -> list[Any]:
        if not isinstance(value, list):
            raise self.fail(where, "a list", value)
        return value

    def items(self, value: object, where: str) -> list[tuple[str, dict[str, Any]]]:
        return [
            (str(k), self.mapping(v, f"{where}.{k}")) for k, v in self.mapping(value, where).items()
        ]

    def integer(self, value: object, where: str) -> int:
        if isinstance(value, bool):
            raise self.fail(where, "an integer", value)
        if isinstance(value, int):
            return value
        if isinstance(value, str):
            try:
                return int(value, 0)
            except ValueError:
                pass
        raise self.fail(where, 'an integer or a "0x…" string', value)

    def optional_integer(self, value: object, where: str) -> int | None:
        return None if value is None else self.integer(value, where)

    def source(self, entry: dict[str, Any], where: str) -> str:
        source = entry.get("source")
        if not isinstance(source, str) or not source:
            raise self.fail(
                f"{where}.source", "a non-empty string saying where the fact comes from", source
            )
        return source

    def fact(self, doc: dict[str, Any], key: str, kind: type) -> Fact[Any] | None:
        if key not in doc:
            return None
        entry = self.mapping(doc[key], key)
        value = entry.get("value")
        if not isinstance(value, kind):
            raise self.fail(f"{key}.value", kind.__name__, value)
        return Fact(value, self.source(entry, key), bool(entry.get("inferred", False)))

    def vmsd(self, name: str, entry: dict[str, Any]) -> VmsdFact:
        where = f"vmsds.{name}"
        ranges: list[VersionRange] = []
        for alt in [entry] if "version_id" in entry else entry.get("alternatives", []):
            alt = self.mapping(alt, where)
            ranges.append(
                VersionRange(
                    self.integer(alt.get("version_id"), f"{where}.version_id"),
                    self.optional_integer(
                        alt.get("minimum_version_id"), f"{where}.minimum_version_id"
                    ),
                )
            )
        subsections = {
            sub: SubsectionFact(
                self.optional_integer(s.get("version_id"), f"{where}.subsections.{sub}.version_id"),
                self.optional_integer(
                    s.get("minimum_version_id"), f"{where}.subsections.{sub}.minimum_version_id"
                ),
                bool(s.get("seen", False)),
            )
            for sub, s in self.items(entry.get("subsections", {}), f"{where}.subsections")
        }
        return VmsdFact(
            name=name,
            source=self.source(entry, where),
            versions=tuple(ranges),
            subsections=subsections,
            subsections_complete=bool(entry.get("subsections_complete", False)),
        )
