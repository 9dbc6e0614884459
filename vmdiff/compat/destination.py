"""A profile together with the built-in knowledge for its QEMU version: what the rules consult."""

from __future__ import annotations

from dataclasses import dataclass

from vmdiff.compat.knowledge import (
    VersionKnowledge,
    X86Knowledge,
    version_knowledge,
    x86_knowledge,
)
from vmdiff.compat.profile import DestinationProfile, VmsdFact, fill_profile
from vmdiff.model import Section

EINVAL = "EINVAL"
ENOENT = "ENOENT"


@dataclass(slots=True)
class Destination:
    """The facts about one destination, and the texts its QEMU prints."""

    profile: DestinationProfile
    knowledge: VersionKnowledge | None
    x86: X86Knowledge

    @classmethod
    def from_profile(cls, profile: DestinationProfile) -> Destination:
        """Fill the profile's gaps with what vmdiff knows about its QEMU version."""
        version = profile.qemu_version.value if profile.qemu_version else None
        knowledge = version_knowledge(version) if version else None
        if knowledge is not None:
            profile = fill_profile(profile, knowledge.as_profile())
        return cls(profile, knowledge, x86_knowledge())

    @property
    def version_label(self) -> str:
        """ "QEMU 7.2", or "the destination QEMU" when the version is unknown."""
        return f"QEMU {self.knowledge.version}" if self.knowledge else "the destination QEMU"

    @property
    def accel(self) -> str | None:
        """ "kvm", "tcg" or None."""
        return self.profile.accel.value if self.profile.accel else None

    def message(self, key: str, **values: object) -> str | None:
        """QEMU's text for ``key`` in this version, or None without version knowledge."""
        return self.knowledge.message(key, **values) if self.knowledge else None

    def failure_lines(self, *lines: str | None, errno: str = EINVAL) -> tuple[str, ...]:
        """The lines QEMU prints for a failed load: ``lines`` then "load of migration failed"."""
        if self.knowledge is None:
            return tuple(line for line in lines if line)
        last = self.knowledge.message("load_failed", strerror=self.knowledge.strerror[errno])
        return (*(line for line in lines if line), last)

    def section_failure(
        self, section: Section, *inner: str | None, errno: str = EINVAL
    ) -> tuple[str, ...]:
        """Lines for a failure inside a section's body: the cause, then QEMU's device wrapper."""
        if section.kind in ("start", "full"):
            wrapper = self.message(
                "device_failed", instance_id=section.instance_id, idstr=section.idstr
            )
        else:
            wrapper = self.message(
                "section_id_failed", section_id=section.section_id, idstr=section.idstr
            )
        return self.failure_lines(*inner, wrapper, errno=errno)

    def vmsd(self, name: str | None) -> VmsdFact | None:
        """The destination's vmsd of this name, or None when nothing is known about it."""
        return self.profile.vmsds.get(name) if name else None

    def vmsd_for_section(self, section: Section) -> VmsdFact | None:
        """The vmsd a section's body follows on the destination."""
        name = section.vmsd_name or section.idstr.rsplit("/", 1)[-1]
        known = self.profile.find_section(section.idstr, section.instance_id)
        if known is not None and known.vmsd:
            name = known.vmsd
        return self.vmsd(name)
