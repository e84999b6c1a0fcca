"""File names and types from a sender's mail, made safe for a download's headers."""

from __future__ import annotations

import pytest

from connect.api.downloads import attachment_disposition, safe_file_name, safe_mime_type


@pytest.mark.parametrize(
    ("name", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("..\\..\\windows\\evil.exe", "evil.exe"),
        ("two\r\nSet-Cookie: a=b.txt", "twoSet-Cookie: a=b.txt"),
        ('quote".txt', "quote.txt"),
        (".hidden", "hidden"),
        ("", "attachment"),
        (None, "attachment"),
        ("dir/", "attachment"),
    ],
)
def test_names_keep_only_a_printable_base_name(name, safe):
    assert safe_file_name(name) == safe


def test_a_non_ascii_name_has_an_rfc_6266_form_and_an_ascii_fallback():
    assert attachment_disposition(
        "日本語.txt"
    ) == "attachment; filename=\"attachment.txt\"; filename*=UTF-8''" + ("%E6%97%A5%E6%9C%AC%E8%AA%9E.txt")
    assert "\r" not in attachment_disposition("a\r\nb") and "\n" not in attachment_disposition("a\r\nb")


@pytest.mark.parametrize(
    ("given", "served"),
    [
        ("application/pdf", "application/pdf"),
        ("TEXT/Plain", "text/plain"),
        ("text/html\r\nX-Evil: 1", "application/octet-stream"),
        ("nonsense", "application/octet-stream"),
        (None, "application/octet-stream"),
    ],
)
def test_types_are_served_only_when_well_formed(given, served):
    assert safe_mime_type(given) == served
