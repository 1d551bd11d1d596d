"""Schema errors of submitted form data, worded for the person filling in the form (zh and en).

jsonschema-rs reports each error with its instance path and kind; the person needs the field it
belongs to and a short sentence in Chinese. A ``required`` error is reported at the missing field
itself (not at the object that lacks it), so the screen shows it where the input is.
"""

from __future__ import annotations

import json
from typing import Any

TYPE_ZH = {"string": "文字", "integer": "整数", "number": "数字", "boolean": "是/否", "object": "对象", "array": "列表", "null": "空值"}
FORMAT_ZH = {"date": "日期（YYYY-MM-DD）", "date-time": "日期时间（YYYY-MM-DDThh:mm:ss+08:00）", "email": "电子邮箱",
             "time": "时间", "uri": "网址"}


def problem(field: str, zh: str, en: str) -> dict[str, str]:
    """One field-level problem as the API returns it (``errors`` of a 422)."""
    return {"field": field, "zh": zh, "en": en}


def path_of(parts: Any) -> str:
    """``["countersign_units", 0, "unit"]`` → ``countersign_units/0/unit`` (``~`` and ``/`` escaped as RFC 6901)."""
    return "/".join(str(p).replace("~", "~0").replace("/", "~1") for p in parts)


def _shown(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False) if not isinstance(v, dict | list) else ""


def translate(e: Any) -> dict[str, str]:
    """One jsonschema-rs ``ValidationError`` → ``{"field", "zh", "en"}``."""
    kind = e.kind
    name = type(kind).__name__
    parts = list(e.instance_path)
    inst = _shown(e.instance)
    if name == "Required":
        return problem(path_of([*parts, kind.property]), "必填", "required")
    if name == "AdditionalProperties":
        extra = ", ".join(kind.unexpected)
        return problem(path_of(parts), f"不认识的字段：{extra}", f"unknown field(s): {extra}")
    if name == "Type":
        types = kind.types if isinstance(kind.types, list) else [kind.types]
        want = "或".join(TYPE_ZH.get(t, t) for t in types)
        zh, en = f"应为{want}", f"must be {' or '.join(types)}"
    elif name == "Enum":
        zh = f"{inst} 不是可选值（可选：{'、'.join(str(o) for o in kind.options)}）"
        en = f"{inst} is not one of: {', '.join(str(o) for o in kind.options)}"
    elif name == "Constant":
        zh, en = f"应为 {_shown(kind.expected_value)}", f"must be {_shown(kind.expected_value)}"
    elif name == "MinLength":
        zh, en = f"至少 {kind.limit} 个字", f"at least {kind.limit} characters"
    elif name == "MaxLength":
        zh, en = f"最多 {kind.limit} 个字", f"at most {kind.limit} characters"
    elif name == "MinItems":
        zh, en = f"至少选择或填写 {kind.limit} 项", f"at least {kind.limit} item(s)"
    elif name == "MaxItems":
        zh, en = f"最多 {kind.limit} 项", f"at most {kind.limit} item(s)"
    elif name in ("Minimum", "ExclusiveMinimum"):
        strict = name == "ExclusiveMinimum"
        zh = f"不能{'小于或等于' if strict else '小于'} {kind.limit}"
        en = f"must be {'greater than' if strict else 'at least'} {kind.limit}"
    elif name in ("Maximum", "ExclusiveMaximum"):
        strict = name == "ExclusiveMaximum"
        zh = f"不能{'大于或等于' if strict else '大于'} {kind.limit}"
        en = f"must be {'less than' if strict else 'at most'} {kind.limit}"
    elif name == "Format":
        zh, en = f"{inst} 不是有效的{FORMAT_ZH.get(kind.format, kind.format)}", f"{inst} is not a valid {kind.format}"
    elif name == "Pattern":
        zh, en = f"{inst} 格式不对", f"{inst} does not match the required pattern {kind.pattern}"
    elif name == "UniqueItems":
        zh, en = "有重复项", "has duplicate items"
    elif name == "MultipleOf":
        zh, en = f"应为 {kind.multiple_of} 的整数倍", f"must be a multiple of {kind.multiple_of}"
    else:
        zh, en = f"不符合要求：{e.message}", e.message
    return problem(path_of(parts), zh, en)
