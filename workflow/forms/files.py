"""Files sent to a form's files question (Kind.files): which are accepted, and the step.

Pure rules, no database and no Telegram. A file is checked twice: by what the message says
(its name and size, before anything is downloaded) and by its first bytes (a photo renamed
to .pdf is refused), so what is kept with an item is what it claims to be.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import PurePath
from typing import Any

from workflow.forms.flow import Outcome, question_scope, refuse
from workflow.forms.spec import FILES_LIMIT, Context, Cursor, Data, FormSpec, Kind, Problem

MAX_BYTES = 10 * 1024 * 1024  # 10 MB: a scanned reply of a few pages, well under Telegram's 20
# Extension → (MIME type kept, signatures its content may start with).
ACCEPTED: dict[str, tuple[str, tuple[bytes, ...]]] = {
    ".pdf": ("application/pdf", (b"%PDF",)),
    ".doc": ("application/msword", (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1",)),
    ".docx": (
        "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
        (b"PK\x03\x04",),
    ),
    ".jpg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".jpeg": ("image/jpeg", (b"\xff\xd8\xff",)),
    ".png": ("image/png", (b"\x89PNG\r\n\x1a\n",)),
}


@dataclass(frozen=True, slots=True)
class Upload:
    """A file as received: its name, size, bytes and Telegram's id for it."""

    file_name: str
    size: int
    content: bytes = b""
    telegram_file_id: str | None = None

    @property
    def extension(self) -> str:
        return PurePath(self.file_name).suffix.lower()

    @property
    def mime_type(self) -> str:
        return ACCEPTED[self.extension][0] if self.extension in ACCEPTED else ""

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.content).hexdigest()


def _megabytes(size: int) -> str:
    return f"{size / (1024 * 1024):.1f}"


def announced_problem(file_name: str | None, size: int | None) -> Problem | None:
    """Why a file is refused from its name and size alone (checked before downloading)."""
    extension = PurePath(file_name or "").suffix.lower()
    if extension not in ACCEPTED:
        return Problem("file_type", {"name": file_name or ""})
    if size is not None and size > MAX_BYTES:
        return Problem("file_too_large", {"limit": _megabytes(MAX_BYTES), "size": _megabytes(size)})
    if size == 0:
        return Problem("file_empty")
    return None


def content_problem(upload: Upload) -> Problem | None:
    """Why the downloaded bytes are refused: too large, empty, or not what the name says."""
    problem = announced_problem(upload.file_name, len(upload.content))
    if problem is not None:
        return problem
    signatures = ACCEPTED[upload.extension][1]
    if not upload.content.startswith(signatures):
        return Problem("file_content_mismatch", {"name": upload.file_name})
    return None


def expects_file(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> bool:
    """Whether the question at `cursor` takes files."""
    if cursor.is_summary or cursor.is_menu:
        return False
    spec, _, _ = question_scope(form, data, cursor, context)
    return spec.kind is Kind.files


def room_problem(form: FormSpec, data: Data, cursor: Cursor, context: Context) -> Problem | None:
    """Why no further file can be added at `cursor` (not a files question, or it is full)."""
    if not expects_file(form, data, cursor, context):
        return Problem("file_not_expected")
    spec, scope, _ = question_scope(form, data, cursor, context)
    limit = spec.max_count or FILES_LIMIT
    if len(scope.get(spec.name) or []) >= limit:
        return Problem("too_many_files", {"limit": limit})
    return None


def add_file(
    form: FormSpec, data: Data, cursor: Cursor, file: Mapping[str, Any], context: Context
) -> Outcome:
    """A stored file added to the files question at `cursor`; the question stays until
    "done", so several can be sent one after another."""
    problem = room_problem(form, data, cursor, context)
    if problem is not None:
        return refuse(data, cursor, problem.code, **problem.params)
    new = copy.deepcopy(data)
    spec, scope, _ = question_scope(form, new, cursor, context)
    scope[spec.name] = [*(scope.get(spec.name) or []), dict(file)]
    return Outcome(new, cursor)
