#!/usr/bin/env python3
"""Regenerate the README's screenshots of ``vmdiff tui`` from the real samples.

Each view is rendered headless at 120x40 with Textual, saved as SVG and turned into a PNG
with rsvg-convert (Debian's librsvg2-bin, installed by tools/install-qemu.sh):

    .venv/bin/python tools/screenshots.py            # writes docs/img/tui-*.png
    .venv/bin/python tools/screenshots.py --keep-svg # also keeps the SVGs next to them
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TEXTUAL_ANIMATIONS", "none")

from textual.pilot import Pilot  # noqa: E402

from vmdiff.decode import Capture, open_capture  # noqa: E402
from vmdiff.diff import CompareOptions  # noqa: E402
from vmdiff.tui.app import VmdiffApp  # noqa: E402
from vmdiff.tui.sources import Loaded  # noqa: E402

SAMPLES = ROOT / "samples"
OUT = ROOT / "docs" / "img"
SIZE = (120, 40)
PNG_WIDTH = 1600
Prepare = Callable[[Pilot[None]], Awaitable[None]]


def _capture(name: str, keep: list[Capture]) -> Loaded:
    capture = open_capture(str(SAMPLES / name), index_pages=True)
    keep.append(capture)
    return Loaded.of(capture)


async def _settle(pilot: Pilot[None]) -> None:
    await pilot.pause()
    await pilot.app.workers.wait_for_complete()
    await pilot.pause()
    await pilot.pause()


def _select(path: str, *, open_it: bool = False) -> Prepare:
    async def prepare(pilot: Pilot[None]) -> None:
        await _settle(pilot)
        app = pilot.app
        assert isinstance(app, VmdiffApp)
        node = app.browse.outlines["a"].find_path(path)
        if node is None:
            raise SystemExit(f"screenshots: no node {path!r} in the sample")
        app.browse.go_to_node(node)
        await pilot.pause()
        if open_it:
            await pilot.press("right")

    return prepare


async def _shoot(app: VmdiffApp, prepare: Prepare, svg: Path) -> None:
    async with app.run_test(size=SIZE) as pilot:
        await prepare(pilot)
        svg.write_text(app.export_screenshot(title="vmdiff tui"), encoding="utf-8")


def _to_png(svg: Path, png: Path) -> None:
    # rsvg-convert drops leading spaces of text runs unless told to keep white space.
    text = svg.read_text(encoding="utf-8").replace("<svg ", '<svg xml:space="preserve" ', 1)
    svg.write_text(text, encoding="utf-8")
    subprocess.run(["rsvg-convert", "-w", str(PNG_WIDTH), str(svg), "-o", str(png)], check=True)


def main() -> int:
    """Render every view and write the PNGs."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--keep-svg", action="store_true", help="keep the SVGs too")
    args = parser.parse_args()
    if shutil.which("rsvg-convert") is None:
        print("screenshots: rsvg-convert not found (apt-get install librsvg2-bin)", file=sys.stderr)
        return 2
    OUT.mkdir(parents=True, exist_ok=True)
    keep: list[Capture] = []
    with tempfile.TemporaryDirectory(prefix="vmdiff-shots-") as tmp:
        cut = Path(tmp) / "pc-7.2-cut.bin"
        cut.write_bytes((SAMPLES / "pc-7.2.bin").read_bytes()[:352000])
        views: list[tuple[str, VmdiffApp, Prepare]] = [
            (
                "tui-browse",
                VmdiffApp(_capture("pc-7.2.bin", keep)),
                _select("fw_cfg[0]", open_it=True),
            ),
            (
                "tui-compare",
                VmdiffApp(
                    _capture("pc-7.2-kvm.bin", keep),
                    _capture("pc-7.2.bin", keep),
                    options=CompareOptions(ignore_volatile=True),
                ),
                _settle,
            ),
            ("tui-broken", VmdiffApp(_capture(str(cut), keep)), _settle),
        ]
        for name, app, prepare in views:
            svg = (OUT if args.keep_svg else Path(tmp)) / f"{name}.svg"
            asyncio.run(_shoot(app, prepare, svg))
            _to_png(svg, OUT / f"{name}.png")
            print(OUT / f"{name}.png")
    for capture in keep:
        capture.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
