"""What an uploaded file must be before it is stored: small enough, of an allowed type, honest.

The type comes from the file name and must agree with the first bytes where the format has a
signature, so an executable renamed ``.pdf`` is refused. Stored names are generated elsewhere
(``attachment_path``); the uploader's name is kept only as text, stripped of any path.
"""

import mimetypes
from pathlib import PureWindowsPath

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import UploadedFile

MAX_FILES_PER_UPLOAD = 10

_SIGNATURES: dict[str, tuple[bytes, ...]] = {
    "application/pdf": (b"%PDF-",),
    "image/png": (b"\x89PNG\r\n\x1a\n",),
    "image/jpeg": (b"\xff\xd8\xff",),
    "image/gif": (b"GIF87a", b"GIF89a"),
    "application/zip": (b"PK\x03\x04", b"PK\x05\x06"),
    "application/vnd.openxmlformats-officedocument.wordprocessingml.document": (b"PK\x03\x04",),
    "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet": (b"PK\x03\x04",),
}


def clean_name(name: str | None) -> str:
    # PureWindowsPath splits on both separators, so "..\\..\\x" and "../../x" both give "x".
    base = PureWindowsPath(name or "").name.replace("\x00", "").strip().lstrip(".")
    return base[:200] or "attachment"


def validate_upload(uploaded: "UploadedFile[bytes]") -> tuple[str, str, int]:
    """Return (clean file name, content type, size in bytes) or raise ``ValidationError`` keyed by ``file``."""
    name = clean_name(uploaded.name)
    limit = settings.ATTACHMENT_MAX_BYTES
    # Django's upload handlers (and SimpleUploadedFile) always measure the file; only an UploadedFile built by
    # hand without a size has none, and that is a caller's mistake, not a user's.
    size = uploaded.size
    if size is None:
        raise TypeError("An upload must know its size.")
    if size > limit:
        raise ValidationError({"file": [f"“{name}” is {size:,} bytes; the limit is {limit:,} bytes."]})
    content_type = mimetypes.guess_type(name)[0] or "application/octet-stream"
    if content_type not in settings.ATTACHMENT_ALLOWED_TYPES:
        raise ValidationError({"file": [f"Files of type {content_type} are not accepted."]})
    signatures = _SIGNATURES.get(content_type)
    if signatures:
        head = uploaded.read(16)
        uploaded.seek(0)
        if not head.startswith(signatures):
            raise ValidationError({"file": [f"“{name}” does not look like a {content_type} file."]})
    return name, content_type, size
