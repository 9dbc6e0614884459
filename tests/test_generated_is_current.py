"""Check that vmdiff/decode/_generated/ is what tools/ksc/compile.mjs makes from ksy/*.ksy."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
KSY_DIR = REPO / "ksy"
GENERATED_DIR = REPO / "vmdiff" / "decode" / "_generated"
KSC_DIR = REPO / "tools" / "ksc"
COMPILE_SCRIPT = KSC_DIR / "compile.mjs"
REGENERATE = (
    "npm ci --prefix tools/ksc && "
    "node tools/ksc/compile.mjs -t python -d vmdiff/decode/_generated ksy/*.ksy"
)


def _node_or_skip() -> str:
    """Return the node executable, or skip when the compiler toolchain is not installed."""
    node = shutil.which("node")
    if node is None:
        pytest.skip("node not found: install Node.js, then run `npm ci --prefix tools/ksc`")
    for package in ("kaitai-struct-compiler", "yaml"):
        if not (KSC_DIR / "node_modules" / package).is_dir():
            pytest.skip(
                f"tools/ksc/node_modules/{package} missing: run `npm ci --prefix tools/ksc`"
            )
    return node


def _run_compiler(
    node: str, out_dir: Path, ksy_files: list[Path]
) -> subprocess.CompletedProcess[str]:
    """Run the wrapper exactly as the README's regenerate command does, into out_dir."""
    return subprocess.run(
        [node, str(COMPILE_SCRIPT), "-t", "python", "-d", str(out_dir), *map(str, ksy_files)],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _modules(directory: Path) -> dict[str, bytes]:
    """Return the generated .py files under directory by relative path, __init__.py excepted."""
    if not directory.is_dir():
        return {}
    return {
        path.relative_to(directory).as_posix(): path.read_bytes()
        for path in sorted(directory.rglob("*.py"))
        if path.name != "__init__.py" and "__pycache__" not in path.parts
    }


@pytest.fixture(scope="module")
def fresh_modules(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """Compile every ksy/*.ksy into a temp dir and return the resulting modules."""
    node = _node_or_skip()
    ksy_files = sorted(KSY_DIR.glob("*.ksy"))
    if not ksy_files:
        if _modules(GENERATED_DIR):
            return {}  # generated modules without any .ksy: all of them are stale
        pytest.skip("no ksy/*.ksy and no generated modules yet")
    out_dir = tmp_path_factory.mktemp("ksc_out")
    result = _run_compiler(node, out_dir, ksy_files)
    assert result.returncode == 0, f"compiling ksy/*.ksy failed:\n{result.stderr}"
    assert (out_dir / "__init__.py").is_file(), "compile.mjs did not create __init__.py"
    modules = _modules(out_dir)
    assert modules, f"compile.mjs wrote no modules for {[p.name for p in ksy_files]}"
    return modules


def test_generated_modules_match_ksy(fresh_modules: dict[str, bytes]) -> None:
    committed = _modules(GENERATED_DIR)
    missing = sorted(name for name in fresh_modules if name not in committed)
    differing = sorted(
        name
        for name in fresh_modules
        if name in committed and committed[name] != fresh_modules[name]
    )
    assert not missing and not differing, (
        f"vmdiff/decode/_generated is out of date (missing: {missing}, differing: {differing}); "
        f"regenerate with: {REGENERATE}"
    )


def test_generated_has_no_stale_modules(fresh_modules: dict[str, bytes]) -> None:
    stale = sorted(name for name in _modules(GENERATED_DIR) if name not in fresh_modules)
    assert not stale, (
        f"vmdiff/decode/_generated has modules that no ksy/*.ksy produces: {stale}; delete them"
    )


def test_generated_package_has_init(fresh_modules: dict[str, bytes]) -> None:
    if fresh_modules:
        assert (GENERATED_DIR / "__init__.py").is_file(), f"missing __init__.py; run: {REGENERATE}"


def test_compile_reports_error_on_one_line_and_writes_nothing(tmp_path: Path) -> None:
    node = _node_or_skip()
    bad = tmp_path / "bad.ksy"
    bad.write_text("meta:\n  id: bad\nseq:\n  - id: a\n    type: u9\n", encoding="utf-8")
    out_dir = tmp_path / "out"
    result = _run_compiler(node, out_dir, [bad])
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 1, result.stderr
    assert "unable to find type 'u9'" in lines[0]
    assert lines[0].startswith(str(bad))
    assert not out_dir.exists()
