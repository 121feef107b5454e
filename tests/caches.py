"""Caches the test runs keep between runs, outside the source tree, in one directory per user.

Bytecode: with PYTHONDONTWRITEBYTECODE set (container images often set it) and a venv installed without compiled
bytecode, every process compiles everything it imports from source, every time: each xdist worker, uvicorn server,
`make fuzz`, Alembic or generator subprocess. That is ~40% of `import impl.app` and of a worker's collection
(measured: 1.6 s → 1.0 s of CPU, 24 s → 13.5 s), paid by hundreds of processes per run. PYTHONPYCACHEPREFIX lets
them share compiled modules and still writes nothing next to the sources, which is what the setting is for. The
cache starts from the bytecode the standard library and the venv already have (under a prefix, Python reads only the
prefix), so a new checkout does not compile its venv again.

mypy: a cold run analyses the standard library and every third-party package again (8-17 s of CPU for the tests
that run mypy; warm, well under a second). Each test type-checks with a private copy of its saved cache (mypy's
cache is not for concurrent writers, and another worker or another run may type-check at the same time) and saves
its cache back for the next run. mypy re-checks whatever changed since, as it does with any incremental cache.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import sysconfig
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

TEMP = Path(tempfile.gettempdir()).resolve()
CACHE_ROOT = TEMP / f"contract-api-test-caches-{os.getuid()}"
MYPY_CACHES = CACHE_ROOT / "mypy"


def share_bytecode_cache() -> None:
    """Make this process and its children (xdist workers included: call it before they start) cache bytecode under
    CACHE_ROOT, unless bytecode is written anyway or a cache directory is already chosen."""
    if not os.environ.get("PYTHONDONTWRITEBYTECODE") or os.environ.get("PYTHONPYCACHEPREFIX"):
        return
    prefix = CACHE_ROOT / "pycache"
    # Modules imported from temporary directories (generated packages, copies of the repo) are never imported
    # again by a later run: drop their bytecode so that the cache does not grow run after run.
    shutil.rmtree(prefix / TEMP.relative_to(TEMP.anchor), ignore_errors=True)
    for installed in sorted({sysconfig.get_path(name) for name in ("stdlib", "purelib", "platlib")}):
        _seed_bytecode(prefix, Path(installed))
    del os.environ["PYTHONDONTWRITEBYTECODE"]
    os.environ["PYTHONPYCACHEPREFIX"] = str(prefix)
    sys.dont_write_bytecode = False
    sys.pycache_prefix = str(prefix)


def _seed_bytecode(prefix: Path, installed: Path) -> None:
    """Give the cache the bytecode `installed` (the standard library, the venv's packages) already has beside its
    sources: under a prefix, Python reads only the prefix, so each new checkout's venv (`make install` compiles it)
    was compiled again, at once by every worker and server starting cold (2.7 s of CPU per process instead of 0.9).

    Done again whenever the directory changed (a package installed or removed). Files are linked or copied in under
    a temporary name and renamed, so a process of a concurrent run reads a whole file or none."""
    if not installed.is_dir():
        return
    mirror = prefix / installed.relative_to(installed.anchor)
    marker, version = mirror / ".seeded", str(installed.stat().st_mtime_ns)
    if marker.is_file() and marker.read_text() == version:
        return
    suffix = f".{sys.implementation.cache_tag}.pyc"
    for cached in installed.rglob(f"__pycache__/*{suffix}"):
        target = mirror / cached.parent.parent.relative_to(installed) / cached.name
        staged = target.with_name(f".{target.name}.{uuid.uuid4().hex}")
        try:
            target.parent.mkdir(parents=True, exist_ok=True)
            try:
                os.link(cached, staged)
            except OSError:
                shutil.copyfile(cached, staged)
            os.replace(staged, target)
        except OSError:
            staged.unlink(missing_ok=True)
    mirror.mkdir(parents=True, exist_ok=True)
    marker.write_text(version)


def seed_mypy_cache(name: str, cache: Path, *fallbacks: Path) -> None:
    """Create the mypy cache directory `cache` as a copy of the one saved as `name`, else of the first of
    `fallbacks` that exists; left absent (a cold run) when there is none or a copy fails (one being replaced)."""
    for source in (MYPY_CACHES / name, *fallbacks):
        if source.is_dir():
            try:
                shutil.copytree(source, cache)
            except (OSError, shutil.Error):
                shutil.rmtree(cache, ignore_errors=True)
            else:
                return


def save_mypy_cache(name: str, cache: Path) -> None:
    """Keep a copy of `cache` as the saved `name` for the next run: copied aside, then swapped in by renames, so
    that a concurrent seed copies either version or fails (and runs cold), never half of one."""
    MYPY_CACHES.mkdir(parents=True, exist_ok=True)
    saved, staged, old = (
        MYPY_CACHES / n for n in (name, f".{name}-{uuid.uuid4().hex}", f".{name}-old-{uuid.uuid4().hex}")
    )
    try:
        shutil.copytree(cache, staged)
        if saved.exists():
            saved.rename(old)
        staged.rename(saved)
    except OSError:
        pass  # another run saved its own meanwhile: as good as this one
    finally:
        shutil.rmtree(staged, ignore_errors=True)
        shutil.rmtree(old, ignore_errors=True)


def run_mypy(
    name: str, cache: Path, *args: str, fallbacks: Sequence[Path] = (), **run: Any
) -> subprocess.CompletedProcess[str]:
    """`python -m mypy --cache-dir <cache> <args>` (`run`: subprocess.run's options, output captured as text) from a
    copy of the cache saved as `name` (else of the first of `fallbacks` there is), once more without it if mypy
    crashes on it; the cache is saved back."""
    command = [sys.executable, "-m", "mypy", "--cache-dir", str(cache), *args]
    seed_mypy_cache(name, cache, *fallbacks)
    seeded = cache.exists()
    done = subprocess.run(command, capture_output=True, text=True, check=False, **run)
    if done.returncode not in (0, 1) and seeded:
        shutil.rmtree(cache)
        done = subprocess.run(command, capture_output=True, text=True, check=False, **run)
    if done.returncode in (0, 1):
        save_mypy_cache(name, cache)
    return done
