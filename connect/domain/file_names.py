"""What a file name says about its document (``contextio-2.0-more.md`` §7): its main words,
and the dates, versions and keywords that mark one revision of it.

``Budget - final - 2026-03-01 v2.xlsx`` is a revision of ``budget.xlsx``: both reduce to the
key ``budget.xlsx``. Files with the same main words and any extension are related.
"""

from __future__ import annotations

import re

KEYWORDS = {"final", "draft", "copy", "revised", "updated", "new", "old", "signed", "edited", "latest"}
_EXTENSION = re.compile(r"\.[A-Za-z0-9]{1,5}$")
_TOKEN = re.compile(
    r"(?P<date>\d{8}|\d{4}[-_.]\d{2}[-_.]\d{2}|\d{2}[-_.]\d{2}[-_.]\d{4})(?=$|[\s\-_])"
    r"|(?P<sep>\s*[-_]+\s*|\s+)|(?P<word>[^\s\-_]+)"
)
_DATE = re.compile(r"^(\d{8}|\d{4}[-_.]\d{2}[-_.]\d{2}|\d{2}[-_.]\d{2}[-_.]\d{4})$")
_VERSION = re.compile(r"^(v\d+(\.\d+)*|rev\d+|\d{1,2})$", re.IGNORECASE)


def _kind(word: str) -> str:
    if _DATE.match(word):
        return "date"
    if _VERSION.match(word):
        return "version"
    if word.lower() in KEYWORDS:
        return "keyword"
    return "main"


def structure(file_name: str) -> list[list[str]]:
    """``[[text, kind], …]`` whose texts make up the name; kinds ``main``, ``boundary``,
    ``date``, ``version``, ``keyword``, ``ext``."""
    match = _EXTENSION.search(file_name)
    stem, extension = (file_name[: match.start()], match.group()) if match else (file_name, "")
    tokens = [
        (found.group(), "sep" if found.lastgroup == "sep" else _kind(found.group()))
        for found in _TOKEN.finditer(stem)
    ]
    parts: list[list[str]] = []
    for index, (piece, kind) in enumerate(tokens):
        if kind == "sep":
            inside = 0 < index < len(tokens) - 1
            kind = "main" if inside and tokens[index - 1][1] == tokens[index + 1][1] == "main" else "boundary"
        if parts and parts[-1][1] == kind and kind in ("main", "boundary"):
            parts[-1][0] += piece
        else:
            parts.append([piece, kind])
    if extension:
        parts.append([extension, "ext"])
    return parts


def main_key(file_name: str) -> str:
    words = " ".join(text for text, kind in structure(file_name) if kind == "main")
    return " ".join(re.split(r"[\s\-_]+", words.lower())).strip()


def revision_key(file_name: str) -> str:
    extension = next((text.lower() for text, kind in structure(file_name) if kind == "ext"), "")
    return main_key(file_name) + extension
