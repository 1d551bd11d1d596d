"""Read and write bundle files: YAML through ruamel.yaml (keeps comments and key order), or JSON.

A parsed file keeps two views: ``doc``, the round-trip tree (for line numbers and for writing
back with comments intact), and ``data``, plain JSON values (dicts, lists, str, numbers) that
validators and the runtime use. Dates written without quotes become ISO strings in ``data``.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from dataclasses import dataclass
from typing import Any

from ruamel.yaml import YAML
from ruamel.yaml.comments import CommentedMap, CommentedSeq
from ruamel.yaml.error import MarkedYAMLError, YAMLError

from tenants.errors import BundleError, pointer_parts


def _yaml() -> YAML:
    y = YAML(typ="rt")
    y.preserve_quotes = True
    y.width = 4096
    y.indent(mapping=2, sequence=4, offset=2)
    y.allow_unicode = True
    return y


@dataclass(frozen=True)
class Parsed:
    path: str
    doc: Any
    data: Any

    def line_of(self, pointer: str) -> int | None:
        """1-based line of the deepest node on ``pointer`` that the text records."""
        node = self.doc
        line = 1 if node is not None else None
        for part in pointer_parts(pointer):
            try:
                if isinstance(node, CommentedMap):
                    key = _match_key(node, part)
                    if key is None:
                        break
                    line = node.lc.key(key)[0] + 1
                    node = node[key]
                elif isinstance(node, CommentedSeq):
                    idx = int(part)
                    line = node.lc.item(idx)[0] + 1
                    node = node[idx]
                else:
                    break
            except (KeyError, IndexError, ValueError, TypeError, AttributeError):
                break
        return line


def _match_key(node: CommentedMap, part: str) -> Any:
    if part in node:
        return part
    for k in node:
        if str(k) == part:
            return k
    return None


def to_plain(value: Any) -> Any:
    """Round-trip tree → plain JSON values."""
    if isinstance(value, dict):
        return {str(k): to_plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [to_plain(v) for v in value]
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int):
        return int(value)
    if isinstance(value, float):
        return float(value)
    if isinstance(value, str):
        return str(value)
    return value


class FileSyntaxError(Exception):
    def __init__(self, error: BundleError) -> None:
        super().__init__(error.en)
        self.error = error


def parse_text(path: str, text: str) -> Parsed:
    """Parse one file's text; a syntax error raises ``FileSyntaxError`` naming line and column."""
    if path.endswith(".json"):
        try:
            data = json.loads(text)
        except json.JSONDecodeError as exc:
            raise FileSyntaxError(
                BundleError(
                    path, "", "json_syntax",
                    f"JSON 语法错误（第 {exc.lineno} 行第 {exc.colno} 列）：{exc.msg}",
                    f"JSON syntax error at line {exc.lineno}, column {exc.colno}: {exc.msg}",
                    line=exc.lineno,
                )
            ) from None
        return Parsed(path, None, data)
    try:
        doc = _yaml().load(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else None
        col = mark.column + 1 if mark else None
        problem = (exc.problem or exc.context or "").strip()
        raise FileSyntaxError(
            BundleError(
                path, "", "yaml_syntax",
                f"YAML 语法错误（第 {line} 行第 {col} 列）：{problem}",
                f"YAML syntax error at line {line}, column {col}: {problem}",
                line=line,
            )
        ) from None
    except YAMLError as exc:
        raise FileSyntaxError(
            BundleError(path, "", "yaml_syntax", f"YAML 语法错误：{exc}", f"YAML syntax error: {exc}")
        ) from None
    return Parsed(path, doc, to_plain(doc))


def dump_yaml(doc: Any) -> str:
    """Write a round-trip tree (or plain values) as YAML text."""
    buf = io.StringIO()
    _yaml().dump(doc, buf)
    return buf.getvalue()


def dump_text(path: str, data: Any) -> str:
    """Plain values → file text in the format the path's suffix names."""
    if path.endswith(".json"):
        return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    return dump_yaml(data)
