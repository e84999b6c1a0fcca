"""Headers for a file served from a mailbox: its name and type come from whoever sent the mail.

A name may hold any Unicode, CR/LF (which would split the header) or path separators (which a
careless client would follow); a type may be anything at all. The answer keeps what is safe:
the base name, printable, as RFC 6266 ``filename*=UTF-8''…`` with an ASCII fallback.
"""

from __future__ import annotations

import re
import unicodedata
from urllib.parse import quote

_MIME_TYPE = re.compile(r"[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}/[A-Za-z0-9][A-Za-z0-9!#$&^_.+-]{0,126}")
FALLBACK_NAME = "attachment"


def safe_file_name(name: str | None) -> str:
    """The base name, without control characters, quotes or leading dots."""
    base = re.split(r"[/\\]", name or "")[-1]
    base = "".join(c for c in base if unicodedata.category(c)[0] != "C" and c not in '"').strip()
    base = base.lstrip(".").strip()
    return base[:255] or FALLBACK_NAME


def attachment_disposition(name: str | None) -> str:
    safe = safe_file_name(name)
    fallback = unicodedata.normalize("NFKD", safe).encode("ascii", "ignore").decode()
    fallback = re.sub(r"[^A-Za-z0-9._ ()+-]", "_", fallback).strip()
    if not fallback or fallback.startswith("."):  # nothing left of the name but its extension
        fallback = FALLBACK_NAME + fallback
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(safe, safe='')}"


def safe_mime_type(mime_type: str | None) -> str:
    return mime_type.lower() if mime_type and _MIME_TYPE.fullmatch(mime_type) else "application/octet-stream"
