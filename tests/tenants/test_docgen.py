"""The generated schema reference stays current, complete and deterministic."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tenants.docgen import OUTPUT_RELATIVE, render_reference
from tenants.paths import ROOT, SCHEMAS_DIR

SCHEMA_FILES = sorted(SCHEMAS_DIR.glob("*.schema.json"))


def _documented_nodes(node: Any, pointer: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Every property and ``$defs`` entry, walking through properties, $defs and items."""
    if not isinstance(node, dict):
        return
    for key in ("properties", "$defs"):
        children = node.get(key)
        if isinstance(children, dict):
            for name, child in children.items():
                child_pointer = f"{pointer}/{key}/{name.replace('~', '~0').replace('/', '~1')}"
                if isinstance(child, dict):
                    yield child_pointer, child
                yield from _documented_nodes(child, child_pointer)
    items = node.get("items")
    if isinstance(items, dict):
        yield from _documented_nodes(items, f"{pointer}/items")


def _missing(annotation: str) -> list[str]:
    out = []
    for path in SCHEMA_FILES:
        schema = json.loads(path.read_text(encoding="utf-8"))
        for pointer, node in _documented_nodes(schema, "#"):
            if "$ref" not in node and not str(node.get(annotation, "")).strip():
                out.append(f"{path.name}{pointer}")
    return out


def test_committed_reference_is_current() -> None:
    committed = ROOT / OUTPUT_RELATIVE
    assert committed.is_file(), f"{OUTPUT_RELATIVE} is missing: run `make docs`"
    assert committed.read_text(encoding="utf-8") == render_reference(), (
        f"{OUTPUT_RELATIVE} is out of date with schemas/ (文档已过期): "
        "run `make docs` (python -m tenants.docgen) and commit the result"
    )


@pytest.mark.parametrize(
    ("annotation", "language"), [("title", "Chinese"), ("x-title-en", "English")]
)
def test_every_property_has_a_title(annotation: str, language: str) -> None:
    assert SCHEMA_FILES, "no meta-schemas found"
    missing = _missing(annotation)
    assert not missing, (
        f"{len(missing)} schema node(s) have no {language} {annotation!r} and no $ref:\n  "
        + "\n  ".join(missing)
    )


def test_rendering_is_deterministic() -> None:
    assert render_reference() == render_reference()


def test_schema_change_shows_up(tmp_path: Path) -> None:
    copy = tmp_path / "schemas"
    shutil.copytree(SCHEMAS_DIR, copy)
    flow_file = copy / "flow.schema.json"
    flow = json.loads(flow_file.read_text(encoding="utf-8"))
    new_text = "测试用的新说明 probe description 4711"
    flow["$defs"]["node"]["properties"]["ratio"]["description"] = new_text
    flow_file.write_text(json.dumps(flow, ensure_ascii=False, indent=2), encoding="utf-8")

    before, after = render_reference(SCHEMAS_DIR), render_reference(copy)
    assert after != before
    assert new_text in after
    assert new_text not in before


def test_check_mode_passes_on_the_repository() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "tenants.docgen", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr
