"""What the index keeps of a FETCH response: addresses, attachments, the threading headers.

Pure functions over imapclient's parsed structures, so the rules (what counts as a file, what
is a signature image) are testable without a server.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import re
from email.header import decode_header, make_header
from typing import Any

# Small inline images are signatures and logos; winmail.dat is Outlook's TNEF wrapper.
SIGNATURE_IMAGE_MAX_BYTES = 20 * 1024
_GENERATED_IMAGE_NAME = re.compile(r"(image|logo|signature|sig)\d*\.(png|gif|jpe?g|bmp)$", re.IGNORECASE)


def text(raw: bytes | str | None) -> str:
    """A header value as text, RFC 2047 encoded words decoded; never raises."""
    if raw is None:
        return ""
    value = raw.decode("utf-8", "replace") if isinstance(raw, bytes) else raw
    if "=?" not in value:
        return value  # no encoded word: decoding would give it back unchanged, at 20 µs a call
    try:
        return str(make_header(decode_header(value)))
    except (ValueError, LookupError, UnicodeError):
        return value


def _address(address: Any) -> dict[str, str] | None:
    if address is None or address.mailbox is None:
        return None  # group syntax markers carry no address
    mailbox = text(address.mailbox)
    host = text(address.host) if address.host else ""
    return {"email": f"{mailbox}@{host}".lower() if host else mailbox.lower(), "name": text(address.name)}


def _addresses(addresses: Any) -> list[dict[str, str]]:
    return [found for found in (_address(address) for address in addresses or ()) if found]


def envelope_addresses(envelope: Any) -> dict[str, Any]:
    senders = _addresses(envelope.from_)
    return {
        "from": senders[0] if senders else {},
        "to": _addresses(envelope.to),
        "cc": _addresses(envelope.cc),
        "bcc": _addresses(envelope.bcc),
        "reply_to": _addresses(envelope.reply_to),
    }


def threading_headers(raw: bytes | None) -> dict[str, str | None]:
    """Message-ID, In-Reply-To and References from the few header lines fetched for them,
    unfolded and with whitespace collapsed (the first of a repeated field, as mail readers take)."""
    fields: dict[str, str] = {}
    name = None
    for line in (raw or b"").decode("utf-8", "replace").splitlines():
        if line[:1] in (" ", "\t") and name is not None:
            fields[name] += " " + line
        elif ":" in line:
            field, _, value = line.partition(":")
            name = field.strip().lower()
            if name in fields:
                name = None  # a repeated field: keep the first
            else:
                fields[name] = value
        else:
            name = None

    def value(field: str) -> str | None:
        found = " ".join(text(fields.get(field, "")).split())
        return found or None

    return {
        "message_id": value("message-id"),
        "in_reply_to": value("in-reply-to"),
        "references": value("references"),
    }


def dedupe_key(message_id: str | None, envelope: Any, size: int) -> str:
    """What makes two copies (two folders, two sources) the same message in the data set."""
    if message_id:
        return message_id.strip().lower()
    fallback = json.dumps([str(envelope.date), text(envelope.subject), envelope_addresses(envelope), size])
    return "sha1:" + hashlib.sha1(fallback.encode()).hexdigest()


def _params(raw: Any) -> dict[str, str]:
    """BODYSTRUCTURE parameters, RFC 2231 ones (``filename*=UTF-8''F%C3%A9vrier.pdf``, split
    into ``*0*``, ``*1*``…) joined and decoded like plain and RFC 2047 ones."""
    if not raw:
        return {}
    items = list(raw)
    pairs = [(text(items[i]).lower(), text(items[i + 1])) for i in range(0, len(items) - 1, 2)]
    try:
        decoded = email.utils.decode_params([("", ""), *pairs])[1:]
    except (ValueError, LookupError, UnicodeError):
        return dict(pairs)
    return {name: email.utils.unquote(email.utils.collapse_rfc2231_value(value)) for name, value in decoded}


def attachments(structure: Any, section: str = "") -> list[dict[str, Any]]:
    """Every part that is a file: named, or disposed as an attachment. ``body_section`` is the
    IMAP part number (``2``, ``1.2.1``) a client fetches it by."""
    if structure is None:
        return []
    if structure.is_multipart:
        found = []
        for index, part in enumerate(structure[0], start=1):
            found.extend(attachments(part, f"{section}.{index}" if section else str(index)))
        return found
    main, sub = text(structure[0]).lower(), text(structure[1]).lower()
    if main == "message" and sub == "rfc822":
        return []  # a forwarded message is a message, not a file
    parameters = _params(structure[2])
    disposition_name, disposition_params = None, {}
    extension = (
        structure[8]
        if len(structure) > 8 and main != "text"
        else (structure[9] if len(structure) > 9 else None)
    )
    if isinstance(extension, tuple) and extension and isinstance(extension[0], bytes):
        disposition_name = text(extension[0]).lower()
        disposition_params = _params(extension[1]) if len(extension) > 1 else {}
    name = disposition_params.get("filename") or parameters.get("name")
    if not name and disposition_name != "attachment":
        return []
    content_id = text(structure[3]).strip("<>") or None
    size = int(structure[6] or 0)
    mime_type = f"{main}/{sub}"
    return [
        {
            "file_name": name or "attachment",
            "type": mime_type,
            "size": size,
            "body_section": section or "1",
            "is_embedded": int(disposition_name == "inline" or bool(content_id)),
            "content_disposition": disposition_name,
            "content_id": content_id,
        }
    ]


def is_noise(file: dict[str, Any]) -> bool:
    """Files Context.IO left out of the files list unless ``raw_file_list=1``."""
    name = file["file_name"].lower()
    if name == "winmail.dat" or file["type"] == "application/ms-tnef":
        return True
    small_image = file["type"].startswith("image/") and file["size"] <= SIGNATURE_IMAGE_MAX_BYTES
    return small_image and (bool(file["is_embedded"]) or bool(_GENERATED_IMAGE_NAME.match(name)))
