"""An account's email addresses (``contextio-2.0-more.md`` §8)."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from flask import Response, jsonify, request

from ..domain import accounts, email_addresses
from ..domain.errors import InvalidParameter
from .blueprint import parameters, route, success, tenant
from .messages import account_url


def _shape(address: dict[str, Any], account_id: str) -> dict[str, Any]:
    url = f"{account_url(account_id)}/email_addresses/{quote(address['email'], safe='@')}"
    return {**address, "resource_url": url}


@route("/accounts/<account_id>/email_addresses", methods=["GET", "POST"])
def account_addresses(account_id: str) -> Response:
    account = accounts.find_account(tenant(), account_id)
    if request.method == "GET":
        return jsonify([_shape(address, account_id) for address in email_addresses.addresses(account)])
    email = parameters().email("email_address", required=True)
    added = email_addresses.add_address(tenant(), account, email)
    shape = _shape(added, account_id)
    return success(email=shape["email"], resource_url=shape["resource_url"])


@route("/accounts/<account_id>/email_addresses/<email>", methods=["GET", "POST", "DELETE"])
def account_address(account_id: str, email: str) -> Response:
    account = accounts.find_account(tenant(), account_id)
    if request.method == "GET":
        return jsonify(_shape(email_addresses.find_address(account, email), account_id))
    if request.method == "DELETE":
        email_addresses.remove_address(tenant(), account, email)
        return success()
    # Context.IO's Python client sends no parameter here (its primary=1 is never sent): a
    # bare POST makes the address primary, as the call means to.
    if not parameters().flag("primary", default=True):
        raise InvalidParameter("primary=0 is not a change: make another address primary instead")
    email_addresses.make_primary(tenant(), account, email)
    return success()
