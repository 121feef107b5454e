"""Breaking-change report between the contract at a git ref and the working tree's: `python -m scripts.contract_diff`.

Exit status: 0 when nothing breaks (or the major version was bumped), 1 on a breaking change, 2 when a contract
cannot be read.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

from .diff_model import Finding
from .diff_operations import diff_contracts
from .load import SpecError, load_spec

ROOT = Path(__file__).resolve().parents[1]
CONTRACT = "openapi/openapi.yaml"
_SEMVER = re.compile(r"^v?(\d+)\.(\d+)(?:\.(\d+))?")


def main(argv: list[str] | None = None) -> int:
    """Print the report and return the exit status."""
    parser = argparse.ArgumentParser(prog="python -m scripts.contract_diff", description=__doc__.splitlines()[0])
    parser.add_argument("--base", metavar="REF", help=f"git ref whose {CONTRACT} is the base contract")
    parser.add_argument("--base-file", type=Path, help="read the base contract from this file instead of git")
    parser.add_argument(
        "--head-file", type=Path, default=ROOT / CONTRACT, help=f"the head contract (default {CONTRACT})"
    )
    args = parser.parse_args(argv)
    if args.base is None and args.base_file is None:
        parser.error("give --base REF or --base-file PATH")
    try:
        if args.base_file is not None:
            base_name = str(args.base_file)
            base = _load(args.base_file, base_name)
        else:
            base_name = f"{args.base}:{CONTRACT}"
            base = _load_from_git(args.base)
        head = _load(args.head_file, str(args.head_file))
    except SpecError as exc:
        print(f"contract-diff: {exc}", file=sys.stderr)
        return 2
    findings = diff_contracts(base, head)
    print(report(findings, base, head, base_name, str(args.head_file)))
    return 1 if findings and not major_bumped(_version(base), _version(head)) else 0


def report(findings: list[Finding], base: dict[str, Any], head: dict[str, Any], base_name: str, head_name: str) -> str:
    """Return the human-readable report: a header, one line per finding and the verdict."""
    old, new = _version(base), _version(head)
    lines = [f"contract-diff: {base_name} (version {old}) -> {head_name} (version {new})"]
    lines += [f"BREAKING {finding.line()}" for finding in findings]
    if not findings:
        lines.append("No breaking changes.")
        return "\n".join(lines)
    lines.append(f"{len(findings)} breaking change(s).")
    if major_bumped(old, new):
        lines.append(f"info.version {old} -> {new} is a major bump (SemVer §4: for 0.x, a minor one): not failing.")
    else:
        lines.append(f"info.version {old} -> {new} is not a major bump: failing (bump it if the break is intended).")
    return "\n".join(lines)


def major_bumped(old: str, new: str) -> bool:
    """Return True when `new` raises `old`'s major version; for 0.x a minor raise counts (SemVer §4)."""
    before, after = _SEMVER.match(old), _SEMVER.match(new)
    if before is None or after is None:
        return False
    old_major, old_minor = int(before.group(1)), int(before.group(2))
    new_major, new_minor = int(after.group(1)), int(after.group(2))
    if old_major == 0:
        return new_major > 0 or new_minor > old_minor
    return new_major > old_major


def _version(spec: dict[str, Any]) -> str:
    info = spec.get("info")
    return str(info.get("version", "?")) if isinstance(info, dict) else "?"


def _load(path: Path, name: str) -> dict[str, Any]:
    # Not strict: a contract the validator rejects can still be compared; `make lint-contract` owns validity.
    spec, problems = load_spec(path, display=name, strict=False)
    for problem in problems:
        print(f"contract-diff: warning: {problem}", file=sys.stderr)
    return spec


def _load_from_git(ref: str) -> dict[str, Any]:
    name = f"{ref}:{CONTRACT}"
    shown = subprocess.run(["git", "show", name], cwd=ROOT, capture_output=True, text=True, check=False)
    if shown.returncode != 0:
        raise SpecError(name, "#", f"git show failed: {shown.stderr.strip()}")
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "openapi.yaml"
        path.write_text(shown.stdout, encoding="utf-8")
        return _load(path, name)


if __name__ == "__main__":
    sys.exit(main())
