"""``/api/openapi.json``: an OpenAPI 3.1 document generated from the routes the app really has.

It walks ``app.routes`` (so a new ``/api`` route appears without anyone editing a list), takes each
route's path parameters, methods and ``Need`` (as ``x-banwen-need``), and adds the forms of the
signed-in principal's unit as components: each form's JSON Schema as ``form.<id>``, which is what
the ``data`` of a record of that form must satisfy.
"""

from __future__ import annotations

import re
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route

from runtime import records
from runtime.guard import Ctx, Need
from tenants.errors import NotFound

FILE = {"type": "string", "contentMediaType": "application/octet-stream"}
PARAM = re.compile(r"{(\w+)(?::(\w+))?}")
ERROR = {"type": "object", "required": ["error"], "properties": {
    "error": {"type": "object", "required": ["zh", "en"], "properties": {"zh": {"type": "string"}, "en": {"type": "string"}}},
    "errors": {"type": "array", "items": {"$ref": "#/components/schemas/FieldProblem"}}}}
FIELD_PROBLEM = {"type": "object", "required": ["field", "zh", "en"],
                 "properties": {"field": {"type": "string", "description": "field id, or field/0/sub inside rows; '' = the form"},
                                "zh": {"type": "string"}, "en": {"type": "string"}}}
RECORD = {"type": "object", "properties": {
    "id": {"type": "integer"}, "unit": {"type": "string"}, "form": {"type": "string"}, "form_version": {"type": "integer"},
    "title": {"type": "string"}, "serial": {"type": ["string", "null"]}, "status": {"type": "string"},
    "data": {"type": "object"}, "created_by": {"type": "string"}, "updated_by": {"type": "string"},
    "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    "version": {"type": "integer", "description": "send as expected_version when editing"}}}
ATTACHMENT = {"type": "object", "properties": {
    "id": {"type": "integer"}, "name": {"type": "string"}, "size": {"type": "integer"}, "content_type": {"type": "string"},
    "sha256": {"type": "string"}, "record_id": {"type": ["integer", "null"]}, "uploaded_by": {"type": "string"}}}
# Request and response bodies of the routes that have a known shape, by route name.
BODIES: dict[str, dict[str, Any]] = {
    "api_record_create": {"request": {"type": "object", "required": ["data"],
                                      "properties": {"data": {"$ref": "#/components/schemas/FormData"}}},
                          "response": {"$ref": "#/components/schemas/Record"}, "status": "201"},
    "api_record_update": {"request": {"type": "object", "required": ["data", "expected_version"],
                                      "properties": {"data": {"$ref": "#/components/schemas/FormData"},
                                                     "expected_version": {"type": "integer"}}},
                          "response": {"$ref": "#/components/schemas/Record"}},
    "api_record": {"response": {"$ref": "#/components/schemas/Record"}},
    "api_records": {"response": {"type": "object", "properties": {
        "columns": {"type": "array", "items": {"type": "object"}},
        "rows": {"type": "array", "items": {"type": "object"}},
        "next_cursor": {"type": ["string", "null"]}}}},
    "api_attachment_upload": {"multipart": True, "response": {"$ref": "#/components/schemas/Attachment"}, "status": "201"},
    "api_attachment": {"binary": True},
}


def _operation(route: Route, method: str, n: Need | None) -> dict[str, Any]:
    params = [{"name": name, "in": "path", "required": True,
               "schema": {"type": "integer"} if conv == "int" else {"type": "string"}}
              for name, conv in PARAM.findall(route.path)]
    op: dict[str, Any] = {"operationId": f"{route.name}_{method.lower()}", "summary": (route.banwen_endpoint.__doc__ or  # type: ignore[attr-defined]
                                                                                         route.name).strip().splitlines()[0],
                          "x-banwen-need": n.describe() if n else "none"}
    if params:
        op["parameters"] = params
    shape = BODIES.get(route.name or "", {})
    ok = {"description": "OK", "content": {"application/json": {"schema": shape.get("response", {"type": "object"})}}}
    if shape.get("binary"):
        ok = {"description": "the file", "content": {"application/octet-stream": {"schema": FILE}}}
    responses: dict[str, Any] = {shape.get("status", "200"): ok}
    for code, why in (("401", "not signed in"), ("403", "not permitted"), ("404", "not found (or another unit's)"),
                      ("409", "conflict"), ("422", "invalid: errors lists each field")):
        responses[code] = {"description": why, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Error"}}}}
    op["responses"] = responses
    if method in ("POST", "PUT"):
        if shape.get("multipart"):
            op["requestBody"] = {"required": True, "content": {"multipart/form-data": {"schema": {
                "type": "object", "required": ["file"], "properties": {"file": FILE}}}}}
        else:
            op["requestBody"] = {"content": {"application/json": {"schema": shape.get("request", {"type": "object"})}}}
    return op


async def document(app: Any, unit: str | None) -> dict[str, Any]:
    """The OpenAPI 3.1 document of ``app``'s ``/api`` routes, with ``unit``'s forms as components."""
    paths: dict[str, Any] = {}
    for route in app.routes:
        if isinstance(route, Mount) or not isinstance(route, Route) or not route.path.startswith("/api/"):
            continue
        path = PARAM.sub(lambda m: "{" + m.group(1) + "}", route.path)
        item = paths.setdefault(path, {})
        for method in sorted(route.methods or ()):
            if method != "HEAD":
                item[method.lower()] = _operation(route, method, getattr(route, "banwen_need", None))
    forms: dict[str, Any] = {}
    if unit is not None:
        try:
            for f in await records.forms_of(unit):
                form = await records.form_of(unit, f["id"])
                forms[f"form.{f['id']}"] = {**form.schema, "title": form.name, "x-title-en": form.name_en}
        except NotFound:
            pass  # a unit with nothing published yet has no forms
    data = {"description": "the form data; it must satisfy the form's schema (components form.<id>)", "type": "object"}
    if forms:
        data["anyOf"] = [{"$ref": f"#/components/schemas/{k}"} for k in sorted(forms)]
    return {
        "openapi": "3.1.0",
        "info": {"title": "办文 Banwen API", "version": "1",
                 "description": "JSON API of the Banwen office platform. Errors: {error: {zh, en}, errors?: [{field, zh, en}]}."},
        "jsonSchemaDialect": "https://json-schema.org/draft/2020-12/schema",
        "paths": paths,
        "components": {
            "schemas": {"Error": ERROR, "FieldProblem": FIELD_PROBLEM, "Record": RECORD, "Attachment": ATTACHMENT,
                        "FormData": data, **forms},
            "securitySchemes": {"session": {"type": "apiKey", "in": "cookie", "name": "session"},
                                "token": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"session": []}, {"token": []}],
    }


async def endpoint(request: Request, ctx: Ctx) -> Response:
    """The OpenAPI document, with the forms of the signed-in principal's unit."""
    return JSONResponse(await document(request.app, ctx.principal.unit))
