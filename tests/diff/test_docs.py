"""The README's "Comparing two captures" examples and docs/json-diff.md say what vmdiff does."""

from __future__ import annotations

import json
import re
import shlex

import pytest

from tests.conftest import ROOT
from vmdiff.cli import main

STATUS_SUFFIX = "; echo $?"


def _section(text: str, heading: str) -> str:
    start = text.index(f"\n{heading}\n")
    end = text.find("\n## ", start + 1)
    return text[start : end if end >= 0 else None]


def _examples() -> list[tuple[str, str]]:
    """(command, output) of every complete example; abridged ones (a line "...") are left out."""
    section = _section((ROOT / "README.md").read_text(), "## Comparing two captures")
    examples = []
    for _fence, body in re.findall(r"\n *(`{3,})console\n(.*?)\n *\1\n", section, re.S):
        lines = body.splitlines()
        indent = len(lines[0]) - len(lines[0].lstrip())
        lines = [line[indent:] for line in lines]
        starts = [i for i, line in enumerate(lines) if line.startswith("$ vmdiff ")]
        for i, start in enumerate(starts):
            end = starts[i + 1] if i + 1 < len(starts) else len(lines)
            output = lines[start + 1 : end]
            if "..." not in output:
                examples.append((lines[start][2:], "\n".join(output) + "\n"))
    return examples


EXAMPLES = _examples()


def test_the_readme_has_examples_of_every_form() -> None:
    commands = " ".join(command for command, _ in EXAMPLES)
    assert len(EXAMPLES) >= 5
    assert "--no-check" in commands and "--format markdown" in commands


@pytest.mark.parametrize(("command", "output"), EXAMPLES, ids=[c for c, _ in EXAMPLES])
def test_readme_example_is_real_output(
    command: str,
    output: str,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.chdir(ROOT)
    expected_status = None
    if command.endswith(STATUS_SUFFIX):
        command = command.removesuffix(STATUS_SUFFIX)
        *rest, status_line = output.splitlines()
        output, expected_status = "\n".join(rest) + "\n", int(status_line)
    status = main(shlex.split(command)[1:])
    assert capsys.readouterr().out == output
    if expected_status is not None:
        assert status == expected_status


def test_json_diff_doc_lists_every_top_level_key(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    doc = _section((ROOT / "docs" / "json-diff.md").read_text(), "## Top level")
    listed = set()
    for cell in re.findall(r"^\| ([^|]+) \|", doc, re.M):
        listed.update(re.findall(r"`(\w+)`", cell))
    main(["samples/pc-7.2.bin", "samples/pc-7.2-m128.bin", "--json"])
    document = json.loads(capsys.readouterr().out)
    assert document["check"]["format"] == "vmdiff.verdicts/1"
    assert listed == set(document)
