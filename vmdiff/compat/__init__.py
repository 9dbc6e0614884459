"""Will a stream load into a destination? Profiles of destinations, and verdicts on streams.

Imports vmdiff.model, vmdiff.layouts, vmdiff.decode (to read captures) and vmdiff.errors.
"""

from vmdiff.compat.build import load_destination, load_destinations, profile_from_stream
from vmdiff.compat.check import check
from vmdiff.compat.profile import DestinationProfile, ProfileError
from vmdiff.compat.profile_json import load_profile, save_profile
from vmdiff.compat.verdict import CheckResult, DestinationWarning, Outcome, Verdict, VerdictKind

__all__ = [
    "CheckResult",
    "DestinationProfile",
    "DestinationWarning",
    "Outcome",
    "ProfileError",
    "Verdict",
    "VerdictKind",
    "check",
    "load_destination",
    "load_destinations",
    "load_profile",
    "profile_from_stream",
    "save_profile",
]
