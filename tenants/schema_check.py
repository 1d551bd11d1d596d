"""JSON Schema 2020-12 validation behind one small interface (DESIGN §5).

jsonschema-rs does the work: a validator is compiled once per schema and cached by the caller.
Its errors are turned into ``SchemaProblem``s with a JSON pointer and a message in Chinese and
English, written from the error's kind (the library's own text is English only).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema_rs

from tenants.errors import pointer_join
from tenants.paths import SCHEMAS_DIR

BASE_URI = "https://banwen.local/schemas/"


@dataclass(frozen=True)
class SchemaProblem:
    pointer: str
    keyword: str
    zh: str
    en: str


@cache
def meta_schemas(folder: Path = SCHEMAS_DIR) -> dict[str, dict[str, Any]]:
    """Every ``*.schema.json`` in ``schemas/``, by file name."""
    out = {}
    for p in sorted(folder.glob("*.schema.json")):
        out[p.name] = json.loads(p.read_text(encoding="utf-8"))
    return out


@cache
def _registry() -> jsonschema_rs.Registry:
    return jsonschema_rs.Registry([(BASE_URI + name, s) for name, s in meta_schemas().items()])


class Checker:
    """A compiled validator for one JSON Schema; ``problems(doc)`` lists every error."""

    def __init__(self, schema: dict[str, Any], *, with_registry: bool = False) -> None:
        kwargs: dict[str, Any] = {"validate_formats": True}
        if with_registry:
            kwargs["registry"] = _registry()
        self._validator = jsonschema_rs.Draft202012Validator(schema, **kwargs)

    def is_valid(self, doc: Any) -> bool:
        return self._validator.is_valid(doc)

    def problems(self, doc: Any) -> list[SchemaProblem]:
        out = [_translate(e) for e in self._validator.iter_errors(doc)]
        out.sort(key=lambda p: (p.pointer.count("/"), p.pointer))
        return out


@cache
def checker_for(schema_name: str) -> Checker:
    """The cached checker of one meta-schema, e.g. ``checker_for("flow.schema.json")``."""
    return Checker(meta_schemas()[schema_name], with_registry=True)


def schema_is_valid(schema: Any) -> str | None:
    """None if ``schema`` is itself a valid JSON Schema 2020-12, else the reason (English)."""
    try:
        jsonschema_rs.meta.validate(schema)
    except jsonschema_rs.ValidationError as exc:
        return exc.message
    except Exception as exc:  # referencing errors and the like
        return str(exc)
    try:
        jsonschema_rs.Draft202012Validator(schema)
    except Exception as exc:
        return str(exc)
    return None


def _fmt(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def _translate(e: jsonschema_rs.ValidationError) -> SchemaProblem:
    pointer = pointer_join(*e.instance_path)
    kind = e.kind
    name = type(kind).__name__
    inst = _fmt(e.instance) if not isinstance(e.instance, dict | list) else ""
    if name == "Required":
        prop = kind.property
        zh, en = f"缺少必填项 “{prop}”。", f"Missing required property '{prop}'."
    elif name == "AdditionalProperties":
        extra = ", ".join(kind.unexpected)
        zh = f"不认识的项：{extra}（可能拼写有误）。"
        en = f"Unknown propert{'y' if len(kind.unexpected) == 1 else 'ies'}: {extra} (a typo?)."
    elif name == "Type":
        types = kind.types if isinstance(kind.types, list) else [kind.types]
        zh_names = {"string": "文本", "integer": "整数", "number": "数字", "boolean": "是/否",
                    "object": "对象（键值）", "array": "列表", "null": "空值"}
        want_zh = "或".join(zh_names.get(t, t) for t in types)
        zh = f"类型不对：应为{want_zh}，实际为 {inst or type_label(e.instance)}。"
        en = f"Wrong type: expected {' or '.join(types)}, got {inst or type_label(e.instance)}."
    elif name == "Enum":
        opts = "、".join(str(o) for o in kind.options)
        zh = f"取值 {inst} 不在允许范围内：{opts}。"
        en = f"Value {inst} is not one of: {', '.join(str(o) for o in kind.options)}."
    elif name == "Constant":
        zh, en = f"取值应为 {_fmt(kind.expected_value)}。", f"Value must be {_fmt(kind.expected_value)}."
    elif name == "Pattern":
        zh = f"取值 {inst} 格式不对（应符合 {kind.pattern}）。"
        en = f"Value {inst} does not match the pattern {kind.pattern}."
    elif name == "MinLength":
        zh, en = f"文字太短（至少 {kind.limit} 个字符）。", f"Too short (at least {kind.limit} characters)."
    elif name == "MaxLength":
        zh, en = f"文字太长（最多 {kind.limit} 个字符）。", f"Too long (at most {kind.limit} characters)."
    elif name == "MinItems":
        zh, en = f"至少需要 {kind.limit} 项。", f"Needs at least {kind.limit} item(s)."
    elif name == "MaxItems":
        zh, en = f"最多 {kind.limit} 项。", f"At most {kind.limit} item(s)."
    elif name == "Minimum" or name == "ExclusiveMinimum":
        zh, en = f"数值 {inst} 太小（下限 {kind.limit}）。", f"Value {inst} is below the minimum {kind.limit}."
    elif name == "Maximum" or name == "ExclusiveMaximum":
        zh, en = f"数值 {inst} 太大（上限 {kind.limit}）。", f"Value {inst} is above the maximum {kind.limit}."
    elif name == "UniqueItems":
        zh, en = "列表中有重复项。", "The list has duplicate items."
    elif name == "Format":
        zh, en = f"取值 {inst} 不是有效的 {kind.format}。", f"Value {inst} is not a valid {kind.format}."
    elif name == "MinProperties":
        zh, en = f"至少需要 {kind.limit} 项设置。", f"Needs at least {kind.limit} setting(s)."
    elif name == "MaxProperties":
        zh, en = f"最多只能有 {kind.limit} 项设置（只能选一种）。", f"At most {kind.limit} setting(s) (choose one)."
    elif name in ("OneOfNotValid", "OneOfMultipleValid"):
        zh = "应当且只能满足一种写法（例如“用户”和“岗位”只能填一个）。"
        en = "Must match exactly one of the allowed forms (e.g. give either user or post, not both)."
    elif name == "PropertyNames":
        zh, en = f"键名不合规：{e.message}", f"Invalid key: {e.message}"
    elif name == "Not":
        zh, en = "此处不允许这种写法（例如模板不能有上级单位或继承）。", f"Not allowed here: {e.message}"
    else:
        zh, en = f"不符合格式要求：{e.message}", e.message
    return SchemaProblem(pointer, name, zh, en)


def type_label(v: Any) -> str:
    if isinstance(v, dict):
        return "object"
    if isinstance(v, list):
        return "array"
    return type(v).__name__
