"""Profiles built from the real samples, for the table-driven checks."""

from __future__ import annotations

import json
from dataclasses import replace

from tests.conftest import decoded_sample, sample_path
from vmdiff.compat import CheckResult, DestinationProfile, check
from vmdiff.compat.build import profile_from_dump, profile_from_stream, with_qemu_version
from vmdiff.compat.profile import merge_profiles

_PROFILES: dict[tuple[str, ...], DestinationProfile] = {}


def sample_profile(*names: str, qemu_version: str | None = None) -> DestinationProfile:
    """The merged profile of sample captures and dumps, as ``--dest`` would build it."""
    key = (*names, qemu_version or "")
    if key not in _PROFILES:
        parts = []
        for name in names:
            if name.startswith("dump-"):
                document = json.loads(sample_path(name).read_text())
                parts.append(profile_from_dump(document, str(sample_path(name))))
            else:
                parts.append(profile_from_stream(decoded_sample(name)))
        profile = merge_profiles(parts)
        if qemu_version is not None:
            profile = with_qemu_version(profile, qemu_version, "test")
        _PROFILES[key] = profile
    return copy_profile(_PROFILES[key])


def copy_profile(profile: DestinationProfile) -> DestinationProfile:
    """A shallow copy whose top-level facts a test may replace."""
    return replace(profile, vmsds=dict(profile.vmsds))


def check_sample(source: str, profile: DestinationProfile) -> CheckResult:
    """check() of a sample stream against a profile."""
    return check(decoded_sample(source), profile)
