"""The bundle kinds: which file holds which kind, and how a unit's items replace a template's.

One table (STYLE §2.5). A kind is either a single file (``unit.yaml``) or a folder of files, one
item each (``forms/*.yaml``). ``merge_keys`` says, per list inside a single-file kind, which key
identifies an item, so that an item of the unit replaces the template's item with that key;
``None`` means the list is a set and the unit's entries are added.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import PurePosixPath

SUFFIXES = (".yaml", ".yml", ".json")


@dataclass(frozen=True)
class Kind:
    name: str
    schema: str
    file: str | None = None  # single file stem, e.g. "unit"
    folder: str | None = None  # folder of items, e.g. "forms"
    merge_keys: dict[str, str | None] = field(default_factory=dict)
    inherited: bool = True  # False: never taken from a template


KINDS: dict[str, Kind] = {
    k.name: k
    for k in (
        Kind("unit", "unit.schema.json", file="unit", inherited=False),
        Kind(
            "org", "org.schema.json", file="org",
            merge_keys={"departments": "id", "posts": "id", "leaders": "user"},
        ),
        Kind("form", "form.schema.json", folder="forms"),
        Kind("flow", "flow.schema.json", folder="flows"),
        Kind("policy", "policy.schema.json", file="policy",
             merge_keys={"roles": "id", "assignments": None}),
        Kind("calendar", "calendar.schema.json", file="calendar",
             merge_keys={"time_limit_classes": "id", "overrides": "date"}),
        Kind("lists", "lists.schema.json", file="lists", merge_keys={"lists": "id"}),
    )
}

SINGLE_KINDS = [k for k in KINDS.values() if k.file]
FOLDER_KINDS = [k for k in KINDS.values() if k.folder]


def kind_of(path: str) -> tuple[Kind, str | None] | None:
    """Classify a bundle-relative path: ``forms/outgoing_doc.yaml`` → (form, "outgoing_doc")."""
    p = PurePosixPath(path)
    if p.suffix not in SUFFIXES:
        return None
    parts = p.parts
    if len(parts) == 1:
        for k in SINGLE_KINDS:
            if p.stem == k.file:
                return k, None
        return None
    if len(parts) == 2:
        for k in FOLDER_KINDS:
            if parts[0] == k.folder:
                return k, p.stem
    return None


def expected_files() -> str:
    singles = ", ".join(f"{k.file}.yaml" for k in SINGLE_KINDS)
    folders = ", ".join(f"{k.folder}/*.yaml" for k in FOLDER_KINDS)
    return f"{singles}, {folders}"
