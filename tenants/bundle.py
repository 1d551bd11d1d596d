"""A bundle: the files of one unit or seed template, parsed and checked against the meta-schemas.

``BundleSource`` is the raw text of the files (from a folder or from the database);
``parse_bundle`` turns it into a ``ParsedBundle`` — every file parsed and validated against its
kind's meta-schema, every problem recorded with file, pointer and line.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tenants.errors import BanwenError, BundleError, NotFound
from tenants.kinds import KINDS, SUFFIXES, Kind, expected_files, kind_of
from tenants.schema_check import checker_for
from tenants.yamlio import FileSyntaxError, Parsed, parse_text

IGNORED_NAMES = {"README.md", "readme.md", ".gitkeep"}


@dataclass(frozen=True)
class BundleSource:
    """The files of one bundle as text, keyed by bundle-relative POSIX path."""

    label: str
    files: dict[str, str]

    def content_hash(self) -> str:
        """sha256 over the files' paths and texts, independent of dict order."""
        h = hashlib.sha256()
        for path in sorted(self.files):
            h.update(path.encode())
            h.update(b"\0")
            h.update(self.files[path].encode())
            h.update(b"\0")
        return h.hexdigest()


def read_folder(folder: Path | str) -> BundleSource:
    """Read every bundle file below ``folder`` (YAML or JSON); other files are left out."""
    root = Path(folder)
    if not root.is_dir():
        raise NotFound(f"找不到文件夹：{root}", f"No such folder: {root}")
    files: dict[str, str] = {}
    for p in sorted(root.rglob("*")):
        if not p.is_file() or p.name in IGNORED_NAMES or p.name.startswith("."):
            continue
        if p.suffix not in SUFFIXES:
            continue
        rel = p.relative_to(root).as_posix()
        try:
            files[rel] = p.read_text(encoding="utf-8")
        except UnicodeDecodeError:
            raise BanwenError(
                f"{p}：文件不是 UTF-8 编码。", f"{p}: the file is not UTF-8 encoded."
            ) from None
    return BundleSource(str(root), files)


def write_folder(source: BundleSource, folder: Path | str) -> list[Path]:
    """Write the files of ``source`` below ``folder`` exactly as they are (comments and all).

    Bundle files already in the folder that ``source`` does not have are removed, so the folder
    ends up holding exactly that bundle (an old ``calendar.yaml`` must not come back on import).
    """
    root = Path(folder)
    if root.is_dir():
        for old in root.rglob("*"):
            rel = old.relative_to(root).as_posix()
            if old.is_file() and kind_of(rel) and rel not in source.files:
                old.unlink()
    written = []
    for rel, text in sorted(source.files.items()):
        target = root / rel
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
        written.append(target)
    return written


@dataclass
class ParsedBundle:
    source: BundleSource
    parsed: dict[str, Parsed] = field(default_factory=dict)
    errors: list[BundleError] = field(default_factory=list)
    singles: dict[str, str] = field(default_factory=dict)  # kind -> path
    items: dict[str, dict[str, str]] = field(default_factory=dict)  # kind -> item id -> path

    @property
    def unit(self) -> dict[str, Any] | None:
        path = self.singles.get("unit")
        return self.data(path) if path else None

    @property
    def id(self) -> str | None:
        unit = self.unit
        return unit.get("id") if isinstance(unit, dict) else None

    @property
    def is_template(self) -> bool:
        unit = self.unit
        return isinstance(unit, dict) and unit.get("kind") == "template"

    def data(self, path: str) -> Any:
        return self.parsed[path].data

    def error(self, path: str, pointer: str, code: str, zh: str, en: str) -> BundleError:
        parsed = self.parsed.get(path)
        line = parsed.line_of(pointer) if parsed else None
        return BundleError(self.display(path), pointer, code, zh, en, line)

    def display(self, path: str) -> str:
        label = self.source.label
        return f"{label.rstrip('/')}/{path}" if label else path


# Meta-schema results depend only on (kind, text): cached so 375 units sharing templates
# validate each template file once.
_SCHEMA_CACHE: dict[tuple[str, str], list[tuple[str, str, str, str]]] = {}


def _schema_problems(kind: Kind, data: Any) -> list[tuple[str, str, str, str]]:
    key = (kind.name, hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest())
    hit = _SCHEMA_CACHE.get(key)
    if hit is None:
        hit = [(p.pointer, p.keyword, p.zh, p.en) for p in checker_for(kind.schema).problems(data)]
        if len(_SCHEMA_CACHE) > 20000:
            _SCHEMA_CACHE.clear()
        _SCHEMA_CACHE[key] = hit
    return hit


def parse_bundle(source: BundleSource) -> ParsedBundle:
    """Parse and meta-validate every file; problems are collected, never raised."""
    pb = ParsedBundle(source)
    for path in sorted(source.files):
        classified = kind_of(path)
        if classified is None:
            pb.errors.append(
                BundleError(
                    pb.display(path), "", "unknown_file",
                    f"不认识的文件，配置文件应为：{expected_files()}。",
                    f"Unknown file; bundle files are: {expected_files()}.",
                )
            )
            continue
        kind, item = classified
        try:
            parsed = parse_text(pb.display(path), source.files[path])
        except FileSyntaxError as exc:
            pb.errors.append(exc.error)
            continue
        pb.parsed[path] = parsed
        if parsed.data is None:
            pb.errors.append(pb.error(path, "", "empty_file", "文件是空的。", "The file is empty."))
            continue
        for pointer, _keyword, zh, en in _schema_problems(kind, parsed.data):
            pb.errors.append(pb.error(path, pointer, "schema", zh, en))
        if item is None:
            if kind.name in pb.singles:
                other = pb.singles[kind.name]
                pb.errors.append(
                    pb.error(path, "", "duplicate_file",
                             f"与 {other} 重复：同一种配置只能有一个文件。",
                             f"Duplicates {other}: only one file of this kind is allowed.")
                )
                continue
            pb.singles[kind.name] = path
        else:
            data = parsed.data
            item_id = data.get("id") if isinstance(data, dict) else None
            if isinstance(item_id, str) and item_id != item:
                pb.errors.append(
                    pb.error(path, "/id", "id_mismatch",
                             f"标识 “{item_id}” 与文件名 “{item}” 不一致。",
                             f"The id '{item_id}' differs from the file name '{item}'.")
                )
            bucket = pb.items.setdefault(kind.name, {})
            if item in bucket:
                pb.errors.append(
                    pb.error(path, "", "duplicate_item",
                             f"与 {bucket[item]} 重名：“{item}” 只能定义一次。",
                             f"Same name as {bucket[item]}: '{item}' may be defined once only.")
                )
                continue
            bucket[item] = path
    if "unit" not in pb.singles and not any(e.code == "yaml_syntax" and e.file.endswith("unit.yaml") for e in pb.errors):
        pb.errors.append(
            BundleError(pb.display("unit.yaml"), "", "missing_unit",
                        "缺少 unit.yaml：每个配置包都要说明它是哪个单位或模板。",
                        "unit.yaml is missing: every bundle says which unit or template it is.")
        )
    return pb


def kind_names() -> list[str]:
    return list(KINDS)
