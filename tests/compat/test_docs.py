"""docs/profile.md documents every key the profile and verdict documents carry."""

from __future__ import annotations

import json
import re

from tests.compat.helpers import check_sample, sample_profile
from tests.conftest import ROOT
from vmdiff.compat.profile import Fact, HostFacts
from vmdiff.compat.profile_json import profile_from_json, profile_to_json
from vmdiff.report.verdict_json import check_to_json

DOC = (ROOT / "docs" / "profile.md").read_text()
DOCUMENTED = set(re.findall(r"`([a-z_]+)(?:\.[a-z_]+)?`", DOC))


def test_every_profile_key_is_documented() -> None:
    profile = sample_profile("pc-10.0-ignore-shared", "dump-10.0-pc-i440fx-10.0")
    profile.host = HostFacts("test", frozenset({0x34}), {"KVM_CAP_TSC_CONTROL": 0}, 2_000_000)
    profile.allow_ignore = Fact(frozenset({"cpu/msr_smi_count"}), "test")
    profile.return_path = Fact(False, "test")
    document = profile_to_json(profile)
    assert set(document) - DOCUMENTED == set()
    for key in ("host", "vmsds"):
        entry = document[key] if key == "host" else document[key]["fw_cfg"]
        assert set(entry) - DOCUMENTED - {"source"} == set(), key


def test_every_verdicts_key_is_documented() -> None:
    document = check_to_json(check_sample("pc-7.2-e1000", sample_profile("pc-7.2")))
    assert set(document) - DOCUMENTED == set()
    assert set(document["first_failure"]) - DOCUMENTED == set()
    assert set(document["verdicts"][0]) - DOCUMENTED == set()


def test_the_documented_example_profile_parses() -> None:
    block = DOC.split("```json\n", 1)[1].split("```", 1)[0]
    profile = profile_from_json(json.loads(block), "docs/profile.md")
    assert profile.host is not None and profile.host.msrs == frozenset({0x10, 0x34})
    assert profile.vmsds["fw_cfg"].subsections["fw_cfg/dma"].seen
