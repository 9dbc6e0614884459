"""Build a destination profile from a domain XML and that host's QEMU: translate, run, merge.

The QEMU started from the translated command line gives a capture and a dump (as
``vmdiff profile --qemu`` does); the XML's own facts are merged in and must agree with them,
so a gap in the translation shows up as a contradiction instead of a wrong profile.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from vmdiff.compat.domain import profile_from_domain_xml
from vmdiff.compat.domain_qemu import Translation
from vmdiff.compat.from_qemu import profile_from_qemu
from vmdiff.compat.profile import DestinationProfile, Fact, ProfileError, merge_profiles
from vmdiff.qemu import QemuBinary

APPROXIMATE = "approximate:"


def profile_from_domain(
    text: str,
    origin: str,
    qemu: QemuBinary,
    translation: Translation,
    *,
    extra_args: Sequence[str] = (),
    capabilities: Sequence[str] = (),
) -> DestinationProfile:
    """Run ``qemu`` with the translation of the XML ``text`` and merge what it shows with the
    XML's facts; facts are marked approximate when elements were left out."""
    args = [*translation.args, *extra_args]
    captured = profile_from_qemu(qemu, args, capabilities=capabilities)
    captured.built_from.insert(0, f"{qemu.path} started from the translation of {origin}")
    xml = profile_from_domain_xml(text, origin)
    try:
        merged = merge_profiles([captured, xml])
    except ProfileError as err:
        raise ProfileError(
            f"{origin}: the QEMU started from the translated command line does not match the "
            f"XML, so the translation missed something: {err}"
        ) from None
    return _approximate(merged, translation.untranslated) if translation.untranslated else merged


def _approximate(profile: DestinationProfile, left_out: list[str]) -> DestinationProfile:
    """The profile with the lists a capture gave marked inferred, and why."""
    why = f"{APPROXIMATE} the translation left out {'; '.join(left_out)}"
    result = replace(profile, built_from=[*profile.built_from, why])
    result.description = f"{profile.description} ({why})"
    for name in ("ram_blocks", "sections", "checked_fields", "array_lengths"):
        fact: Fact[Any] | None = getattr(result, name)
        if fact is not None:
            setattr(result, name, replace(fact, source=f"{fact.source} ({why})", inferred=True))
    return result


def approximation_notes(profile: DestinationProfile) -> list[str]:
    """The built_from lines saying a profile is approximate, for the verdict report's notes."""
    return [
        f"the destination profile is {line}"
        for line in profile.built_from
        if line.startswith(APPROXIMATE)
    ]
