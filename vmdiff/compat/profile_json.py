"""Profiles on disk: the ``vmdiff.profile/1`` JSON document, written and read (docs/profile.md).

Reading checks every type of a hand-edited file and names the key that is wrong.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vmdiff.compat.profile import (
    ArrayLength,
    CheckedField,
    DestinationProfile,
    Fact,
    HostFacts,
    ProfileError,
    RamBlockFact,
    SectionFact,
    SubsectionFact,
    VersionRange,
    VmsdFact,
)

PROFILE_FORMAT = "vmdiff.profile/1"


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
    if not fact.complete:
        doc["complete"] = False
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
    for name, v in reader.items(doc.get("vmsds", {}), "vmsds"):
        profile.vmsds[name] = reader.vmsd(name, v)
    for key, read in _GROUPS.items():
        if key in doc:
            read(reader, reader.mapping(doc[key], key), profile)
    return profile


def _capabilities(reader: _Reader, entry: dict[str, Any], profile: DestinationProfile) -> None:
    names = reader.sequence(entry.get("value"), "capabilities.value")
    profile.capabilities = Fact(
        frozenset(map(str, names)), reader.source(entry, "capabilities"), reader.inferred(entry)
    )


def _uuid(reader: _Reader, entry: dict[str, Any], profile: DestinationProfile) -> None:
    value = entry.get("value")
    profile.uuid = Fact(
        None if value is None else str(value), reader.source(entry, "uuid"), reader.inferred(entry)
    )


def _ram_blocks(reader: _Reader, entry: dict[str, Any], profile: DestinationProfile) -> None:
    blocks = {
        name: RamBlockFact(
            name,
            reader.integer(b.get("length"), f"ram_blocks.{name}.length"),
            reader.optional_integer(b.get("guest_address"), f"ram_blocks.{name}.guest_address"),
        )
        for name, b in reader.items(entry.get("blocks", {}), "ram_blocks.blocks")
    }
    profile.ram_blocks = Fact(
        blocks, reader.source(entry, "ram_blocks"), reader.inferred(entry), reader.complete(entry)
    )


def _sections(reader: _Reader, entry: dict[str, Any], profile: DestinationProfile) -> None:
    sections = {}
    for path, s in reader.items(entry.get("sections", {}), "sections.sections"):
        fact = SectionFact(
            idstr=str(s.get("idstr", path.rsplit("[", 1)[0])),
            instance_id=reader.integer(s.get("instance_id", 0), f"sections.{path}.instance_id"),
            vmsd=None if s.get("vmsd") is None else str(s["vmsd"]),
            version_id=reader.optional_integer(s.get("version_id"), f"sections.{path}.version_id"),
        )
        sections[fact.path] = fact
    profile.sections = Fact(
        sections, reader.source(entry, "sections"), reader.inferred(entry), reader.complete(entry)
    )


def _checked_fields(reader: _Reader, entry: dict[str, Any], profile: DestinationProfile) -> None:
    checked = {}
    for path, c in reader.items(entry.get("fields", {}), "checked_fields.fields"):
        type_name = str(c.get("type", ""))
        value: int | bytes
        if type_name == "pci config":
            value = reader.hex_bytes(c.get("value"), f"checked_fields.{path}.value")
        else:
            value = reader.integer(c.get("value"), f"checked_fields.{path}.value")
        checked[path] = CheckedField(path, type_name, value)
    profile.checked_fields = Fact(checked, reader.source(entry, "checked_fields"))


def _array_lengths(reader: _Reader, entry: dict[str, Any], profile: DestinationProfile) -> None:
    arrays = {}
    for path, a in reader.items(entry.get("fields", {}), "array_lengths.fields"):
        counts = reader.sequence(a.get("count_fields", []), f"array_lengths.{path}.count_fields")
        length = reader.integer(a.get("length"), f"array_lengths.{path}.length")
        arrays[path] = ArrayLength(path, length, tuple(map(str, counts)))
    profile.array_lengths = Fact(arrays, reader.source(entry, "array_lengths"))


def _host(reader: _Reader, entry: dict[str, Any], profile: DestinationProfile) -> None:
    msrs = entry.get("msrs")
    caps = reader.mapping(entry.get("kvm_caps", {}), "host.kvm_caps")
    profile.host = HostFacts(
        source=reader.source(entry, "host"),
        msrs=None
        if msrs is None
        else frozenset(reader.integer(m, "host.msrs") for m in reader.sequence(msrs, "host.msrs")),
        kvm_caps={str(k): reader.integer(v, f"host.kvm_caps.{k}") for k, v in caps.items()},
        tsc_khz=reader.optional_integer(entry.get("tsc_khz"), "host.tsc_khz"),
    )


def _allow_ignore(reader: _Reader, entry: dict[str, Any], profile: DestinationProfile) -> None:
    names = reader.sequence(entry.get("subsections", []), "allow_ignore.subsections")
    profile.allow_ignore = Fact(frozenset(map(str, names)), reader.source(entry, "allow_ignore"))


_GROUPS: dict[str, Callable[[_Reader, dict[str, Any], DestinationProfile], None]] = {
    "capabilities": _capabilities,
    "uuid": _uuid,
    "ram_blocks": _ram_blocks,
    "sections": _sections,
    "checked_fields": _checked_fields,
    "array_lengths": _array_lengths,
    "host": _host,
    "allow_ignore": _allow_ignore,
}


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

    def inferred(self, entry: dict[str, Any]) -> bool:
        return bool(entry.get("inferred", False))

    def complete(self, entry: dict[str, Any]) -> bool:
        return bool(entry.get("complete", True))

    def hex_bytes(self, value: object, where: str) -> bytes:
        try:
            return bytes.fromhex(str(value))
        except ValueError:
            raise self.fail(where, "hex bytes", value) from None

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
