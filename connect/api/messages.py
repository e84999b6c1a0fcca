"""The merged data set: ``messages``, ``files`` and a source's ``folders``."""

from __future__ import annotations

from flask import Response, jsonify

from ..domain import accounts, mail, threads
from ..domain.message_shape import flags_shape
from . import inputs
from .blueprint import api_root, live_mail, parameters, route, tenant
from .downloads import attachment_disposition, safe_mime_type
from .parameters import Parameters
from .shapes import file_shape, message_shape


def account_url(account_id: str) -> str:
    return f"{api_root()}/accounts/{account_id}"


def message_answers(account_id: str, found: list[dict], given: Parameters) -> list[dict]:
    """Messages as a GET answers them, with what the request's ``include_*`` asked for (a body
    or headers are read live from the mailbox, one message at a time)."""
    if given.flag("include_thread_size"):
        found = threads.with_thread_sizes(tenant(), account_id, found)
    url = account_url(account_id)
    shapes = [message_shape(message, url, given.flag("include_flags")) for message in found]
    body_type = given.choice("body_type", ("text/plain", "text/html"))
    headers = given.choice("include_headers", ("0", "1", "raw"), default="0")
    if given.flag("include_body") or headers != "0":
        for shape in shapes:
            raw = mail.message_source(tenant(), live_mail(), account_id, shape["message_id"])
            parsed = mail.parse(raw)
            if given.flag("include_body"):
                shape["body"] = mail.body_parts(parsed, body_type)
            if headers != "0":
                shape["headers"] = mail.header_text(raw) if headers == "raw" else mail.header_map(parsed)
    return shapes


@route("/accounts/<account_id>/messages", methods=["GET"])
def list_messages(account_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    given = parameters()
    found = mail.list_messages(tenant(), account_id, inputs.mail_filters(given, inputs.MAX_MESSAGES))
    return jsonify(message_answers(account_id, found, given))


@route("/accounts/<account_id>/messages/<message_id>", methods=["GET"])
def get_message(account_id: str, message_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    message = mail.find_message(tenant(), account_id, message_id)
    return jsonify(message_answers(account_id, [message], parameters())[0])


@route("/accounts/<account_id>/messages/<message_id>/source", methods=["GET"])
def message_source(account_id: str, message_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    return Response(
        mail.message_source(tenant(), live_mail(), account_id, message_id), mimetype="message/rfc822"
    )


@route("/accounts/<account_id>/messages/<message_id>/body", methods=["GET"])
def message_body(account_id: str, message_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    body_type = parameters().choice("type", ("text/plain", "text/html"))
    return jsonify(
        mail.body_parts(mail.read_message(tenant(), live_mail(), account_id, message_id), body_type)
    )


@route("/accounts/<account_id>/messages/<message_id>/headers", methods=["GET"])
def message_headers(account_id: str, message_id: str) -> Response:
    """Parsed into lists by name, or with ``raw=1`` the header block itself, as text."""
    accounts.find_account(tenant(), account_id)
    raw = mail.message_source(tenant(), live_mail(), account_id, message_id)
    if parameters().flag("raw"):
        return Response(mail.header_text(raw), mimetype="text/plain")
    return jsonify(mail.header_map(mail.parse(raw)))


@route("/accounts/<account_id>/messages/<message_id>/flags", methods=["GET"])
def message_flags(account_id: str, message_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    return jsonify(flags_shape(mail.message_flags(tenant(), live_mail(), account_id, message_id)))


@route("/accounts/<account_id>/files", methods=["GET"])
def list_files(account_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    url = account_url(account_id)
    found = mail.list_files(tenant(), account_id, inputs.mail_filters(parameters(), inputs.MAX_FILES))
    return jsonify([file_shape(f, url) for f in found])


@route("/accounts/<account_id>/files/<file_id>", methods=["GET"])
def get_file(account_id: str, file_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    return jsonify(file_shape(mail.find_file(tenant(), account_id, file_id), account_url(account_id)))


@route("/accounts/<account_id>/files/<file_id>/content", methods=["GET"])
def file_content(account_id: str, file_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    content, mime_type, name = mail.file_content(tenant(), live_mail(), account_id, file_id)
    response = Response(content, mimetype=safe_mime_type(mime_type))
    response.headers["Content-Disposition"] = attachment_disposition(name)
    return response
