"""Stage 5: format the rendered sources with ruff and write them into the output directory deterministically."""

from __future__ import annotations

import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

_RUFF_ARGS = ("--isolated", "--line-length", "120", "--target-version", "py311")
GENERATED_MARK = "by scripts/generate.py. Do not edit."


def _ruff() -> list[str]:
    exe = Path(sys.executable).with_name("ruff")
    found = str(exe) if exe.exists() else shutil.which("ruff")
    return [found] if found else [sys.executable, "-m", "ruff"]


def format_sources(files: dict[str, str]) -> dict[str, bytes]:
    """Return the sources with unused imports dropped, imports sorted and ruff-formatted (same bytes every run)."""
    with tempfile.TemporaryDirectory(prefix="generate-") as tmp:
        root = Path(tmp)
        for rel, text in files.items():
            target = root / rel
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(text, encoding="utf-8")
        ruff = _ruff()
        for args in (
            ["check", *_RUFF_ARGS, "--select", "I,F401,RUF022,RUF036,UP", "--fix", "--quiet", "--exit-zero", "."],
            ["format", *_RUFF_ARGS, "--quiet", "."],
        ):
            done = subprocess.run([*ruff, *args], cwd=root, capture_output=True, text=True, check=False)
            if done.returncode != 0:
                raise RuntimeError(f"ruff {args[0]} failed on generated code: {done.stderr.strip() or done.stdout}")
        return {rel: (root / rel).read_bytes() for rel in sorted(files)}


def write_tree(out: Path, files: dict[str, bytes]) -> list[str]:
    """Write `files` under `out`, skip unchanged ones, delete stale generated .py files; return what changed."""
    out = out.resolve()
    changed: list[str] = []
    for rel, data in sorted(files.items()):
        target = (out / rel).resolve()
        if out not in target.parents:
            raise ValueError(f"refusing to write outside {out}: {rel}")
        if target.is_file() and target.read_bytes() == data:
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        changed.append(rel)
    wanted = {(out / rel).resolve() for rel in files}
    # The runtime copies carry no header (they are byte-for-byte source), but a `runtime/` we write is wholly ours.
    runtime = out / "runtime" if any(rel.startswith("runtime/") for rel in files) else None
    for path in sorted(out.rglob("*.py")) if out.is_dir() else []:
        if path.resolve() in wanted or "__pycache__" in path.parts or path.is_symlink():
            continue
        # Only files this generator wrote are stale; anything else in the directory is left alone.
        first_line = path.read_text(encoding="utf-8", errors="replace").split("\n", 1)[0]
        if path.parent == runtime or GENERATED_MARK in first_line:
            path.unlink()
            changed.append(str(path.relative_to(out)))
    for directory in sorted((d for d in out.rglob("*") if d.is_dir() and "__pycache__" not in d.parts), reverse=True):
        if not any(p for p in directory.iterdir() if p.name != "__pycache__"):
            shutil.rmtree(directory)
    return changed
