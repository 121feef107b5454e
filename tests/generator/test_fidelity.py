"""The fidelity harness (`make fidelity`): generated stubs accept exactly what their specs allow.

The harness runs in a subprocess: it registers Schemathesis checks of its own, which must not reach the suite's
fuzzing of the real app.
"""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace
from typing import Any
from urllib.parse import urlencode

import pytest

from scripts.fidelity import FIXTURES, corpus, unsent_violation
from tests.generator.helpers import REPO, SPECS

_LINE = re.compile(
    r"^(?P<name>\S+): (?P<rejected>\d+) valid-rejected, (?P<accepted>\d+) invalid-accepted, (?P<server>\d+) server "
    r"errors, (?P<nonconforming>\d+) non-conforming, (?P<errors>\d+) errors \((?P<positive>\d+) positive / "
    r"(?P<negative>\d+) negative requests\)$",
    re.MULTILINE,
)
FIXTURE_SPECS = sorted(FIXTURES.glob("*.yaml"))


def _harness(*specs: Path, examples: int = 5) -> tuple[int, dict[str, dict[str, int]], str]:
    done = subprocess.run(
        [sys.executable, "-m", "scripts.fidelity", "--examples", str(examples), *map(str, specs)],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    lines = {
        m["name"]: {k: int(v) for k, v in m.groupdict().items() if k != "name"} for m in _LINE.finditer(done.stdout)
    }
    return done.returncode, lines, done.stdout + done.stderr


def test_corpus_is_the_shared_specs_and_the_fixtures() -> None:
    specs = corpus()
    assert [p for p in specs if p.parent == SPECS] == sorted(SPECS.glob("*.yaml"))
    assert [p for p in specs if p.parent == FIXTURES] == FIXTURE_SPECS
    # One fixture per class fixed (see scripts/README.md): 1 to 12.
    assert len(FIXTURE_SPECS) >= 12


def test_every_fixture_stub_accepts_exactly_what_its_spec_allows() -> None:
    code, lines, output = _harness(*FIXTURE_SPECS)
    assert code == 0, output
    assert set(lines) == {p.stem for p in FIXTURE_SPECS}, output
    for name, counts in lines.items():
        assert counts["rejected"] == counts["accepted"] == counts["server"] == counts["nonconforming"] == 0, name
        assert counts["errors"] == 0, output
        # Requests really went out, valid and invalid ones.
        assert counts["positive"] > 0 and counts["negative"] > 0, (name, output)


def test_real_specs_stub_fidelity() -> None:
    """One harness run over ../shared/specs: 0 / 0 on every one."""
    specs = sorted(SPECS.glob("*.yaml"))
    code, lines, output = _harness(*specs, examples=3)
    assert set(lines) == {p.stem for p in specs}, output
    assert code == 0, output
    for name, counts in lines.items():
        misjudged = counts["rejected"] + counts["accepted"] + counts["server"] + counts["nonconforming"]
        assert misjudged == 0 and counts["errors"] == 0, (name, output)
        assert counts["positive"] + counts["negative"] > 0 or name == "oai-webhook-example", (name, output)


def test_harness_fails_on_a_stub_that_accepts_invalid_data(tmp_path: Path) -> None:
    # `content`-typed parameters are not parsed (scripts/README.md, "Known limitations"): any text gets through.
    spec = tmp_path / "tags.yaml"
    spec.write_text(
        """
openapi: 3.1.0
info: {title: tags, version: "1"}
paths:
  /tags:
    get:
      operationId: listTags
      parameters:
        - name: tag
          in: query
          required: true
          content:
            application/json:
              schema: {type: integer, minimum: 1}
      responses:
        '200': {description: ok}
"""
    )
    code, lines, output = _harness(spec)
    assert code == 1, output
    assert lines["tags"]["accepted"] > 0, output
    assert "negative_data_rejection GET /tags -> 501" in output
    assert "parameter `tag` in query" in output  # the unparsed parameter is what let invalid data through


_DEEP = {
    "openapi": "3.1.0",
    "paths": {
        "/search": {
            "parameters": [{"name": "kind", "in": "query", "schema": {"type": "string"}}],
            "get": {
                "parameters": [
                    {
                        "name": "page",
                        "in": "query",
                        "style": "deepObject",
                        "schema": {"$ref": "#/components/schemas/Page"},
                    },
                    {"name": "opts", "in": "query", "schema": {"$ref": "#/components/schemas/Page"}},
                ],
            },
        }
    },
    "components": {
        "schemas": {
            "Page": {
                "type": "object",
                "additionalProperties": False,
                "properties": {"offset": {"type": "integer", "minimum": 0}},
            }
        }
    },
}
_EXTRA_PAGE = (
    "Invalid data should have been rejected / Invalid component: parameter `page` in query - violates "
    "`additionalProperties` at /properties/page"
)


def _case(query: dict[str, Any]) -> Any:
    return SimpleNamespace(query=query, operation=SimpleNamespace(path="/search", method="GET"))


def _sent(pairs: list[tuple[str, Any]]) -> str:
    return "http://localhost/search?" + urlencode(pairs)


@pytest.mark.parametrize("empty", [[], {}])
def test_a_deep_object_invalid_only_by_a_key_never_sent_is_no_finding(empty: object) -> None:
    # Schemathesis' `page[x]: []` (or `{}`) puts nothing on the wire: the stub saw `page[offset]=5` only.
    case = _case({"kind": "a", "page[offset]": 5, "page[x]": empty})
    assert unsent_violation(_DEEP, _EXTRA_PAGE, case, _sent([("kind", "a"), ("page[offset]", 5)]))


@pytest.mark.parametrize(
    ("query", "sent", "reason"),
    [
        # The additional property was sent: a real finding.
        ({"page[offset]": 5, "page[x]": 1}, [("page[offset]", 5), ("page[x]", 1)], _EXTRA_PAGE),
        # A key was dropped, but what was sent is invalid too.
        ({"page[offset]": -1, "page[x]": []}, [("page[offset]", -1)], _EXTRA_PAGE),
        # Everything generated was sent.
        ({"page[offset]": -1}, [("page[offset]", -1)], _EXTRA_PAGE.replace("additionalProperties", "minimum")),
        # Not a deepObject parameter, or not the one the case is invalid by.
        ({"offset": 5, "x": []}, [("offset", 5)], _EXTRA_PAGE.replace("`page`", "`opts`")),
        (
            {"kind": [], "page[x]": []},
            [],
            _EXTRA_PAGE.replace("parameter `page` in query", "parameter `kind` in query"),
        ),
        ({"page[x]": []}, [], _EXTRA_PAGE.replace("in query", "in header")),
    ],
)
def test_a_finding_on_what_was_sent_stays(query: dict[str, Any], sent: list[tuple[str, Any]], reason: str) -> None:
    assert not unsent_violation(_DEEP, reason, _case(query), _sent(sent))
