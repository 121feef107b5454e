"""Validate the Kubernetes manifests offline: each against the JSON schema of a pinned Kubernetes version.

`python -m scripts.lint_deploy [--kubernetes-version 1.35.0] [DIR]` (`make lint-deploy`) checks every `*.yaml` of DIR
(default deploy/kubernetes) with kubernetes-validate's bundled schemas in strict mode: a wrong type, a missing
required field and an unknown field are errors, and so is a kind or apiVersion the version does not know (the
validator's own command line only warns about those). `kustomization.yaml` has no Kubernetes schema: it is checked
to list every manifest of DIR (but `*.example.yaml`, applied by hand) and nothing else. Exit 1 on any finding.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Hashable
from pathlib import Path
from typing import Any

import kubernetes_validate  # type: ignore[import-untyped]  # ships no type information
import yaml

DEFAULT_DIR = Path(__file__).resolve().parent.parent / "deploy" / "kubernetes"
DEFAULT_VERSION = "1.35.0"
KUSTOMIZATION = "kustomization.yaml"
EXAMPLE_SUFFIX = ".example.yaml"


class _UniqueKeyLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys silently; the API server's decoder refuses them, and so does this."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Hashable, Any]:
        seen: set[Hashable] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    "while constructing a mapping", node.start_mark, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def load_documents(path: Path) -> list[Any]:
    """The YAML documents of `path` (empty ones dropped); raises yaml.YAMLError on bad YAML or a duplicate key."""
    return [doc for doc in yaml.load_all(path.read_text(), Loader=_UniqueKeyLoader) if doc is not None]


def manifests(directory: Path) -> list[Path]:
    """Every Kubernetes manifest of `directory`: its `*.yaml` files but the kustomization."""
    return sorted(p for p in directory.glob("*.yaml") if p.name != KUSTOMIZATION)


def validate_document(document: Any, version: str) -> str | None:
    """Why `document` is not a valid Kubernetes object of `version` (strict), or None when it is."""
    if not isinstance(document, dict) or not isinstance(document.get("kind"), str):
        return "not a Kubernetes object (a mapping with apiVersion and kind)"
    if not isinstance(document.get("apiVersion"), str):
        return f"{document['kind']}: no apiVersion"
    name = f"{document['kind']}/{(document.get('metadata') or {}).get('name', '?')}"
    try:
        kubernetes_validate.validate(document, version, strict=True)
    except kubernetes_validate.ValidationError as exc:
        where = ".".join(str(part) for part in exc.path) or "(top level)"
        return f"{name}: {where}: {exc.message}"
    except kubernetes_validate.SchemaNotFoundError as exc:
        return f"{name}: {exc.message}"
    return None


def lint_kustomization(directory: Path) -> list[str]:
    """What is wrong with `directory`'s kustomization: a listed file missing, a manifest not listed."""
    path = directory / KUSTOMIZATION
    if not path.exists():
        return [f"{path}: missing"]
    (kustomization,) = load_documents(path)
    listed = kustomization.get("resources") or []
    errors = [f"{path}: resource {name} does not exist" for name in listed if not (directory / name).is_file()]
    expected = {p.name for p in manifests(directory) if not p.name.endswith(EXAMPLE_SUFFIX)}
    errors += [f"{path}: {name} is not in resources" for name in sorted(expected - set(listed))]
    errors += [f"{path}: {name} is listed twice" for name in sorted({n for n in listed if listed.count(n) > 1})]
    return errors


def lint(directory: Path, version: str) -> list[str]:
    """Every finding in `directory`, one line each (empty: all valid)."""
    errors: list[str] = []
    files = manifests(directory)
    if not files:
        return [f"{directory}: no manifests"]
    for path in files:
        try:
            documents = load_documents(path)
        except yaml.YAMLError as exc:
            errors.append(f"{path}: {exc}")
            continue
        if not documents:
            errors.append(f"{path}: no document")
        for document in documents:
            problem = validate_document(document, version)
            if problem is not None:
                errors.append(f"{path}: {problem}")
    try:
        errors += lint_kustomization(directory)
    except (yaml.YAMLError, ValueError, AttributeError) as exc:
        errors.append(f"{directory / KUSTOMIZATION}: {exc}")
    return errors


def main(argv: list[str] | None = None) -> int:
    """Print each finding; return 1 if there is any."""
    parser = argparse.ArgumentParser(prog="python -m scripts.lint_deploy", description=__doc__)
    parser.add_argument("directory", nargs="?", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--kubernetes-version", default=DEFAULT_VERSION)
    args = parser.parse_args(argv)
    errors = lint(args.directory, args.kubernetes_version)
    for error in errors:
        print(error, file=sys.stderr)
    count = len(manifests(args.directory))
    print(
        f"{count} manifest(s) in {args.directory}: {len(errors)} finding(s) against Kubernetes "
        f"{args.kubernetes_version} (strict)"
    )
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
