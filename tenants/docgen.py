"""Generate ``docs/schema-reference.md`` from the meta-schemas in ``schemas/``.

The meta-schemas are the single source of truth for the configuration format; unit
administrators read this Markdown page instead. Generating it (``make docs``, i.e.
``python -m tenants.docgen``) keeps the two from drifting apart, and ``--check`` lets CI and the
test suite catch a schema change that was committed without regenerating the page.

The output depends only on the schema files, so the same input gives byte-identical text.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tenants.kinds import KINDS
from tenants.paths import ROOT, SCHEMAS_DIR

COMMON_FILE = "common.schema.json"
OUTPUT_RELATIVE = Path("docs") / "schema-reference.md"

Schema = dict[str, Any]


@dataclass(frozen=True)
class _Target:
    """Where a ``$ref`` points: the file, the ``$defs`` name (if any) and the node."""

    file: str
    name: str | None
    node: Schema


@dataclass(frozen=True)
class _Ctx:
    """The loaded schema files and the file being rendered (relative ``$ref``s resolve to it)."""

    schemas: dict[str, Schema]
    file: str

    def at(self, file: str) -> _Ctx:
        return _Ctx(self.schemas, file)


# --------------------------------------------------------------------------- text helpers


def _text(s: str) -> str:
    """Escape free text for a Markdown paragraph or table cell."""
    s = " ".join(s.split())
    for ch in ("\\", "*", "<", "[", "]"):
        s = s.replace(ch, "\\" + ch)
    return s


def _code(value: Any) -> str:
    """A value as inline code."""
    s = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
    fence = "``" if "`" in s else "`"
    pad = " " if fence == "``" else ""
    return f"{fence}{pad}{s}{pad}{fence}"


def _cell(s: str) -> str:
    """Escape ``|`` for a GFM table cell (this also works inside code spans there)."""
    return s.replace("|", "\\|")


def _num(v: Any) -> str:
    return json.dumps(v)


def _stem(file: str) -> str:
    return file.removesuffix(".schema.json")


def _anchor(file: str, name: str | None = None) -> str:
    return _stem(file) if name is None else f"{_stem(file)}-{name}"


def _zh_en_list(values: Sequence[str]) -> tuple[str, str]:
    """Names or values joined the Chinese way and the English way, escaped for Markdown."""
    shown = [_text(v) for v in values]
    return "、".join(shown), ", ".join(shown)


# --------------------------------------------------------------------------- $ref resolution


def _unescape(token: str) -> str:
    return token.replace("~1", "/").replace("~0", "~")


def _resolve(ref: str, ctx: _Ctx) -> _Target:
    """Follow one ``$ref`` (``#/$defs/x`` or ``common.schema.json#/$defs/x``)."""
    file, _, pointer = ref.partition("#")
    file = file or ctx.file
    node: Any = ctx.schemas[file]
    tokens = [_unescape(t) for t in pointer.split("/")[1:]] if pointer else []
    for t in tokens:
        node = node[t]
    name = tokens[1] if len(tokens) == 2 and tokens[0] == "$defs" else None
    return _Target(file, name, node)


def _chain(node: Schema, ctx: _Ctx) -> Iterator[tuple[Schema, _Ctx]]:
    """The node, then each node its ``$ref`` leads to, with the file each lives in."""
    seen: set[tuple[str, int]] = set()
    while True:
        yield node, ctx
        ref = node.get("$ref")
        if not isinstance(ref, str):
            return
        target = _resolve(ref, ctx)
        key = (target.file, id(target.node))
        if key in seen:
            return
        seen.add(key)
        node, ctx = target.node, ctx.at(target.file)


def _lookup(node: Schema, ctx: _Ctx, key: str) -> Any:
    """The first value of ``key`` along the node's ``$ref`` chain (local annotations win)."""
    for n, _ in _chain(node, ctx):
        if key in n:
            return n[key]
    return None


# --------------------------------------------------------------------------- types


_VALUE_TYPES = (
    (bool, "boolean"),
    (int, "integer"),
    (float, "number"),
    (str, "string"),
    (type(None), "null"),
    (dict, "object"),
    (list, "array"),
)


def _value_type(v: Any) -> str:
    for py, name in _VALUE_TYPES:
        if isinstance(v, py):
            return name
    return "any"


def _plain_type(node: Schema, ctx: _Ctx) -> str:
    """The JSON type of a node, following ``$ref`` but without links."""
    for n, c in _chain(node, ctx):
        t = n.get("type")
        if t == "array" and isinstance(n.get("items"), dict):
            return "array of " + _plain_type(n["items"], c)
        if isinstance(t, str):
            return t
        if isinstance(t, list):
            return " or ".join(t)
        values = [n["const"]] if "const" in n else n.get("enum")
        if isinstance(values, list):
            return " or ".join(dict.fromkeys(_value_type(v) for v in values))
        if "properties" in n:
            return "object"
        for key in ("oneOf", "anyOf"):
            if isinstance(n.get(key), list):
                return " or ".join(dict.fromkeys(_plain_type(b, c) for b in n[key]))
    return "any"


def _type_label(node: Schema, ctx: _Ctx) -> str:
    """The type cell: a ``$ref`` becomes ``[string (id)](#common-id)``, arrays say what of."""
    ref = node.get("$ref")
    if isinstance(ref, str):
        target = _resolve(ref, ctx)
        base = _plain_type(target.node, ctx.at(target.file))
        label = f"{base} ({target.name})" if target.name else base
        return f"[{label}](#{_anchor(target.file, target.name)})"
    if node.get("type") == "array" and isinstance(node.get("items"), dict):
        return "array of " + _type_label(node["items"], ctx)
    for key in ("oneOf", "anyOf"):
        branches = node.get(key)
        if isinstance(branches, list) and "type" not in node:
            return " or ".join(_type_label(b, ctx) for b in branches)
    return _plain_type(node, ctx)


# --------------------------------------------------------------------------- constraints


def _range(n: Schema, low: str, high: str, xlow: str = "", xhigh: str = "") -> str:
    parts = []
    if xlow and xlow in n:
        parts.append(f"> {_num(n[xlow])}")
    if low in n:
        parts.append(f"≥ {_num(n[low])}")
    if xhigh and xhigh in n:
        parts.append(f"< {_num(n[xhigh])}")
    if high in n:
        parts.append(f"≤ {_num(n[high])}")
    return ", ".join(parts)


def _constraints(n: Schema) -> list[str]:
    """Plain-language lines for the validation keywords of one node (no ``$ref`` following)."""
    out = []
    if "const" in n:
        out.append(f"固定值 Fixed value: {_code(n['const'])}")
    if isinstance(n.get("enum"), list):
        out.append("可选值 Allowed values: " + ", ".join(_code(v) for v in n["enum"]))
    if "pattern" in n:
        out.append(f"正则 Pattern: {_code(n['pattern'])}")
    if "format" in n:
        out.append(f"格式 Format: {_code(n['format'])}")
    if r := _range(n, "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"):
        out.append(f"取值 Value: {r}")
    if r := _range(n, "minLength", "maxLength"):
        out.append(f"字符数 Characters: {r}")
    if r := _range(n, "minItems", "maxItems"):
        out.append(f"条目数 Items: {r}")
    if n.get("uniqueItems") is True:
        out.append("条目不得重复 No duplicate items")
    if n.get("minProperties") == 1 and n.get("maxProperties") == 1:
        out.append("只能填写其中一个字段 Exactly one of its fields")
    elif r := _range(n, "minProperties", "maxProperties"):
        out.append(f"字段数 Fields: {r}")
    if "default" in n:
        out.append(f"默认值 Default: {_code(n['default'])}")
    return out


def _ref_values(node: Schema, ctx: _Ctx) -> list[str]:
    """Allowed values of a referenced definition, so that a reader need not follow the link."""
    if "const" in node or "enum" in node:
        return []
    for n, _ in _chain(node, ctx):
        if "const" in n or "enum" in n:
            return _constraints({k: n[k] for k in ("const", "enum") if k in n})
    return []


_OPEN = "还可以包含未列出的字段 Fields not listed here are allowed too"
_EXACTLY_ONE = "以下字段必须填写且只能填写一个：{} / Exactly one of these must be given: {}"


def _open_object(node: Schema) -> bool:
    """An object with listed fields that still accepts others (no ``additionalProperties``)."""
    closed = "additionalProperties" in node or "unevaluatedProperties" in node
    return isinstance(node.get("properties"), dict) and not closed


def _value_lines(node: Schema, ctx: _Ctx) -> list[str]:
    """Constraints of a node, its referenced definition's allowed values, its items and map."""
    out = _constraints(node) + _ref_values(node, ctx)
    if _open_object(node):
        out.append(_OPEN)
    items = node.get("items")
    if isinstance(items, dict):
        inner = _constraints(items) + _ref_values(items, ctx)
        out += [f"每项 Each item — {line}" for line in inner]
    keys, values = node.get("propertyNames"), node.get("additionalProperties")
    if isinstance(values, dict):
        key_label = _type_label(keys, ctx) if isinstance(keys, dict) else "string"
        out.append(f"键 Keys: {key_label}；值 Values: {_type_label(values, ctx)}")
    return out


# --------------------------------------------------------------------------- conditions


def _when(cond: Schema, negate: bool = False) -> tuple[str, str] | None:
    """``{"properties": {"type": {"enum": [...]}}}`` → ("type 为 a、b", "type is a, b")."""
    props = cond.get("properties")
    if not isinstance(props, dict) or not props:
        return None
    zh, en = [], []
    for name, sub in props.items():
        values = [sub["const"]] if "const" in sub else sub.get("enum")
        if not isinstance(values, list):
            return None
        shown = [v if isinstance(v, str) else json.dumps(v, ensure_ascii=False) for v in values]
        z, e = _zh_en_list(shown)
        zh.append(f"{_text(name)} {'不为' if negate else '为'} {z}")
        en.append(f"{_text(name)} {'is not' if negate else 'is'} {e}")
    return "且".join(zh), " and ".join(en)


def _effect(then: Schema, zh_when: str, en_when: str, prefix: str) -> list[str]:
    out = []
    req = then.get("required")
    if isinstance(req, list) and req:
        z, e = _zh_en_list([prefix + r for r in req])
        out.append(f"当 {zh_when} 时必填：{z} / Required when {en_when}: {e}")
    banned = then.get("not", {}).get("required") if isinstance(then.get("not"), dict) else None
    if isinstance(banned, list) and banned:
        z, e = _zh_en_list([prefix + r for r in banned])
        out.append(f"当 {zh_when} 时不得填写：{z} / Must be omitted when {en_when}: {e}")
    return out


def _one_of_required(branches: Any) -> list[str] | None:
    if not isinstance(branches, list) or not branches:
        return None
    names = []
    for b in branches:
        if not (isinstance(b, dict) and set(b) == {"required"} and len(b["required"]) == 1):
            return None
        names.append(b["required"][0])
    return names


def _conditions(node: Schema, prefix: str = "") -> list[str]:
    """Conditional requirements of an object node, in plain Chinese / English sentences."""
    out = []
    for rule in node.get("allOf", []):
        cond = _when(rule.get("if", {})) if isinstance(rule, dict) else None
        if cond is None:
            if isinstance(rule, dict) and ("if" in rule or "then" in rule):
                out.append(f"其他规则 Other rule: {_code(rule)}")
            continue
        said = _effect(rule.get("then", {}), *cond, prefix)
        negated = _when(rule["if"], negate=True)
        if isinstance(rule.get("else"), dict) and negated:
            said += _effect(rule["else"], *negated, prefix)
        out += said or [f"其他规则 Other rule: {_code(rule)}"]
    if names := _one_of_required(node.get("oneOf")):
        out.append(_EXACTLY_ONE.format(*_zh_en_list([prefix + n for n in names])))
    if node.get("minProperties") == 1 and node.get("maxProperties") == 1:
        names = [prefix + n for n in node.get("properties", {})]
        out.append(_EXACTLY_ONE.format(*_zh_en_list(names)))
    if names := _one_of_required(node.get("anyOf")):
        z, e = _zh_en_list([prefix + n for n in names])
        out.append(f"以下字段至少填写一个：{z} / At least one of these must be given: {e}")
    return out


def _conditional_fields(node: Schema) -> set[str]:
    """Fields that some condition may require (shown as "conditional" in the table)."""
    out: set[str] = set()
    for rule in node.get("allOf", []):
        if isinstance(rule, dict):
            for branch in ("then", "else"):
                req = rule.get(branch, {}).get("required", [])
                out.update(r for r in req if isinstance(r, str))
    for key in ("oneOf", "anyOf"):
        out.update(_one_of_required(node.get(key)) or [])
    if node.get("minProperties", 0) >= 1 and "required" not in node:
        out.update(node.get("properties", {}))
    return out


# --------------------------------------------------------------------------- tables


def _required_cell(name: str, required: set[str], conditional: set[str]) -> str:
    if name in required:
        return "是 Yes"
    if name in conditional:
        return "视条件 Conditional"
    return "否 No"


def _rows(obj: Schema, ctx: _Ctx, prefix: str = "") -> Iterator[str]:
    """Table rows for the properties of an object; inline sub-objects follow with dotted names."""
    required = set(obj.get("required", []))
    conditional = _conditional_fields(obj)
    for name, prop in obj.get("properties", {}).items():
        title_zh = _lookup(prop, ctx, "title")
        title_en = _lookup(prop, ctx, "x-title-en")
        field = _code(prefix + name)
        titles = " ".join(_text(t) for t in (title_zh, title_en) if isinstance(t, str))
        if titles:
            field += "<br>" + titles
        lines = [
            _text(d)
            for d in (_lookup(prop, ctx, "description"), _lookup(prop, ctx, "x-description-en"))
            if isinstance(d, str)
        ]
        lines += _value_lines(prop, ctx)
        cells = [
            field,
            _type_label(prop, ctx),
            _required_cell(name, required, conditional),
            "<br>".join(lines) or "—",
        ]
        yield "| " + " | ".join(_cell(c) for c in cells) + " |"
        if isinstance(prop.get("properties"), dict):
            yield from _rows(prop, ctx, f"{prefix}{name}.")
        items = prop.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            yield from _rows(items, ctx, f"{prefix}{name}[].")


def _nested_conditions(obj: Schema, prefix: str = "") -> list[str]:
    out = _conditions(obj, prefix)
    for name, prop in obj.get("properties", {}).items():
        if isinstance(prop.get("properties"), dict):
            out += _nested_conditions(prop, f"{prefix}{name}.")
        items = prop.get("items")
        if isinstance(items, dict) and isinstance(items.get("properties"), dict):
            out += _nested_conditions(items, f"{prefix}{name}[].")
    return out


def _object_block(obj: Schema, ctx: _Ctx, heading: str) -> list[str]:
    """The property table of an object schema, then its conditions and object-level limits."""
    out = [
        heading,
        "",
        "| 字段 Field | 类型 Type | 必填 Required | 说明 Description |",
        "| --- | --- | --- | --- |",
        *_rows(obj, ctx),
        "",
    ]
    rules = _nested_conditions(obj)
    if _open_object(obj):
        rules.append(_OPEN)
    if rules:
        out += ["条件 Conditions:", "", *[f"- {r}" for r in rules], ""]
    return out


# --------------------------------------------------------------------------- sections


def _descriptions(node: Schema) -> list[str]:
    out = []
    for key in ("description", "x-description-en"):
        if isinstance(node.get(key), str):
            out += [_text(node[key]), ""]
    return out


def _definition(name: str, node: Schema, ctx: _Ctx) -> list[str]:
    """A sub-section for one ``$defs`` entry: table for objects, type and values otherwise."""
    titles = " ".join(
        _text(t) for t in (node.get("title"), node.get("x-title-en")) if isinstance(t, str)
    )
    out = [
        f'<a id="{_anchor(ctx.file, name)}"></a>',
        "",
        f"#### {titles or _text(name)} ({_stem(ctx.file)})",
        "",
        f"定义名 Definition: {_code(name)}",
        "",
        *_descriptions(node),
    ]
    if isinstance(node.get("properties"), dict):
        return out + _object_block(node, ctx, "字段 Fields:")
    facts = [f"类型 Type: {_type_label(node, ctx)}", *_value_lines(node, ctx)]
    return out + [f"- {line}" for line in facts] + [""]


def _section(schema: Schema, ctx: _Ctx, title_fallback: str) -> list[str]:
    """One top-level section: a bundle kind's file, or the shared definitions."""
    zh = schema.get("title", title_fallback)
    en = schema.get("x-title-en", "")
    out = [f'<a id="{_anchor(ctx.file)}"></a>', "", f"## {_text(zh)} / {_text(en)}", ""]
    if "x-file" in schema:
        out += [f"文件 File: {_code(schema['x-file'])}", ""]
    out += [f"元模式 Meta-schema: {_code('schemas/' + ctx.file)}", "", *_descriptions(schema)]
    if isinstance(schema.get("properties"), dict):
        out += _object_block(schema, ctx, "### 字段 Fields")
    defs = schema.get("$defs", {})
    if defs:
        out += ["### 定义 Definitions", ""]
        for name, node in defs.items():
            out += _definition(name, node, ctx)
    return out


_PREAMBLE = """\
# 配置文件格式参考 / Configuration file reference

> 本文件由 `make docs` 根据 `schemas/` 中的元模式自动生成，请勿手工编辑；如需修改，请修改 \
`schemas/*.schema.json` 后运行 `make docs`。
>
> This file is generated from `schemas/` by `make docs`. Do not edit it by hand: change \
`schemas/*.schema.json` and run `make docs`.

## 阅读说明 / How to read this page

每个配置文件对应下面的一节；表格列出文件中可以填写的字段。\
Each configuration file has a section below; its table lists the fields the file may contain.

- 类型 Type：`string` 文本 text；`integer` 整数 whole number；`number` 数字（可带小数） number \
(decimals allowed)；`boolean` 是或否 true or false；`object` 一组字段 a group of fields；\
`array of …` 列表（YAML 中每项以 `- ` 开头） a list (in YAML each item starts with `- `)；\
`null` 空 empty。
- 括号中的名称（如 `string (id)`）是一个定义，点击可查看其说明和要求。\
A name in brackets, such as `string (id)`, is a definition: follow the link for its rules.
- 必填 Required：“是 Yes”必须填写；“视条件 Conditional”见表下的条件。\
"Yes" must be given; "Conditional" depends on the conditions listed under the table.
- 带点的字段（如 `ui.sections`）是上一行对象中的字段，对象出现时按“必填”列填写。\
A dotted field (such as `ui.sections`) lives inside the object on an earlier row; \
"Required" applies whenever that object is given.
- 表中未列出的字段不能出现在文件中（另有说明的除外）。\
Fields not listed may not appear in the file unless stated otherwise.
"""


def _load(schemas_dir: Path) -> dict[str, Schema]:
    return {
        p.name: json.loads(p.read_text(encoding="utf-8"))
        for p in sorted(schemas_dir.glob("*.schema.json"))
    }


def render_reference(schemas_dir: Path = SCHEMAS_DIR) -> str:
    """Render the whole reference page, so that it can be written or compared with the file."""
    schemas = _load(schemas_dir)
    files = [(k.schema, k.name) for k in KINDS.values()] + [(COMMON_FILE, "common")]
    toc = ["## 目录 / Contents", ""]
    body: list[str] = []
    for file, fallback in files:
        schema = schemas[file]
        zh, en = schema.get("title", fallback), schema.get("x-title-en", "")
        toc.append(f"- [{_text(zh)} / {_text(en)}](#{_anchor(file)})")
        body += _section(schema, _Ctx(schemas, file), fallback)
    lines = [_PREAMBLE, *toc, "", *body]
    return "\n".join(lines).rstrip("\n") + "\n"


def main(argv: Sequence[str] | None = None) -> int:
    """Write ``docs/schema-reference.md``; with ``--check`` only say whether it is current."""
    parser = argparse.ArgumentParser(
        prog="python -m tenants.docgen",
        description="Generate docs/schema-reference.md from schemas/ (生成配置格式参考).",
    )
    parser.add_argument(
        "--check",
        action="store_true",
        help="exit 1 if the committed file is out of date (检查是否过期)",
    )
    args = parser.parse_args(argv)
    target = ROOT / OUTPUT_RELATIVE
    text = render_reference()
    if args.check:
        current = target.read_text(encoding="utf-8") if target.is_file() else None
        if current != text:
            state = "不存在 is missing" if current is None else "已过期 is out of date"
            print(
                f"{OUTPUT_RELATIVE.as_posix()} {state}：请运行 make docs 重新生成。\n"
                "Run `make docs` (python -m tenants.docgen) to regenerate it from schemas/, "
                "then commit the result.",
                file=sys.stderr,
            )
            return 1
        print(f"{OUTPUT_RELATIVE.as_posix()} 已是最新 is up to date.")
        return 0
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_text(text, encoding="utf-8", newline="\n")
    print(f"已生成 wrote {OUTPUT_RELATIVE.as_posix()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
