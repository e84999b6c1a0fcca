"""Contacts (``contextio-2.0-more.md`` §4)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, jsonify

from ..domain import accounts, contacts
from ..domain.message_shape import file_shape, thumbnail
from . import inputs
from .blueprint import parameters, route, tenant
from .messages import account_url, encoded_answers
from .threads import thread_urls


def contact_shape(contact: dict[str, Any], url: str) -> dict[str, Any]:
    return {
        "email": contact["email"],
        "name": contact["name"],
        "thumbnail": thumbnail(contact["email"]),
        "count": contact["count"],
        "sent_count": contact["sent_count"],
        "received_count": contact["received_count"],
        "sent_from_account_count": contact["sent_from_account_count"],
        "last_received": contact["last_received"],
        "last_sent": contact["last_sent"],
        "resource_url": f"{url}/contacts/{quote(contact['email'], safe='@')}",
    }


@route("/accounts/<account_id>/contacts", methods=["GET"])
def list_contacts(account_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    given = parameters()
    query = inputs.contact_query(given)
    found = contacts.list_contacts(tenant(), account_id, query)
    url = account_url(account_id)
    echoed = {
        "limit": query.limit,
        "offset": query.offset if given.given("offset") else None,
        "active_after": query.active_after,
        "active_before": query.active_before,
        "search": query.search,
    }
    return jsonify(query=echoed, matches=[contact_shape(contact, url) for contact in found])


@route("/accounts/<account_id>/contacts/<email>", methods=["GET"])
def get_contact(account_id: str, email: str) -> Response:
    accounts.find_account(tenant(), account_id)
    shape = contact_shape(contacts.find_contact(tenant(), account_id, email), account_url(account_id))
    return jsonify({"emails": [shape["email"]], **shape})


@route("/accounts/<account_id>/contacts/<email>/messages", methods=["GET"])
def contact_messages(account_id: str, email: str) -> Response:
    accounts.find_account(tenant(), account_id)
    given = parameters()
    limit, offset = inputs.page(given, inputs.MAX_MESSAGES)
    found = contacts.contact_messages(tenant(), account_id, email, limit, offset)
    return jsonify(encoded_answers(account_id, found, given))


@route("/accounts/<account_id>/contacts/<email>/files", methods=["GET"])
def contact_files(account_id: str, email: str) -> Response:
    accounts.find_account(tenant(), account_id)
    limit, offset = inputs.page(parameters(), inputs.MAX_FILES)
    url = account_url(account_id)
    found = contacts.contact_files(tenant(), account_id, email, limit, offset)
    return jsonify([file_shape(file, url) for file in found])


@route("/accounts/<account_id>/contacts/<email>/threads", methods=["GET"])
def contact_threads(account_id: str, email: str) -> Response:
    accounts.find_account(tenant(), account_id)
    limit, offset = inputs.page(parameters(), contacts.MAX_LIMIT)
    found = contacts.contact_threads(tenant(), account_id, email, min(limit, 100), offset)
    return jsonify(thread_urls(account_id, found))
