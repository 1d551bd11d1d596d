"""A form file compiled once per published version: the server's authoritative path for form data.

``compile_form(form, version)`` turns one ``forms/*.yaml`` (as resolved in a published bundle) into a
frozen ``CompiledForm``: the JSON Schema compiled with jsonschema-rs (formats checked), the fields with
their widgets, labels and options, and the JsonLogic rules compiled (runtime.forms.logic). A published
version never changes, so callers cache the result by (unit, form, version) — runtime/records.py does.

``CompiledForm.apply(data)`` is what every write goes through, from the JSON API and from the screens
alike (DESIGN §4 "One rule language"): the browser evaluates the same rules for instant feedback, but
only this decides what is stored.
"""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

import jsonschema_rs

from runtime.forms.logic import CompiledRule, RuleError, compile_rule, truthy
from runtime.forms.messages import problem, translate

PLACEHOLDER = re.compile(r"\{([a-z][a-z0-9_]*)(?::(\d))?\}")
SYSTEM_COLUMNS = {"title": ("标题", "Title"), "serial_no": ("编号", "Number"), "status": ("状态", "Status"),
                  "created_at": ("创建时间", "Created"), "updated_at": ("更新时间", "Updated"),
                  "drafter": ("拟稿人", "Drafted by")}
EMPTY: tuple[Any, ...] = (None, "")


@dataclass(frozen=True)
class Choice:
    """One option of a choice widget: the stored value and what the screens show for it in zh/en."""

    value: Any
    label: str
    label_en: str


@dataclass(frozen=True)
class Field:
    """One field of the form as the screens show it: widget, labels, options, and its part of the schema."""

    id: str
    widget: str
    label: str
    label_en: str
    section: str = ""
    help: str = ""
    help_en: str = ""
    placeholder: str = ""
    span: int = 1
    multiple: bool = False
    options: tuple[Any, ...] = ()
    options_from: str | None = None
    choices: tuple[Choice, ...] = ()  # options with labels; from the list when options_from names one
    required: bool = False
    type: str | None = None
    format: str | None = None
    default: Any = None
    items: tuple[Field, ...] = ()

    def describe(self) -> dict[str, Any]:
        out = {k: v for k, v in self.__dict__.items() if k != "items"}
        out["options"] = list(self.options)
        out["choices"] = [c.__dict__ for c in self.choices]
        out["items"] = [i.describe() for i in self.items]
        return out


@dataclass(frozen=True)
class Section:
    id: str
    title: str
    title_en: str
    columns: int
    fields: tuple[str, ...]


@dataclass(frozen=True)
class Numbering:
    """The form's numbering rule; ``assign_at`` None means "when the record is created"."""

    field: str
    pattern: str
    reset: str = "yearly"
    assign_at: str | None = None

    @property
    def at_create(self) -> bool:
        return self.assign_at in (None, "create")

    def key(self, form_id: str, year: int) -> str:
        """The Sequence row this rule advances: one per form and field, and per year when it resets yearly."""
        return f"{form_id}:{self.field}:{year if self.reset == 'yearly' else 'all'}"

    def format(self, seq: int, *, office_code: str, year: int, data: Mapping[str, Any]) -> str:
        """``{office_code}发〔{year}〕{seq}号`` with seq 12 → ``余府发〔2026〕12号``; ``{seq:3}`` pads to ``012``."""

        def fill(m: re.Match[str]) -> str:
            name, width = m.group(1), m.group(2)
            if name == "seq":
                return str(seq).zfill(int(width)) if width else str(seq)
            if name == "office_code":
                return office_code
            if name == "year":
                return str(year)
            value = data.get(name)
            return "" if value is None else str(value)

        return PLACEHOLDER.sub(fill, self.pattern)


@dataclass(frozen=True, eq=False)
class CompiledForm:
    """One form of one published version, compiled; immutable and shared by every request."""

    id: str
    version: int
    name: str
    name_en: str
    schema: Mapping[str, Any]
    fields: Mapping[str, Field]
    sections: tuple[Section, ...]
    list_columns: tuple[str, ...]
    title_template: str | None
    numbering: Numbering | None
    visible: Mapping[str, CompiledRule] = field(default_factory=dict)
    required_if: Mapping[str, CompiledRule] = field(default_factory=dict)
    readonly: Mapping[str, CompiledRule] = field(default_factory=dict)
    computed: Mapping[str, CompiledRule] = field(default_factory=dict)
    validations: tuple[tuple[CompiledRule, str, str, str], ...] = ()  # (rule, field, zh, en)
    source: Mapping[str, Any] = field(default_factory=dict)
    _validator: Any = None

    # --- the write path -----------------------------------------------------------------------

    def apply(self, data: Any, *, previous: Mapping[str, Any] | None = None,
              node_fields: Mapping[str, str] | None = None) -> tuple[dict[str, Any], list[dict[str, str]]]:
        """The data to store, and every problem found (empty when it may be stored).

        ``data`` is the whole form (an edit replaces the stored data; an absent field takes its
        schema default). ``previous`` is the stored data when editing (None when creating): a field
        whose ``readonly`` rule holds, the numbering field and computed fields keep their stored or
        computed value. ``node_fields`` (from a flow node: field -> edit/read/hidden) makes every
        field not marked ``edit`` keep its stored value. Steps, in order: unknown fields refused;
        empty values ("" and null) treated as absent; computed values evaluated (a client value that
        differs is refused as forged); hidden fields dropped; required-if enforced; the JSON Schema
        checked; ``validate`` rules checked.
        """
        if not isinstance(data, Mapping):
            return {}, [problem("", "表单数据应为键值对象", "form data must be a JSON object")]
        prev = dict(previous or {})
        problems: list[dict[str, str]] = []
        for key in data:
            if key not in self.fields:
                problems.append(problem(str(key), "表单中没有此字段", "the form has no such field"))
        clean = {k: copy.deepcopy(v) for k, v in data.items() if k in self.fields and v not in EMPTY}
        for fid, f in self.fields.items():
            if fid not in clean and f.default is not None and fid not in self.computed:
                clean[fid] = copy.deepcopy(f.default)
        if node_fields is not None:
            for fid in self.fields:
                if node_fields.get(fid, "edit") != "edit":
                    self._keep(fid, clean, prev, problems, "此环节不可修改此字段", "this field cannot be changed at this step")
        if self.numbering is not None:
            self._keep(self.numbering.field, clean, prev, problems, "编号由系统生成，不能填写或修改",
                       "the number is assigned by the system and cannot be set or changed")
        for fid, rule in self.computed.items():
            value = _value(rule, clean, failed=None)
            offered = clean.get(fid)
            if offered is not None and not _same(offered, value):
                problems.append(problem(fid, "计算字段的值与规则算出的不符（不能手工填写）",
                                        "forged computed value: it differs from what the rule computes"))
            if value in EMPTY:
                clean.pop(fid, None)
            else:
                clean[fid] = value
        if previous is not None:
            for fid, rule in self.readonly.items():
                if truthy(_value(rule, clean)) and not _same(clean.get(fid), prev.get(fid)):
                    problems.append(problem(fid, "此字段当前只读，不能修改", "this field is read-only now and cannot be changed"))
                    _restore(fid, clean, prev)
        hidden = {fid for fid, rule in self.visible.items() if not truthy(_value(rule, clean))}
        for fid in hidden:
            clean.pop(fid, None)
        flagged = {p["field"] for p in problems}
        for fid, rule in self.required_if.items():
            if fid not in hidden and clean.get(fid) in (*EMPTY, []) and truthy(_value(rule, clean)):
                problems.append(problem(fid, "必填", "required"))
                flagged.add(fid)
        for err in self._validator.iter_errors(clean):
            p = translate(err)
            if p["field"] not in flagged or err.kind.__class__.__name__ not in ("Required",):
                problems.append(p)
        problems.extend(self._money_problems(clean))
        problems.extend(self._list_problems(clean))
        for rule, fid, zh, en in self.validations:
            if not truthy(_value(rule, clean, failed=bool(problems))):
                problems.append(problem(fid, zh, en))
        return clean, _dedupe(problems)

    def _keep(self, fid: str, clean: dict[str, Any], prev: Mapping[str, Any], problems: list[dict[str, str]],
              zh: str, en: str) -> None:
        offered = clean.get(fid)
        if offered is not None and not _same(offered, prev.get(fid)):
            problems.append(problem(fid, zh, en))
        _restore(fid, clean, prev)

    def _money_problems(self, clean: Mapping[str, Any]) -> Iterable[dict[str, str]]:
        for fid, f in self.fields.items():
            value = clean.get(fid)
            if f.widget == "money" and isinstance(value, int | float) and not isinstance(value, bool):
                if Decimal(str(value)) != Decimal(str(value)).quantize(Decimal("0.01")):
                    yield problem(fid, "金额最多两位小数（分）", "an amount has at most two decimals (fen)")

    def _list_problems(self, clean: Mapping[str, Any]) -> Iterable[dict[str, str]]:
        """A field whose options come from a unit's list (``options_from``) holds only that list's values.

        The schema has no enum for such a field (the list lives in lists.yaml, not in the form), so
        this check is what keeps a forged or stale value out; rows are checked cell by cell.
        """
        for fid, f in self.fields.items():
            if f.options_from is not None and fid in clean:
                yield from _not_in_list(f, fid, clean[fid])
            for sub in f.items:
                if sub.options_from is None or not isinstance(clean.get(fid), list):
                    continue
                for i, row in enumerate(clean[fid]):
                    if isinstance(row, Mapping) and sub.id in row:
                        yield from _not_in_list(sub, f"{fid}/{i}/{sub.id}", row[sub.id])

    # --- what the screens and lists need ------------------------------------------------------

    def title_of(self, data: Mapping[str, Any]) -> str:
        """The record's title from ``title_template`` (``{field}`` placeholders), else the form's name."""
        if not self.title_template:
            return self.name
        text = PLACEHOLDER.sub(lambda m: _text(data.get(m.group(1))), self.title_template)
        return text.strip()[:300] or self.name

    def attachment_fields(self) -> list[str]:
        return [fid for fid, f in self.fields.items() if f.widget == "attachments"]

    def filterable(self, fid: str) -> bool:
        """A declared top-level field holding a string (enum or text) may be used as a list filter."""
        f = self.fields.get(fid)
        return f is not None and f.type == "string"

    def columns(self) -> list[dict[str, str]]:
        """The list page's columns: id with label zh/en (system columns title, serial_no, status …)."""
        out = []
        for col in self.list_columns:
            if col in self.fields:
                out.append({"id": col, "label": self.fields[col].label, "label_en": self.fields[col].label_en})
            else:
                zh, en = SYSTEM_COLUMNS.get(col, (col, col))
                out.append({"id": col, "label": zh, "label_en": en})
        return out

    def describe(self) -> dict[str, Any]:
        """Everything a screen needs to render the form and run its rules in the browser (JSON-ready)."""
        rules = self.source.get("rules") or {}
        return {"id": self.id, "version": self.version, "name": self.name, "name_en": self.name_en,
                "schema": self.schema, "rules": rules,
                "sections": [s.__dict__ | {"fields": list(s.fields)} for s in self.sections],
                "fields": {fid: f.describe() for fid, f in self.fields.items()},
                "list_columns": self.columns(), "title_template": self.title_template,
                "numbering": None if self.numbering is None else self.numbering.__dict__}


def compile_form(form: Mapping[str, Any], version: int, lists: Mapping[str, Any] | None = None) -> CompiledForm:
    """Compile one form of a published bundle (already valid against schemas/form.schema.json).

    ``lists`` is the unit's resolved ``lists.yaml`` (``{"lists": [{id, options: [...]}]}``) of the same
    version: a field whose ui names a list with ``options_from`` takes its options and labels from it.
    """
    by_id = {lst["id"]: lst for lst in (lists or {}).get("lists") or [] if isinstance(lst, Mapping) and "id" in lst}
    schema = copy.deepcopy(dict(form["schema"]))
    props: Mapping[str, Any] = schema.get("properties") or {}
    always = set(schema.get("required") or [])
    placed: dict[str, dict[str, Any]] = {}
    sections = []
    for sec in (form.get("ui") or {}).get("sections") or []:
        ids = []
        for ui in sec.get("fields") or []:
            placed.setdefault(ui["field"], {**ui, "_section": sec["id"]})
            ids.append(ui["field"])
        sections.append(Section(sec["id"], sec["title"], sec.get("title_en") or sec["title"], int(sec.get("columns") or 1),
                                tuple(ids)))
    fields = {fid: _field(fid, prop, placed.get(fid) or {}, fid in always, by_id) for fid, prop in props.items()}
    rules = form.get("rules") or {}
    numbering = form.get("numbering")
    return CompiledForm(
        id=form["id"], version=version, name=form.get("name") or form["id"], name_en=form.get("name_en") or form["id"],
        schema=schema, fields=fields, sections=tuple(sections),
        list_columns=tuple(form.get("list_columns") or ["title", "status", "updated_at"]),
        title_template=form.get("title_template"),
        numbering=Numbering(numbering["field"], numbering["pattern"], numbering.get("reset") or "yearly",
                            numbering.get("assign_at")) if numbering else None,
        visible=_rules(rules.get("visible")), required_if=_rules(rules.get("required")),
        readonly=_rules(rules.get("readonly")), computed=_rules(rules.get("value")),
        validations=tuple((compile_rule(v["rule"]), v.get("field") or "", v["message"], v.get("message_en") or v["message"])
                          for v in rules.get("validate") or []),
        source=form,
        _validator=jsonschema_rs.Draft202012Validator(schema, validate_formats=True),
    )


def _rules(mapping: Mapping[str, Any] | None) -> dict[str, CompiledRule]:
    return {fid: compile_rule(rule) for fid, rule in (mapping or {}).items()}


def _field(fid: str, prop: Mapping[str, Any], ui: Mapping[str, Any], required: bool,
           lists: Mapping[str, Mapping[str, Any]]) -> Field:
    kind = prop.get("type") if isinstance(prop.get("type"), str) else None
    source = ui.get("options_from")
    if source:
        # A list the version does not hold (lint refuses such a bundle) offers nothing, so accepts nothing.
        choices = tuple(Choice(o["value"], str(o.get("label") or o["value"]), str(o.get("label_en") or o.get("label") or o["value"]))
                        for o in (lists.get(source) or {}).get("options") or [] if isinstance(o, Mapping) and "value" in o)
        options: Any = tuple(c.value for c in choices)
    else:
        options = prop.get("enum") or (prop.get("items") or {}).get("enum") or ()
        choices = tuple(Choice(o, str(o), str(o)) for o in options)
    item_props = (prop.get("items") or {}).get("properties") or {}
    item_ui = {i["field"]: i for i in ui.get("items") or []}
    item_required = set((prop.get("items") or {}).get("required") or [])
    items = tuple(_field(k, p, item_ui.get(k) or {}, k in item_required, lists) for k, p in item_props.items())
    label = ui.get("label") or prop.get("title") or fid
    return Field(id=fid, widget=ui.get("widget") or _default_widget(prop), label=label, label_en=ui.get("label_en") or fid,
                 section=ui.get("_section", ""), help=ui.get("help") or "", help_en=ui.get("help_en") or "",
                 placeholder=ui.get("placeholder") or "", span=int(ui.get("span") or 1), multiple=bool(ui.get("multiple")),
                 options=tuple(options), options_from=source or None, choices=choices, required=required, type=kind,
                 format=prop.get("format"), default=copy.deepcopy(prop.get("default")), items=items)


def _not_in_list(f: Field, path: str, value: Any) -> Iterable[dict[str, str]]:
    allowed = f.options
    for v in value if isinstance(value, list) else [value]:
        if not any(_same(v, a) for a in allowed):
            zh_all = "、".join(c.label for c in f.choices) or "无"
            en_all = ", ".join(c.label_en for c in f.choices) or "none"
            yield problem(path, f"“{v}” 不是“{f.label}”的可选项（可选：{zh_all}）",
                          f"'{v}' is not an option of {f.label_en} (options: {en_all})")
            return


def _default_widget(prop: Mapping[str, Any]) -> str:
    """A field the ui does not place still gets a sensible widget (and is still validated)."""
    if prop.get("enum"):
        return "select"
    return {"integer": "number", "number": "number", "array": "rows", "boolean": "checkbox"}.get(
        prop.get("type"), {"date": "date", "date-time": "datetime"}.get(prop.get("format"), "text"))


def _value(rule: CompiledRule, data: Mapping[str, Any], failed: Any = False) -> Any:
    """The rule's value, or ``failed`` when it cannot be evaluated on this (incomplete) data.

    A rule over a field the user has not filled yet (arithmetic on null, say) must not turn a
    submission into a server error: the missing field is reported by its own required check.
    A ``validate`` rule that cannot run counts as passed when other problems were already found
    (``failed=True``), and as failed, with its message, otherwise.
    """
    try:
        return rule.evaluate(data)
    except RuleError:
        return failed


def _restore(fid: str, clean: dict[str, Any], prev: Mapping[str, Any]) -> None:
    if prev.get(fid) is None:
        clean.pop(fid, None)
    else:
        clean[fid] = copy.deepcopy(prev[fid])


def _same(a: Any, b: Any) -> bool:
    """Equal as JSON values (1 == 1.0, but True is not 1)."""
    if isinstance(a, bool) or isinstance(b, bool):
        return a is b
    return json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True) or (
        isinstance(a, int | float) and isinstance(b, int | float) and a == b)


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, list):
        return "、".join(_text(v) for v in value)
    return str(value)


def _dedupe(problems: list[dict[str, str]]) -> list[dict[str, str]]:
    seen, out = set(), []
    for p in problems:
        key = (p["field"], p["zh"])
        if key not in seen:
            seen.add(key)
            out.append(p)
    return out
