"""The merged data set: ``messages``, ``files`` and a source's ``folders``."""

from __future__ import annotations

import json

from flask import Response, current_app, g, jsonify, request
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from orjson import Fragment

from ..domain import accounts, mail, threads
from ..domain.errors import Gone, NotFound
from ..domain.message_shape import flags_shape
from ..web.public_url import external_url
from . import inputs
from .blueprint import api_root, bp, live_mail, parameters, route, tenant, tenant_of
from .downloads import attachment_disposition, safe_mime_type
from .parameters import Parameters
from .shapes import file_shape, folder_reference, message_json, message_shape

LINK_SECONDS = 3600


def account_url(account_id: str) -> str:
    return f"{api_root()}/accounts/{account_id}"


def message_answers(account_id: str, found: list[dict], given: Parameters) -> list[dict]:
    """Messages as a GET answers them, with what the request's ``include_*`` asked for (bodies,
    headers and sources are read from the mailbox: one FETCH per folder for the whole page)."""
    body_type, headers, from_mailbox = _mailbox_parts(given)
    if given.flag("include_thread_size"):
        found = threads.with_thread_sizes(tenant(), account_id, found)
    url = account_url(account_id)
    shapes = [message_shape(message, url, given.flag("include_flags")) for message in found]
    if from_mailbox:
        raws = live_mail().raw_messages({message["id"]: message["locations"] for message in found})
        for shape in shapes:
            raw = raws[shape["message_id"]]
            if given.flag("include_source"):
                shape["source"] = raw.decode("utf-8", "replace")
            parsed = mail.parse(raw)
            if given.flag("include_body"):
                shape["body"] = mail.body_parts(parsed, body_type)
            if headers != "0":
                shape["headers"] = mail.header_text(raw) if headers == "raw" else mail.header_map(parsed)
    return shapes


def encoded_answers(account_id: str, found: list[dict], given: Parameters) -> list[dict] | list[Fragment]:
    """The same, for an answer that adds nothing around them: without bodies, headers or
    sources each message is its stored shape joined to its live part, already encoded."""
    if _mailbox_parts(given)[2]:
        return message_answers(account_id, found, given)
    if given.flag("include_thread_size"):
        found = threads.with_thread_sizes(tenant(), account_id, found)
    url = account_url(account_id)
    return [message_json(message, url, given.flag("include_flags")) for message in found]


def _mailbox_parts(given: Parameters) -> tuple[str | None, str | None, bool]:
    """The body type and headers asked for, and whether anything must be read from the mailbox."""
    body_type = given.choice("body_type", ("text/plain", "text/html"))
    headers = given.choice("include_headers", ("0", "1", "raw"), default="0")
    from_mailbox = given.flag("include_body") or headers != "0" or given.flag("include_source")
    return body_type, headers, from_mailbox


@route("/accounts/<account_id>/messages", methods=["GET"])
def list_messages(account_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    given = parameters()
    found = mail.list_messages(tenant(), account_id, inputs.mail_filters(given, inputs.MAX_MESSAGES))
    return jsonify(encoded_answers(account_id, found, given))


@route("/accounts/<account_id>/messages/<message_id>", methods=["GET"])
def get_message(account_id: str, message_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    message = mail.find_message(tenant(), account_id, message_id)
    return jsonify(encoded_answers(account_id, [message], parameters())[0])


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


@route("/accounts/<account_id>/messages/<message_id>/folders", methods=["GET"])
def folders_holding(account_id: str, message_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    message = mail.find_message(tenant(), account_id, message_id)
    named = {
        location["folder"]: folder_reference(location["folder"], json.loads(location["folder_attributes"]))
        for location in message["locations"]
    }
    return jsonify(list(named.values()))


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


@route("/accounts/<account_id>/files/<file_id>/related", methods=["GET"])
def related_files(account_id: str, file_id: str) -> Response:
    """Files whose names share this one's main words, whatever their type."""
    accounts.find_account(tenant(), account_id)
    found = mail.similar_files(tenant(), account_id, file_id, same_type=False)
    return jsonify([file_shape(file, account_url(account_id)) for file in found])


@route("/accounts/<account_id>/files/<file_id>/revisions", methods=["GET"])
def file_revisions(account_id: str, file_id: str) -> Response:
    """Other versions of the same document: the same name once dates, versions and words like
    "final" are set aside, and the same type."""
    accounts.find_account(tenant(), account_id)
    found = mail.similar_files(tenant(), account_id, file_id, same_type=True)
    return jsonify([file_shape(file, account_url(account_id)) for file in found])


@route("/accounts/<account_id>/files/<file_id>/content", methods=["GET"])
def file_content(account_id: str, file_id: str) -> Response:
    """The file's bytes; or, asked with ``Accept: text/uri-list`` or ``as_link=1``, a link that
    downloads them without a signature for an hour."""
    accounts.find_account(tenant(), account_id)
    if parameters().flag("as_link") or "text/uri-list" in request.headers.get("Accept", ""):
        mail.find_file(tenant(), account_id, file_id)
        token = file_links().dumps([tenant().consumer_key, account_id, file_id])
        link = external_url("connect_api.download_file", token=token)
        return Response(link, mimetype="text/uri-list")
    return _download(account_id, file_id)


@bp.get("/files/download/<token>")
def download_file(token: str) -> Response:
    try:
        consumer_key, account_id, file_id = file_links().loads(token, max_age=LINK_SECONDS)
    except SignatureExpired:
        raise Gone("this download link has expired: ask the API for a new one") from None
    except BadSignature:
        raise NotFound("no such download link") from None
    g.connect_tenant = tenant_of(consumer_key)
    return _download(account_id, file_id)


def _download(account_id: str, file_id: str) -> Response:
    content, mime_type, name = mail.file_content(tenant(), live_mail(), account_id, file_id)
    response = Response(content, mimetype=safe_mime_type(mime_type))
    response.headers["Content-Disposition"] = attachment_disposition(name)
    return response


def file_links() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.secret_key, salt="connect-file-link")
