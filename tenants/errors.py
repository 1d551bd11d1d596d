"""Errors that name where the problem is, in Chinese and English (STYLE §2.6)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True, order=True)
class BundleError:
    """One problem in a bundle: which file, where in it (RFC 6901 pointer), what is wrong.

    ``line`` is 1-based when the file's text is known, else ``None``.
    """

    file: str
    pointer: str
    code: str
    zh: str
    en: str
    line: int | None = field(default=None, compare=False)

    def where(self) -> str:
        at = f"{self.file}:{self.line}" if self.line else self.file
        return f"{at} {self.pointer or '/'}"

    def as_dict(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "line": self.line,
            "pointer": self.pointer,
            "code": self.code,
            "message_zh": self.zh,
            "message_en": self.en,
        }


class BanwenError(Exception):
    """An error a person can act on: shown as one message (zh and en), never a traceback.

    ``exit_code`` is what the CLI exits with; ``status`` what the HTTP layer answers.
    """

    exit_code = 1
    status = 400

    def __init__(self, zh: str, en: str) -> None:
        super().__init__(en)
        self.zh = zh
        self.en = en

    def message(self) -> str:
        return f"{self.zh}\n{self.en}"


class NotFound(BanwenError):
    exit_code = 2
    status = 404


class Conflict(BanwenError):
    exit_code = 3
    status = 409


class BundleInvalid(BanwenError):
    """A bundle failed validation; carries every problem found."""

    def __init__(self, errors: list[BundleError]) -> None:
        n = len(errors)
        super().__init__(f"配置有 {n} 处错误，未作任何修改。", f"The bundle has {n} error(s); nothing was changed.")
        self.errors = errors


def pointer_join(*parts: str | int) -> str:
    """``pointer_join("nodes", 3, "id")`` → ``/nodes/3/id`` (RFC 6901 escaping)."""
    out = []
    for p in parts:
        out.append(str(p).replace("~", "~0").replace("/", "~1"))
    return "/" + "/".join(out) if out else ""


def pointer_parts(pointer: str) -> list[str]:
    if not pointer:
        return []
    return [p.replace("~1", "/").replace("~0", "~") for p in pointer.lstrip("/").split("/")]


class FieldErrors(BanwenError):
    """Submitted form data with problems; nothing was written.

    ``problems`` lists each as ``{"field": path, "zh": ..., "en": ...}``: the path is the field id,
    or ``field/0/sub`` inside repeatable rows, or ``""`` for the form as a whole. The HTTP layer
    answers 422 with them as ``errors``, so a screen shows each message at its field.
    """

    status = 422

    def __init__(self, problems: list[dict[str, str]]) -> None:
        n = len(problems)
        first_zh = f"：{problems[0]['zh']}" if n == 1 else ""
        first_en = f": {problems[0]['en']}" if n == 1 else ""
        super().__init__(f"表单有 {n} 处错误{first_zh}，未作任何修改。",
                         f"The form has {n} error(s){first_en}; nothing was changed.")
        self.problems = problems
