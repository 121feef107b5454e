"""Command line: `python -m scripts.generate [--spec PATH] [--out DIR] [--package NAME] [--update-golden]`."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from .json_checks import components
from .load import SpecError, load_spec
from .parse import parse
from .parse_security import parse_security
from .render import render, runtime_files
from .schemas import GenerationError, prepare, run_datamodel_codegen
from .typeexpr import TypeRenderer
from .write import format_sources, write_tree

REPO = Path(__file__).resolve().parents[1]
GOLDEN = REPO / "tests" / "generator" / "golden"


def display_path(spec: Path) -> str:
    """Return the spec path as given (an absolute one below the current directory is made relative), POSIX style."""
    if spec.is_absolute():
        try:
            return spec.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return spec.as_posix()
    return spec.as_posix()


def build(spec: Path, *, display: str | None = None, strict: bool = True) -> tuple[dict[str, bytes], list[SpecError]]:
    """Return the formatted generated package {relative path: bytes} and tolerated validator findings."""
    shown = display if display is not None else display_path(spec)
    document, findings = load_spec(spec, display=shown, strict=strict)
    prepared = prepare(document)
    models = run_datamodel_codegen(prepared)
    tags = parse(prepared, TypeRenderer(prepared, models))
    security = parse_security(prepared)
    openapi31 = str(prepared.get("openapi", "")).startswith("3.1.")
    bodies = [op.body for tag in tags for op in tag.operations if op.body is not None]
    refs = {name for body in bodies for name in (*body.check_refs, *(r for f in body.fields for r in f.check_refs))}
    refs |= {name for tag in tags for op in tag.operations for p in op.parameters for name in p.check_refs}
    checks = components(prepared, refs, openapi31=openapi31)
    sources = render(tags, models, security, shown, checks, openapi31=openapi31)
    return {**format_sources(sources), **runtime_files()}, findings


def generate(spec: Path, out: Path, *, display: str | None = None, strict: bool = True) -> list[str]:
    """Generate the package for `spec` into `out`; return the relative paths written or removed."""
    files, findings = build(spec, display=display, strict=strict)
    for finding in findings:
        print(f"warning: {finding}", file=sys.stderr)
    return write_tree(out, files)


def update_golden() -> None:
    """Regenerate tests/generator/golden/<case>/expected from each case's openapi.yaml."""
    for case in sorted(p for p in GOLDEN.iterdir() if (p / "openapi.yaml").is_file()):
        generate(case / "openapi.yaml", case / "expected", display="openapi.yaml")
        print(f"updated {case.relative_to(REPO)}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the generator; return 0 on success, 2 on a bad spec or an unsupported construct."""
    parser = argparse.ArgumentParser(prog="python -m scripts.generate", description=__doc__)
    parser.add_argument("--spec", type=Path, default=Path("openapi/openapi.yaml"), help="OpenAPI 3.0/3.1 document")
    parser.add_argument("--out", type=Path, default=None, help="output package directory (default generated/)")
    parser.add_argument("--package", default=None, help="package name: output goes to ./<NAME>/ unless --out is given")
    parser.add_argument("--update-golden", action="store_true", help="regenerate tests/generator/golden/*/expected")
    parser.add_argument("--lenient", action="store_true", help="report openapi-spec-validator findings as warnings")
    args = parser.parse_args(argv)
    try:
        if args.update_golden:
            update_golden()
            return 0
        out = args.out if args.out is not None else Path(args.package or "generated")
        changed = generate(args.spec, out, strict=not args.lenient)
    except SpecError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except GenerationError as exc:
        print(f"error: {display_path(args.spec)}: #: {exc}", file=sys.stderr)
        return 2
    print(f"{len(changed)} file(s) changed in {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
