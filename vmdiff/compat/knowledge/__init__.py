"""Built-in facts per QEMU version that neither a capture nor -dump-vmstate carries.

The facts live in the JSON files beside this module, each with its source; this module only
reads them. ``tests/compat/test_knowledge.py`` checks them against the real binaries and samples.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

from vmdiff.compat.profile import (
    DestinationProfile,
    SubsectionFact,
    VersionRange,
    VmsdFact,
)

KNOWN_VERSIONS = ("7.2", "10.0")


@dataclass(frozen=True, slots=True)
class CommandFact:
    """A COMMAND a version understands; ``length`` None when it is variable."""

    cmd: int
    name: str
    length: int | None


@dataclass(frozen=True, slots=True)
class ResizeableBlock:
    """A RAM block the destination may resize on load; ``max_length`` None: its own length."""

    name: str
    max_length: int | None
    source: str


@dataclass(frozen=True, slots=True)
class Validation:
    """A VMSTATE_VALIDATE check on a field: a range, or equality with an array's local length."""

    vmsd: str
    name: str
    fields: tuple[str, ...]
    source: str
    minimum: int | None = None
    maximum: int | None = None
    equals_length_of: str | None = None


@dataclass(frozen=True, slots=True)
class VersionKnowledge:
    """What one QEMU version accepts beyond what a dump says, and the texts it prints."""

    version: str
    observed_build: str
    sources: dict[str, str]
    messages: dict[str, str]
    strerror: dict[str, str]
    capabilities: tuple[str, ...]
    validated_capabilities: tuple[str, ...]
    capabilities_source: str
    configuration_subsections: dict[str, SubsectionFact]
    configuration_source: str
    commands: dict[int, CommandFact]
    commands_source: str
    ram_section_version: int
    resizeable_blocks: dict[str, ResizeableBlock]
    vmsds: dict[str, VmsdFact]
    validations: tuple[Validation, ...] = ()

    def message(self, key: str, **values: object) -> str:
        """The text QEMU prints for ``key``, filled in."""
        return self.messages[key].format(**values)

    def as_profile(self) -> DestinationProfile:
        """These facts as a profile, to fill the gaps of a real one."""
        return DestinationProfile(vmsds=dict(self.vmsds))


@dataclass(frozen=True, slots=True)
class CpuRequirement:
    """What a KVM destination needs to restore one x86 CPU subsection, and what happens without."""

    subsection: str
    kind: str  # msr | kvm_cap | cpuid | tsc | tcg_only | none
    without: str  # dropped | partial | error
    msr: int | None = None
    msr_name: str | None = None
    cap: str | None = None
    feature: str | None = None
    detail: str | None = None
    message: str | None = None


@dataclass(frozen=True, slots=True)
class CompatProperty:
    """A machine-type compat property that stops a source from sending something."""

    property: str
    object: str
    value: str
    last_version: tuple[int, int]
    stops: tuple[str, ...]
    source: str


@dataclass(frozen=True, slots=True)
class X86Knowledge:
    """Version-independent x86 facts: CPU subsection restore needs, KVM capability numbers."""

    requirements: dict[str, CpuRequirement]
    kvm_caps: dict[str, int]
    source: str


def _read(name: str) -> Any:
    return json.loads(resources.files(__package__).joinpath(name).read_text())


def nearest_version(version: str) -> str | None:
    """The known version whose facts apply to ``version`` ("7.2.22" → "7.2"), or None."""
    match = re.match(r"(\d+)\.(\d+)", version)
    if match is None:
        return None
    major_minor = f"{match[1]}.{match[2]}"
    return major_minor if major_minor in KNOWN_VERSIONS else None


@cache
def version_knowledge(version: str) -> VersionKnowledge | None:
    """The facts for QEMU ``version`` ("7.2", "10.0"), or None when vmdiff has none."""
    key = nearest_version(version)
    if key is None:
        return None
    doc = _read(f"qemu-{key}.json")
    messages = doc["messages"]
    caps = doc["migration_capabilities"]
    config = doc["configuration_subsections"]
    commands = doc["commands"]
    ram = doc["ram"]
    return VersionKnowledge(
        version=key,
        observed_build=doc["observed_build"],
        sources=dict(doc["sources"]),
        messages=dict(messages["templates"]),
        strerror=dict(messages["strerror"]),
        capabilities=tuple(caps["names"]),
        validated_capabilities=tuple(caps["validated"]),
        capabilities_source=f"{caps['source']}; {caps['validated_source']}",
        configuration_subsections={
            name: _subsection(s) for name, s in config["subsections"].items()
        },
        configuration_source=config["source"],
        commands={
            int(cmd): CommandFact(int(cmd), c["name"], c["length"])
            for cmd, c in commands["known"].items()
        },
        commands_source=commands["source"],
        ram_section_version=int(ram["section_version"]),
        resizeable_blocks={
            name: ResizeableBlock(
                name, None if b["max_length"] is None else int(b["max_length"], 0), b["source"]
            )
            for name, b in ram["resizeable_blocks"].items()
        },
        vmsds={
            name: _vmsd(name, v, f"built-in knowledge for QEMU {key}")
            for name, v in doc["vmsds"].items()
        },
        validations=tuple(
            Validation(
                vmsd=c["vmsd"],
                name=c["name"],
                fields=tuple(c["fields"]),
                source=c["source"],
                minimum=c.get("minimum"),
                maximum=c.get("maximum"),
                equals_length_of=c.get("equals_length_of"),
            )
            for c in doc["validations"]["checks"]
        ),
    )


def _subsection(entry: dict[str, Any]) -> SubsectionFact:
    return SubsectionFact(entry.get("version_id"), entry.get("minimum_version_id"))


def _vmsd(name: str, entry: dict[str, Any], origin: str) -> VmsdFact:
    return VmsdFact(
        name=name,
        source=f"{origin}: {entry['source']}; subsections: {entry['subsections_source']}",
        versions=(VersionRange(entry["version_id"], entry["minimum_version_id"]),),
        subsections={sub: _subsection(s) for sub, s in entry["subsections"].items()},
        subsections_complete=bool(entry["subsections_complete"]),
    )


@cache
def x86_knowledge() -> X86Knowledge:
    """What each x86 CPU subsection needs from a KVM destination."""
    doc = _read("x86-cpu.json")
    requirements = {}
    for name, r in doc["subsections"].items():
        requirements[name] = CpuRequirement(
            subsection=name,
            kind=r["kind"],
            without=r.get("without", "dropped"),
            msr=int(r["msr"], 0) if "msr" in r else None,
            msr_name=r.get("msr_name"),
            cap=r.get("cap"),
            feature=r.get("feature"),
            detail=r.get("detail"),
            message=r.get("message"),
        )
    return X86Knowledge(requirements, dict(doc["kvm_caps"]), doc["source"])


@cache
def compat_properties() -> tuple[CompatProperty, ...]:
    """Machine-type compat properties that stop a source from sending state."""
    doc = _read("machine-compat.json")
    return tuple(
        CompatProperty(
            property=p["property"],
            object=p["object"],
            value=p["value"],
            last_version=machine_version_tuple(p["last_version"]) or (0, 0),
            stops=tuple(p["stops"]),
            source=p["source"],
        )
        for p in doc["properties"]
    )


def machine_version_tuple(text: str) -> tuple[int, int] | None:
    """(major, minor) of a version or a versioned machine type ("pc-q35-2.11" → (2, 11))."""
    match = re.search(r"(\d+)\.(\d+)$", text)
    return (int(match[1]), int(match[2])) if match else None


def compat_applies(prop: CompatProperty, machine_type: str) -> bool | None:
    """Whether ``prop`` is in force for ``machine_type``; None for unversioned machine types."""
    version = machine_version_tuple(machine_type)
    return None if version is None else version <= prop.last_version
