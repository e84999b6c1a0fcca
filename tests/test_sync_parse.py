"""What the engine reads out of a FETCH: the threading headers, and header text."""

from __future__ import annotations

from connect.sync import parse


def test_threading_headers_are_unfolded_collapsed_and_the_first_of_a_repeat():
    raw = (
        b"Message-ID: <one@example.com>\r\n"
        b"References: <a@example.com>\r\n\t<b@example.com>\r\n  <c@example.com>\r\n"
        b"message-id: <second@example.com>\r\n"
        b"In-Reply-To:   <c@example.com>  \r\n\r\n"
    )
    assert parse.threading_headers(raw) == {
        "message_id": "<one@example.com>",
        "in_reply_to": "<c@example.com>",
        "references": "<a@example.com> <b@example.com> <c@example.com>",
    }


def test_missing_or_empty_threading_headers_are_none():
    assert parse.threading_headers(b"References:\r\n\r\n") == {
        "message_id": None, "in_reply_to": None, "references": None,
    }  # fmt: skip
    assert parse.threading_headers(None)["message_id"] is None


def test_header_text_decodes_encoded_words_and_leaves_plain_text_alone():
    assert parse.text(b"=?utf-8?q?F=C3=A9vrier?= report") == "Février report"
    assert parse.text("plain  text\twith spaces ") == "plain  text\twith spaces "
    assert parse.text(None) == ""
