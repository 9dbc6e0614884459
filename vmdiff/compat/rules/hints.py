"""Advice attached to verdicts: which machine-type compat property would stop the source."""

from __future__ import annotations

from vmdiff.compat.knowledge import compat_properties


def stop_hint(name: str) -> str:
    """ "; a source on a machine type X or older would not send it (…)", or "" when no compat
    property stops ``name``."""
    for prop in compat_properties():
        if name in prop.stops:
            major, minor = prop.last_version
            return (
                f"; a source on a machine type {major}.{minor} or older would not send it "
                f"({prop.object} property {prop.property}={prop.value})"
            )
    return ""
