"""Attachments: uploaded files stored content-addressed under the data folder, bounded in size and type.

The bytes live at ``data_dir/files/<sha[:2]>/<sha>`` (written to a temporary file, then renamed, so a
half-written file is never visible; the same content is stored once); the ``Attachment`` row of the
unit names them. The type is decided from the file's first bytes as well as its name — a renamed
executable is refused — and the content type stored is the one the allowlist gives, not the
client's.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import AsyncIterable
from pathlib import Path

from tortoise.transactions import in_transaction

from tenants import audit
from tenants.errors import BanwenError, NotFound
from tenants.models import Attachment
from tenants.scope import tenant_scope

DEFAULT_MAX_BYTES = 50 * 1024 * 1024
CHUNK = 1024 * 1024

# The families a file's first bytes reveal.
PDF, ZIP, OLE, JPEG, PNG = "pdf", "zip", "ole", "jpeg", "png"
MAGIC = ((b"%PDF-", PDF), (b"PK\x03\x04", ZIP), (b"PK\x05\x06", ZIP), (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", OLE),
         (b"\xff\xd8\xff", JPEG), (b"\x89PNG\r\n\x1a\n", PNG))
# extension -> (family its bytes must show, content type served). OFD, DOCX and XLSX are zip containers;
# DOC, XLS and WPS (Kingsoft) are OLE compound files.
ALLOWED = {
    "pdf": (PDF, "application/pdf"),
    "ofd": (ZIP, "application/ofd"),
    "doc": (OLE, "application/msword"),
    "docx": (ZIP, "application/vnd.openxmlformats-officedocument.wordprocessingml.document"),
    "xls": (OLE, "application/vnd.ms-excel"),
    "xlsx": (ZIP, "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"),
    "wps": (OLE, "application/vnd.ms-works"),
    "jpg": (JPEG, "image/jpeg"),
    "jpeg": (JPEG, "image/jpeg"),
    "png": (PNG, "image/png"),
    "zip": (ZIP, "application/zip"),
}


class FileTooLarge(BanwenError):
    status = 413

    def __init__(self, name: str, limit: int) -> None:
        mb = limit // (1024 * 1024)
        super().__init__(f"附件 “{name}” 超过 {mb} MB 的上限，未保存。",
                         f"Attachment '{name}' is larger than the {mb} MB limit; it was not stored.")
        self.problems = [{"field": "file", "zh": self.zh, "en": self.en}]


class FileRefused(BanwenError):
    status = 422

    def __init__(self, name: str, zh: str, en: str) -> None:
        super().__init__(f"附件 “{name}” {zh}，未保存。", f"Attachment '{name}' {en}; it was not stored.")
        self.problems = [{"field": "file", "zh": self.zh, "en": self.en}]


def _allowed_names() -> str:
    return ", ".join(sorted(ALLOWED))


def sniff(head: bytes) -> str | None:
    """The family (pdf, zip, ole, jpeg, png) the first bytes of a file show, or None."""
    for magic, family in MAGIC:
        if head.startswith(magic):
            return family
    return None


def check_type(name: str, head: bytes) -> str:
    """The content type to store for ``name`` whose content starts with ``head``, or raise ``FileRefused``."""
    ext = name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if ext not in ALLOWED:
        raise FileRefused(name, f"的类型不允许（允许：{_allowed_names()}）", f"is not an allowed type (allowed: {_allowed_names()})")
    family, content_type = ALLOWED[ext]
    if sniff(head) != family:
        raise FileRefused(name, f"的内容不是 .{ext} 文件（文件名与内容不符）",
                          f"does not contain a .{ext} file (its name and content disagree)")
    return content_type


def path_of(data_dir: Path, sha256: str) -> Path:
    return data_dir / "files" / sha256[:2] / sha256


def _clean_name(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1].strip().replace("\x00", "")
    return base[:255]


async def _chunks(content: bytes | AsyncIterable[bytes]) -> AsyncIterable[bytes]:
    if isinstance(content, bytes | bytearray):
        for i in range(0, len(content), CHUNK):
            yield bytes(content[i:i + CHUNK])
    else:
        async for chunk in content:
            yield chunk


async def store_attachment(unit: str, name: str, content_type: str | None, content: bytes | AsyncIterable[bytes],
                           actor: str, *, data_dir: Path, max_bytes: int = DEFAULT_MAX_BYTES) -> Attachment:
    """Store one uploaded file for ``unit`` and return its row (not yet part of any record).

    ``content`` is the bytes or an async stream of chunks; it is hashed while written to a temporary
    file, so a file over ``max_bytes`` is refused (413) without being held in memory, and the
    allowlist is checked against the first bytes (422). ``content_type`` from the client is
    ignored in favour of the allowlist's: the file's name and bytes decide.
    """
    _ = content_type
    name = _clean_name(name)
    if not name:
        raise FileRefused("(无名)", "没有文件名", "has no file name")
    folder = data_dir / "files"
    folder.mkdir(parents=True, exist_ok=True)
    digest, size, head = hashlib.sha256(), 0, b""
    fd, tmp = tempfile.mkstemp(dir=folder, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as out:
            async for chunk in _chunks(content):
                size += len(chunk)
                if size > max_bytes:
                    raise FileTooLarge(name, max_bytes)
                if len(head) < 16:
                    head += chunk[:16]
                digest.update(chunk)
                out.write(chunk)
        stored_type = check_type(name, head)
        sha = digest.hexdigest()
        final = path_of(data_dir, sha)
        final.parent.mkdir(parents=True, exist_ok=True)
        if final.exists():
            os.unlink(tmp)
        else:
            os.replace(tmp, final)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    with tenant_scope(unit):
        row = Attachment(sha256=sha, name=name, size=size, content_type=stored_type, uploaded_by=actor)
        async with in_transaction():
            await row.save()
            await audit.record(f"attachment:{row.id}", "upload", after={"name": name, "size": size, "sha256": sha},
                               tenant=unit, actor=actor)
    return row


def not_found(attachment_id: object) -> NotFound:
    return NotFound(f"附件 #{attachment_id} 不存在。", f"Attachment #{attachment_id} does not exist.")


async def get_attachment(unit: str, attachment_id: int) -> Attachment:
    """One attachment row of the unit; another unit's id is not found, like an unknown one."""
    with tenant_scope(unit):
        row = await Attachment.get_or_none(id=attachment_id)
    if row is None:
        raise not_found(attachment_id)
    return row
