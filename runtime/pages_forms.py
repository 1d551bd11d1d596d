"""The generated screens of a form: the list page, the form page (new and edit) and the record view.

Nothing here knows a particular form: every screen is laid out from the unit's published
``forms/*.yaml`` as compiled by runtime/forms (sections, columns, widgets, labels, rules). The
browser evaluates the rules live (static/js/form.js); a submission goes through the same service
as the JSON API (runtime/records.py), which is authoritative — its field problems come back here
and are shown at their fields, in the page's language, with the user's input kept.

Routes live under ``/units/{unit}/forms/{form}/…`` like the API's, so the path names the Casbin
domain, and each needs its action on ``record:{form}`` (which a ``record:*`` policy also grants).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import urlencode

from starlette.datastructures import FormData
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from runtime import records
from runtime.forms.compiled import CompiledForm, Field
from runtime.forms.logic import RuleError, truthy
from runtime.forms.money import money_upper
from runtime.guard import Ctx, guarded, need
from runtime.screens.i18n import translator
from runtime.security import CITY_TZ, csrf_token
from tenants import store
from tenants.errors import FieldErrors
from tenants.models import Attachment, Unit, User
from tenants.scope import platform_scope

PAGE_SIZE = 20
SEPARATORS = re.compile(r"[,，、;；\s]+")
CHOICE_WIDGETS = ("select", "radio", "checkbox")
PICKERS = ("user", "unit", "post")


def render(request: Request, name: str, status: int = 200, **ctx: Any) -> Response:
    return request.app.state.render(request, name, status, **ctx)


def _lang(request: Request) -> str:
    from runtime.app import locale

    return locale(request)


def _may(ctx: Ctx, form_id: str, act: str) -> bool:
    p = ctx.principal
    return ctx.authority.check(p.subject, ctx.domain, f"record:{form_id}", act, member=p.is_member_of(ctx.domain))


# ---- the layout: the form file as the templates need it ------------------------------------

def _label(f: Field, lang: str) -> str:
    return f.label_en if lang == "en" and f.label_en and f.label_en != f.id else f.label


def _choices(f: Field, lang: str) -> list[dict[str, str]]:
    """The field's options as (value, label) pairs in the page's language (a list's labels, else the values)."""
    return [{"value": str(c.value), "label": c.label_en if lang == "en" else c.label} for c in f.choices]


def field_view(f: Field, lang: str) -> dict[str, Any]:
    """One field, localised, with its options as (value, label) pairs; rows carry their columns."""
    return {"id": f.id, "widget": f.widget, "label": _label(f, lang), "type": f.type,
            "help": (f.help_en or f.help) if lang == "en" else f.help, "placeholder": f.placeholder,
            "span": max(1, min(f.span, 4)), "multiple": f.multiple, "options": _choices(f, lang),
            "cols": [field_view(i, lang) for i in f.items]}


def layout(cf: CompiledForm, lang: str) -> list[dict[str, Any]]:
    """The sections in order, each with its columns (desktop; a phone shows one) and its fields."""
    return [{"id": s.id, "title": s.title_en if lang == "en" else s.title, "columns": max(1, min(s.columns, 4)),
             "fields": [field_view(cf.fields[fid], lang) for fid in s.fields if fid in cf.fields]}
            for s in cf.sections]


def client_config(cf: CompiledForm, lang: str) -> dict[str, Any]:
    """What form.js needs to run the rules: the rules themselves, each field's type, and the messages."""
    t = translator(lang)
    fields = {}
    for s in cf.sections:
        for fid in s.fields:
            f = cf.fields[fid]
            item_schema = (cf.schema.get("properties", {}).get(fid, {}).get("items") or {})
            fields[fid] = {"type": f.type or "string", "widget": f.widget, "multiple": f.multiple,
                           "label": _label(f, lang), "required": f.required,
                           "item_type": item_schema.get("type") or "string",
                           "items": {i.id: {"type": i.type or "string"} for i in f.items}}
    return {"lang": lang, "rules": (cf.source.get("rules") or {}), "fields": fields,
            "text": {k: t(k) for k in ("required_field", "uploading", "uploaded", "upload_failed", "remove_file")}
            | {"required": t("required_field")}}


# ---- reading a submission ------------------------------------------------------------------

def _scalar(kind: str | None, raw: str) -> Any:
    """The typed value of one input; text that is not a number stays text (the schema then says so)."""
    text = raw.strip()
    if text == "":
        return None
    if kind == "integer" and re.fullmatch(r"-?\d+", text):
        return int(text)
    if kind == "number" and re.fullmatch(r"-?\d+(\.\d+)?", text):
        return float(text) if "." in text else int(text)
    if kind == "boolean":
        return text.lower() in ("true", "on", "1", "yes")
    return raw


def _datetime(raw: Any) -> Any:
    """``datetime-local`` sends 2026-03-01T09:30; JSON Schema's date-time wants seconds and a zone (the city's)."""
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d", raw):
        return raw + ":00+08:00"
    if isinstance(raw, str) and re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d", raw):
        return raw + "+08:00"
    return raw


def parse_submission(cf: CompiledForm, form: FormData | Mapping[str, Any]) -> dict[str, Any]:
    """The posted HTML form as the JSON document the records service validates.

    Only placed, editable fields are read (serial and computed values come from the server);
    empty inputs are left out, so "missing" is reported as required rather than as a bad value.
    Pickers that take several values accept one per input or a list separated by commas or 、.
    """
    getlist = form.getlist if isinstance(form, FormData) else (lambda k: [v for v in [form.get(k)] if v is not None])
    data: dict[str, Any] = {}
    for s in cf.sections:
        for fid in s.fields:
            f = cf.fields[fid]
            if f.widget in ("serial", "computed"):
                continue
            value = _read(f, fid, form, getlist, cf)
            if value not in (None, "", []):
                data[fid] = value
    return data


def _read(f: Field, fid: str, form: Any, getlist: Any, cf: CompiledForm) -> Any:
    raw = [str(v) for v in getlist(fid)]
    if f.widget == "rows":
        rows: dict[int, dict[str, Any]] = {}
        for key in form.keys():
            m = re.fullmatch(re.escape(fid) + r"\.(\d+)\.([a-z][a-z0-9_]*)", key)
            if m is None:
                continue
            sub = next((i for i in f.items if i.id == m.group(2)), None)
            value = _scalar(sub.type if sub else "string", str(form.get(key) or ""))
            if sub is not None and sub.widget == "datetime":
                value = _datetime(value)
            if value is not None:
                rows.setdefault(int(m.group(1)), {})[m.group(2)] = value
        return [rows[i] for i in sorted(rows) if rows[i]]
    if f.type == "array":
        item_type = (cf.schema.get("properties", {}).get(fid, {}).get("items") or {}).get("type")
        values: list[Any] = []
        for v in raw:
            parts = [v] if f.widget in ("attachments", *CHOICE_WIDGETS) else SEPARATORS.split(v)
            values += [_scalar(item_type, p) for p in parts if p.strip()]
        return [v for v in values if v is not None]
    if f.type == "boolean":
        return any(_scalar("boolean", v) for v in raw) if raw else None
    value = _scalar(f.type, raw[0]) if raw else None
    return _datetime(value) if f.widget == "datetime" else value


# ---- the state of each field for one render ------------------------------------------------

def _rule(rule: Any, data: Mapping[str, Any], failed: Any) -> Any:
    try:
        return rule.evaluate(data)
    except RuleError:
        return failed


def field_states(cf: CompiledForm, data: Mapping[str, Any], problems: list[dict[str, str]], lang: str
                 ) -> tuple[dict[str, dict[str, Any]], list[str]]:
    """Per field: value, visible, required, readonly, messages; plus messages for the form as a whole.

    The same rules the browser runs, evaluated here so the page is right before any script runs
    (and without scripts): after a refused submission 紧急原因 is shown, and marked required, because
    the submitted 紧急程度 is 特急.
    """
    values = dict(data)
    for fid, rule in cf.computed.items():
        v = _rule(rule, values, None)
        if v is not None:
            values[fid] = v
    errors: dict[str, list[str]] = {}
    top: list[str] = []
    for p in problems:
        message = p["en"] if lang == "en" else p["zh"]
        head = re.split(r"[/.]", p.get("field") or "", maxsplit=1)[0]
        if head in cf.fields and any(head in s.fields for s in cf.sections):
            label = _label(cf.fields[head], lang)
            errors.setdefault(head, []).append(message if p.get("field") == head else f"{label}：{message}")
        else:
            top.append(f"{p['field']}：{message}" if p.get("field") else message)
    states = {}
    for fid, f in cf.fields.items():
        visible = truthy(_rule(cf.visible[fid], values, True)) if fid in cf.visible else True
        required = visible and (f.required or (fid in cf.required_if and truthy(_rule(cf.required_if[fid], values, False))))
        readonly = f.widget in ("computed", "serial") or (fid in cf.readonly and truthy(_rule(cf.readonly[fid], values, False)))
        value = values.get(fid)
        upper = ""
        if f.widget == "money" and isinstance(value, int | float) and not isinstance(value, bool):
            upper = money_upper(value)
        if f.widget == "datetime" and isinstance(value, str):
            value = value[:16]
        states[fid] = {"value": value, "visible": visible or fid in errors, "required": required, "readonly": readonly,
                       "errors": errors.get(fid, []), "upper": upper}
    return states, top


# ---- names for pickers and for showing stored values ----------------------------------------

async def pickers(cf: CompiledForm, resolved: Mapping[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """The datalists the form's pickers need: the unit's people, the city's units, the unit's posts.

    Units also carry ``parent`` and ``level``, from which ``unit_tree`` builds the unit picker.
    """
    kinds = {f.widget for f in cf.fields.values()} | {i.widget for f in cf.fields.values() for i in f.items}
    out: dict[str, list[dict[str, Any]]] = {}
    if "user" in kinds:
        users = await User.filter(is_active=True).order_by("login").values("login", "name", "department")
        out["user"] = [{"value": u["login"], "label": " · ".join(x for x in (u["name"], u["department"]) if x)}
                       for u in users]
    if "unit" in kinds:
        with platform_scope():
            units = await Unit.all().order_by("id").values("id", "name", "parent_id", "level", "category")
        out["unit"] = [{"value": u["id"], "label": u["name"], "parent": u["parent_id"], "level": u["level"],
                        "category": u["category"]} for u in units]
    if "post" in kinds:
        out["post"] = [{"value": p["id"], "label": p.get("name") or p["id"]}
                       for p in (resolved.get("org") or {}).get("posts") or []]
    return out


LEVELS = {"市": 0, "县区": 1, "乡镇": 2}


def unit_tree(units: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The city's units as a tree 市 → 县区 → 乡镇/部门, for the unit picker.

    Each node is ``{value, label, children, values}`` (``values``: its own id and every id under it,
    so a group holding a chosen unit can start open); siblings go by level (市, 县区, 乡镇), governments
    before departments, then by id, so a district's government heads its group. A unit whose parent
    is not among ``units`` becomes a root rather than disappearing from the picker.
    """
    known = {u["value"] for u in units}
    nodes = {u["value"]: {"value": u["value"], "label": u["label"], "children": []} for u in units}

    def order(u: dict[str, Any]) -> tuple[int, int, str]:
        return LEVELS.get(u.get("level") or "", 3), 0 if u.get("category") in ("政府", "党委") else 1, u["value"]

    roots = []
    for u in sorted(units, key=order):
        parent = u.get("parent")
        (nodes[parent]["children"] if parent in known and parent != u["value"] else roots).append(nodes[u["value"]])

    def collect(node: dict[str, Any], path: frozenset[str]) -> list[str]:
        if node["value"] in path:  # a parent cycle in the data: cut it rather than recurse forever
            node["children"] = []
        node["values"] = [node["value"]]
        for child in node["children"]:
            node["values"] += collect(child, path | {node["value"]})
        return node["values"]

    for root in roots:
        collect(root, frozenset())
    return roots


def _names(options: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, str]]:
    return {kind: {o["value"]: o["label"].split(" · ")[0] for o in opts} for kind, opts in options.items()}


def _status(t: Any, status: str) -> str:
    shown = t(f"status_{status}")
    return status if shown == f"status_{status}" else shown


def _size(n: int) -> str:
    if n < 1024:
        return f"{n} B"
    if n < 1024 * 1024:
        return f"{n / 1024:.0f} KB"
    return f"{n / 1024 / 1024:.1f} MB"


def _shown_value(f: Field, value: Any, names: Mapping[str, Mapping[str, str]], lang: str = "zh") -> str:
    if value is None or value == "" or value == []:
        return ""
    if f.widget in PICKERS or (f.widget in CHOICE_WIDGETS and f.options_from):
        lookup = (names.get(f.widget) or {}) if f.widget in PICKERS else \
            {str(c.value): (c.label_en or c.label) if lang == "en" else c.label for c in f.choices}
        items = value if isinstance(value, list) else [value]
        return "、".join(lookup.get(str(v), str(v)) for v in items)
    if isinstance(value, bool):
        return "✓" if value else "✗"
    if isinstance(value, list):
        return "、".join(str(v) for v in value)
    if f.widget == "datetime" and isinstance(value, str):
        return value[:16].replace("T", " ")
    return str(value)


def shown_values(cf: CompiledForm, states: Mapping[str, Mapping[str, Any]], names: Mapping[str, Mapping[str, str]],
                 files: Mapping[str, Mapping[str, str]], t: Any, lang: str) -> dict[str, dict[str, Any]]:
    """Each field as a read-only page shows it: text (names for pickers), rows cell by cell, files as links."""
    shown = {}
    for fid, f in cf.fields.items():
        value = states[fid]["value"]
        entry: dict[str, Any] = {"visible": states[fid]["visible"], "text": _shown_value(f, value, names, lang),
                                 "upper": states[fid]["upper"]}
        if f.widget == "serial" and not value:
            entry["text"] = t("serial_pending")
        if f.widget == "rows" and isinstance(value, list):
            entry["rows"] = [{i.id: _shown_value(i, (r or {}).get(i.id), names, lang) for i in f.items} for r in value]
        if f.widget == "attachments" and isinstance(value, list):
            entry["files"] = [files[str(a)] for a in value if str(a) in files]
        shown[fid] = entry
    return shown


# ---- the pages -----------------------------------------------------------------------------

def _urls(request: Request, unit: str, form_id: str) -> dict[str, str]:
    return {"list_url": str(request.url_for("form_list", unit=unit, form=form_id).path),
            "new_url": str(request.url_for("form_new", unit=unit, form=form_id).path),
            "upload_url": str(request.url_for("api_attachment_upload", unit=unit, form=form_id).path),
            "download_base": str(request.url_for("api_attachment_upload", unit=unit, form=form_id).path) + "/"}


def _form_name(cf: CompiledForm, lang: str) -> str:
    return cf.name_en if lang == "en" and cf.name_en != cf.id else cf.name


async def _form_page(request: Request, ctx: Ctx, cf: CompiledForm, *, data: Mapping[str, Any],
                     problems: list[dict[str, str]], action: str, heading: str, status: int = 200,
                     lock_version: int | None = None) -> Response:
    lang = _lang(request)
    states, top = field_states(cf, data, problems, lang)
    options = await pickers(cf, (await store.get_version(ctx.domain)).resolved)
    files = await _files(request, ctx, cf, data)
    return render(request, "forms/form.html", status, user=ctx.principal, form_name=_form_name(cf, lang),
                  unit_tree=unit_tree(options.get("unit") or []),
                  heading=heading, sections=layout(cf, lang), state=states, top_errors=top, action=action,
                  csrf=csrf_token(request.session), client=client_config(cf, lang), pickers=options, files=files,
                  lock_version=lock_version, **_urls(request, ctx.domain, cf.id))


async def _files(request: Request, ctx: Ctx, cf: CompiledForm, data: Mapping[str, Any]) -> dict[str, dict[str, str]]:
    ids = [str(a) for fid in cf.attachment_fields() for a in (data.get(fid) or [])]
    out = {}
    found = await Attachment.filter(id__in=[int(i) for i in ids if i.isdigit()]) if ids else []
    for a in found:
        out[str(a.id)] = {"name": a.name, "size_text": _size(a.size),
                          "url": str(request.url_for("api_attachment", unit=ctx.domain, form=cf.id, id=a.id).path)}
    return out


async def new_record(request: Request, ctx: Ctx) -> Response:
    form_id = request.path_params["form"]
    cf = await records.form_of(ctx.domain, form_id)
    t = translator(_lang(request))
    action = str(request.url_for("form_new", unit=ctx.domain, form=form_id).path)
    if request.method == "GET":
        defaults = {fid: f.default for fid, f in cf.fields.items() if f.default is not None}
        return await _form_page(request, ctx, cf, data=defaults, problems=[], action=action, heading=t("new_record"))
    data = parse_submission(cf, await request.form())
    try:
        record = await records.create(ctx.domain, form_id, data, ctx.principal.login)
    except FieldErrors as e:
        return await _form_page(request, ctx, cf, data=data, problems=e.problems, action=action,
                                heading=t("new_record"), status=422)
    target = request.url_for("record_view", unit=ctx.domain, form=form_id, id=record.id).path
    return RedirectResponse(f"{target}?saved=1", status_code=303)


async def edit_record(request: Request, ctx: Ctx) -> Response:
    form_id, rid = request.path_params["form"], request.path_params["id"]
    record = await records.get(ctx.domain, rid, form_id)
    cf = await records.form_of(ctx.domain, form_id, record.form_version)
    t = translator(_lang(request))
    action = str(request.url_for("record_edit", unit=ctx.domain, form=form_id, id=rid).path)
    if request.method == "GET":
        return await _form_page(request, ctx, cf, data=record.data, problems=[], action=action, heading=t("edit"),
                                lock_version=record.lock_version)
    posted = await request.form()
    data = parse_submission(cf, posted)
    try:
        lock = int(str(posted.get("lock_version") or record.lock_version))
    except ValueError:
        lock = record.lock_version
    try:
        await records.update(ctx.domain, rid, data, ctx.principal.login, lock)
    except FieldErrors as e:
        return await _form_page(request, ctx, cf, data=data, problems=e.problems, action=action, heading=t("edit"),
                                status=422, lock_version=lock)
    target = request.url_for("record_view", unit=ctx.domain, form=form_id, id=rid).path
    return RedirectResponse(f"{target}?saved=1", status_code=303)


async def view_record(request: Request, ctx: Ctx) -> Response:
    form_id, rid = request.path_params["form"], request.path_params["id"]
    lang = _lang(request)
    t = translator(lang)
    record = await records.get(ctx.domain, rid, form_id)
    cf = await records.form_of(ctx.domain, form_id, record.form_version)
    names = _names(await pickers(cf, (await store.get_version(ctx.domain)).resolved))
    states, _top = field_states(cf, record.data, [], lang)
    files = await _files(request, ctx, cf, record.data)
    shown = shown_values(cf, states, names, files, t, lang)
    facts = {"id": record.id, "title": record.title, "serial": record.serial,
             "status_text": _status(t, record.status), "created_by": record.created_by,
             "updated_at": record.updated_at.astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M")}
    edit_url = None
    if _may(ctx, form_id, "update") and record.status in records.EDITABLE:
        edit_url = str(request.url_for("record_edit", unit=ctx.domain, form=form_id, id=rid).path)
    from runtime.pages_flows import record_links  # the flow screens build on this module

    return render(request, "forms/record.html", user=ctx.principal, form_name=_form_name(cf, lang),
                  record=facts, sections=layout(cf, lang), shown=shown, edit_url=edit_url,
                  saved=request.query_params.get("saved") == "1", flow=await record_links(request, ctx, record),
                  **_urls(request, ctx.domain, form_id))


def _enum_filters(cf: CompiledForm, lang: str) -> list[dict[str, Any]]:
    """A filter for every enum field among the list columns (what a person scans a list by)."""
    return [{"id": c, "label": _label(cf.fields[c], lang), "options": _choices(cf.fields[c], lang)}
            for c in cf.list_columns if c in cf.fields and cf.fields[c].options and cf.filterable(c)]


def _sort_key(cf: CompiledForm, column: str) -> str | None:
    """The records service's sort for a list column (it sorts by indexed columns only), or None."""
    if column in ("title", "created_at", "updated_at"):
        return column
    if column == "serial_no" or (cf.numbering is not None and cf.numbering.field == column):
        return "serial"
    return None


async def list_page(request: Request, ctx: Ctx) -> Response:
    form_id = request.path_params["form"]
    lang = _lang(request)
    t = translator(lang)
    cf = await records.form_of(ctx.domain, form_id)
    q = request.query_params
    filters = _enum_filters(cf, lang)
    chosen = {f["id"]: q[f["id"]] for f in filters if q.get(f["id"]) in {o["value"] for o in f["options"]}}
    columns = cf.columns()
    sort = q.get("sort") or "-updated_at"
    if _sort_key(cf, sort.lstrip("-")) is None:
        sort = "-updated_at"
    try:
        page = max(1, int(q.get("page", "1")))
    except ValueError:
        page = 1
    search = (q.get("q") or "").strip()
    result = await records.list_records(ctx.domain, form_id, q=search or None, filters=chosen,
                                        sort=_sort_key(cf, sort.lstrip("-")) or "updated_at", desc=sort.startswith("-"),
                                        limit=PAGE_SIZE, offset=(page - 1) * PAGE_SIZE)
    names = _names(await pickers(cf, (await store.get_version(ctx.domain)).resolved))
    base = str(request.url_for("form_list", unit=ctx.domain, form=form_id).path)

    def url(**change: Any) -> str:
        params = {"q": search, **chosen, "sort": sort, "page": page, **change}
        return base + "?" + urlencode({k: v for k, v in params.items() if v not in ("", None)})

    heads = []
    for c in columns:
        cid = c["id"]
        current = sort.lstrip("-") == cid
        desc = current and sort.startswith("-")
        heads.append({"id": cid, "label": c["label_en"] if lang == "en" else c["label"], "sorted": current, "desc": desc,
                      "sort_url": url(sort=(cid if desc else f"-{cid}") if current else cid, page=1)
                      if _sort_key(cf, cid) else None})
    rows = [{"cells": _cells(cf, columns, r, names, t, lang),
             "url": str(request.url_for("record_view", unit=ctx.domain, form=form_id, id=r.id).path)}
            for r in result.records]
    link = "title" if any(c["id"] == "title" for c in columns) else columns[0]["id"]
    more = result.next_cursor is not None
    return render(request, "forms/list.html", user=ctx.principal, form_name=_form_name(cf, lang), filters=filters,
                  query={"q": search, "filters": chosen, "sort": sort}, columns=heads, rows=rows, page=page,
                  link_column=link, csrf=csrf_token(request.session),
                  prev_url=url(page=page - 1) if page > 1 else None, next_url=url(page=page + 1) if more else None,
                  list_url=base, new_url=_urls(request, ctx.domain, form_id)["new_url"] if _may(ctx, form_id, "create")
                  else None)


def _cells(cf: CompiledForm, columns: list[dict[str, str]], r: Any, names: Mapping[str, Mapping[str, str]],
           t: Any, lang: str = "zh") -> dict[str, str]:
    """One record's list cells, as shown: names for pickers, local times, statuses in words."""
    cells = {}
    for c in columns:
        cid = c["id"]
        if cid in cf.fields:
            cells[cid] = _shown_value(cf.fields[cid], (r.data or {}).get(cid), names, lang)
        elif cid == "status":
            cells[cid] = _status(t, r.status)
        elif cid in ("created_at", "updated_at"):
            cells[cid] = getattr(r, cid).astimezone(CITY_TZ).strftime("%Y-%m-%d %H:%M")
        elif cid == "serial_no":
            cells[cid] = r.serial or ""
        elif cid == "drafter":
            cells[cid] = names.get("user", {}).get(r.created_by, r.created_by)
        else:
            cells[cid] = str(getattr(r, cid, "") or "")
    return cells


def routes() -> list[Route]:
    base = "/units/{unit}/forms/{form}"
    return [
        guarded(base + "/records", list_page, need("record:{form}", "read", "path"), name="form_list"),
        guarded(base + "/new", new_record, need("record:{form}", "create", "path"), methods=("GET", "POST"),
                name="form_new"),
        guarded(base + "/records/{id:int}", view_record, need("record:{form}", "read", "path"), name="record_view"),
        guarded(base + "/records/{id:int}/edit", edit_record, need("record:{form}", "update", "path"),
                methods=("GET", "POST"), name="record_edit"),
    ]
