"""The linter: meta-schemas, templates and every cross-reference, for folders or stored bundles.

``lint_source`` checks one bundle; ``lint_paths`` finds the bundles below the given paths (a
folder holding ``unit.yaml`` is a bundle) and checks each. Problems come back sorted by file and
position; nothing is raised for a bad bundle.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from tenants.bundle import BundleSource, ParsedBundle, parse_bundle, read_folder
from tenants.errors import BundleError, NotFound
from tenants.paths import TEMPLATES_DIR
from tenants.references import Context, check_references
from tenants.resolve import Resolved, resolve

UNIT_FILES = ("unit.yaml", "unit.yml", "unit.json")


class TemplateLibrary:
    """Seed templates by id, read from folders (``seeds/templates/<id>/``) once and kept."""

    def __init__(self, folders: list[Path] | None = None) -> None:
        self.folders = folders if folders is not None else [TEMPLATES_DIR]
        self._cache: dict[str, ParsedBundle | None] = {}

    def __call__(self, template_id: str) -> ParsedBundle | None:
        if template_id not in self._cache:
            self._cache[template_id] = self._load(template_id)
        return self._cache[template_id]

    def _load(self, template_id: str) -> ParsedBundle | None:
        for folder in self.folders:
            candidate = folder / template_id
            if any((candidate / f).is_file() for f in UNIT_FILES):
                return parse_bundle(read_folder(candidate))
        return None

    def ids(self) -> list[str]:
        out = set()
        for folder in self.folders:
            if folder.is_dir():
                out |= {p.name for p in folder.iterdir() if any((p / f).is_file() for f in UNIT_FILES)}
        return sorted(out)


@dataclass
class LintResult:
    bundle: ParsedBundle
    resolved: Resolved
    errors: list[BundleError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def lint_source(source: BundleSource, templates: TemplateLibrary | None = None,
                ctx: Context | None = None) -> LintResult:
    """Check one bundle: each file against its meta-schema, then the resolved cross-references."""
    templates = templates or TemplateLibrary()
    bundle = parse_bundle(source)
    errors = list(bundle.errors)
    resolved, res_errors = resolve(bundle, templates)
    errors += res_errors
    for tid in resolved.templates:
        tpl = templates(tid)
        if tpl is not None:
            errors += tpl.errors
    errors += check_references(resolved, ctx)
    return LintResult(bundle, resolved, _sorted_unique(errors))


def _sorted_unique(errors: list[BundleError]) -> list[BundleError]:
    seen = set()
    out = []
    for e in errors:
        key = (e.file, e.pointer, e.code, e.en)
        if key not in seen:
            seen.add(key)
            out.append(e)
    out.sort(key=lambda e: (e.file, e.line or 0, e.pointer))
    return out


def find_bundles(path: Path) -> list[Path]:
    """Bundle folders at or below ``path``; a file names the bundle folder that holds it."""
    path = Path(path)
    if not path.exists():
        raise NotFound(f"路径不存在：{path}", f"No such path: {path}")
    if path.is_file():
        for parent in [path.parent, *path.parent.parents]:
            if any((parent / f).is_file() for f in UNIT_FILES):
                return [parent]
        return [path.parent]
    if any((path / f).is_file() for f in UNIT_FILES):
        return [path]
    found = sorted({p.parent for f in UNIT_FILES for p in path.rglob(f)})
    # a folder of bundle files without unit.yaml is still linted (and told it lacks one)
    return found or [path]


def lint_paths(paths: list[Path], templates: TemplateLibrary | None = None) -> list[LintResult]:
    templates = templates or TemplateLibrary()
    results = []
    for p in paths:
        for folder in find_bundles(Path(p)):
            results.append(lint_source(read_folder(folder), templates))
    return results
