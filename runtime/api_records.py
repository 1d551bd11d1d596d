"""The JSON API of forms and records: ``/api/units/{unit}/forms/{form}/…``.

Each route is guarded with ``record:{form}`` (the guard fills the form from the path), so Casbin
decides per form — ``record:*`` in the role templates covers every form. Editing needs ``update``
on the form, or is the drafter's own ``create`` right over their own draft (staff may create but
hold no general ``update``). The handlers call runtime/records.py and runtime/forms/attachments.py,
the same service the screens use, so validation is one path (DESIGN §4).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import FileResponse, JSONResponse, Response
from starlette.routing import Route

from runtime import openapi, records
from runtime.api import BadRequest, _body
from runtime.forms import attachments
from runtime.forms.money import money_upper
from runtime.guard import SIGNED_IN, Ctx, Denied, guarded, need
from tenants.errors import NotFound

RESERVED_QUERY = {"q", "sort", "desc", "limit", "cursor", "offset", "lang", "unit", "actor", "object"}


def _int(request: Request, key: str, default: int) -> int:
    raw = request.query_params.get(key)
    if raw in (None, ""):
        return default
    try:
        return int(raw)
    except ValueError:
        raise BadRequest(f"{key} 必须是整数。", f"{key} must be a whole number.") from None


async def form_list(request: Request, ctx: Ctx) -> Response:
    return JSONResponse({"forms": await records.forms_of(ctx.domain)})


async def form_get(request: Request, ctx: Ctx) -> Response:
    form = await records.form_of(ctx.domain, request.path_params["form"])
    return JSONResponse(form.describe())


async def record_list(request: Request, ctx: Ctx) -> Response:
    """``?q=`` searches titles, ``?<field>=<value>`` filters a declared text field, ``?sort=&desc=0``, keyset ``?cursor=``."""
    form_id = request.path_params["form"]
    qp = request.query_params
    filters = {k: v for k, v in qp.items() if k not in RESERVED_QUERY}
    page = await records.list_records(ctx.domain, form_id, q=qp.get("q"), filters=filters,
                                      sort=qp.get("sort") or "updated_at", desc=qp.get("desc", "1") not in ("0", "false"),
                                      limit=_int(request, "limit", 50), cursor=qp.get("cursor") or None,
                                      offset=_int(request, "offset", 0) or None)
    form = await records.form_of(ctx.domain, form_id)
    return JSONResponse({"columns": form.columns(), "rows": [records.row(form, r) for r in page.records],
                         "next_cursor": page.next_cursor})


async def record_create(request: Request, ctx: Ctx) -> Response:
    body = await _body(request)
    data = body.get("data")
    if not isinstance(data, dict):
        raise BadRequest("请求体应为 {\"data\": {…表单数据…}}。", "The body must be {\"data\": {...form data...}}.")
    rec = await records.create(ctx.domain, request.path_params["form"], data, ctx.principal.subject)
    return JSONResponse(records.describe(rec), status_code=201)


async def record_get(request: Request, ctx: Ctx) -> Response:
    rec = await records.get(ctx.domain, request.path_params["id"], request.path_params["form"])
    out = records.describe(rec)
    form = await records.form_of(ctx.domain, rec.form, rec.form_version)
    out["money_upper"] = {fid: money_upper(rec.data[fid]) for fid, f in form.fields.items()
                          if f.widget == "money" and isinstance(rec.data.get(fid), int | float)}
    return JSONResponse(out)


async def record_update(request: Request, ctx: Ctx) -> Response:
    form_id, ident = request.path_params["form"], request.path_params["id"]
    rec = await records.get(ctx.domain, ident, form_id)
    p = ctx.principal
    member = p.is_member_of(ctx.domain)
    may_update = ctx.authority.check(p.subject, ctx.domain, f"record:{form_id}", "update", member=member)
    own_draft = rec.created_by == p.subject and ctx.authority.check(p.subject, ctx.domain, f"record:{form_id}", "create",
                                                                    member=member)
    if not (may_update or own_draft):
        raise Denied()
    body = await _body(request)
    data, expected = body.get("data"), body.get("expected_version")
    if not isinstance(data, dict) or not isinstance(expected, int) or isinstance(expected, bool):
        raise BadRequest("请求体应为 {\"data\": {…}, \"expected_version\": 版本号}。",
                         "The body must be {\"data\": {...}, \"expected_version\": <number>}.")
    rec = await records.update(ctx.domain, rec.id, data, p.subject, expected)
    return JSONResponse(records.describe(rec))


async def attachment_upload(request: Request, ctx: Ctx) -> Response:
    """multipart/form-data with one ``file`` part; answers the stored attachment (its id goes in the form data)."""
    if not request.headers.get("content-type", "").startswith("multipart/form-data"):
        raise BadRequest("请用 multipart/form-data 上传，文件字段名为 file。",
                         "Upload as multipart/form-data with the file in a 'file' part.")
    settings = request.app.state.settings
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > settings.max_upload_bytes + 64 * 1024:  # refuse before receiving it
        raise attachments.FileTooLarge(request.query_params.get("name") or "upload", settings.max_upload_bytes)
    async with request.form(max_files=1, max_part_size=1024 * 1024) as form:
        upload = form.get("file")
        if upload is None or isinstance(upload, str):
            raise BadRequest("缺少文件（字段名 file）。", "No file was sent (field name 'file').")

        async def chunks() -> Any:
            while chunk := await upload.read(attachments.CHUNK):
                yield chunk

        row = await attachments.store_attachment(ctx.domain, upload.filename or "", upload.content_type, chunks(),
                                                 ctx.principal.subject, data_dir=settings.data_dir,
                                                 max_bytes=settings.max_upload_bytes)
    return JSONResponse(_attachment_json(row), status_code=201)


def _attachment_json(a: Any) -> dict[str, Any]:
    return {"id": a.id, "name": a.name, "size": a.size, "content_type": a.content_type, "sha256": a.sha256,
            "record_id": a.record_id, "uploaded_by": a.uploaded_by}


async def attachment_download(request: Request, ctx: Ctx) -> Response:
    """The file, as a download. Of a record of this form, or — not yet part of a record — to its uploader only."""
    ident = request.path_params["id"]
    row = await attachments.get_attachment(ctx.domain, ident)
    if row.record_id is not None:
        try:
            await records.get(ctx.domain, row.record_id, request.path_params["form"])
        except NotFound:
            raise attachments.not_found(ident) from None
    elif row.uploaded_by != ctx.principal.subject:
        raise attachments.not_found(ident)
    path = attachments.path_of(request.app.state.settings.data_dir, row.sha256)
    if not path.exists():
        raise attachments.not_found(ident)
    return FileResponse(path, media_type=row.content_type, filename=row.name,
                        headers={"x-content-type-options": "nosniff"})


def routes() -> list[Route]:
    f = "/api/units/{unit}/forms"
    one = f + "/{form}"
    return [
        guarded(f, form_list, need("record:*", "read", "path"), name="api_forms"),
        guarded(one, form_get, need("record:{form}", "read", "path"), name="api_form"),
        guarded(one + "/records", record_list, need("record:{form}", "read", "path"), name="api_records"),
        guarded(one + "/records", record_create, need("record:{form}", "create", "path"), methods=("POST",),
                name="api_record_create"),
        guarded(one + "/records/{id:int}", record_get, need("record:{form}", "read", "path"), name="api_record"),
        guarded(one + "/records/{id:int}", record_update, need("record:{form}", "read", "path"), methods=("PUT",),
                name="api_record_update"),
        guarded(one + "/attachments", attachment_upload, need("record:{form}", "create", "path"), methods=("POST",),
                name="api_attachment_upload"),
        guarded(one + "/attachments/{id:int}", attachment_download, need("record:{form}", "read", "path"),
                name="api_attachment"),
        guarded("/api/openapi.json", openapi.endpoint, SIGNED_IN, name="api_openapi"),
    ]
