"""``connect_tokens`` at the three scopes: a new account, a new source, a reconnect."""

from __future__ import annotations

from flask import Response, jsonify

from .. import storage
from ..domain import accounts, connect_tokens, sources
from ..web.public_url import external_url
from . import inputs
from .blueprint import api_root, parameters, route, success, tenant
from .shapes import account_shape, token_shape


def _collection_url(account_id: str | None, label: str | None) -> str:
    if label is not None:
        return f"{api_root()}/accounts/{account_id}/sources/{label}/connect_tokens"
    if account_id is not None:
        return f"{api_root()}/accounts/{account_id}/connect_tokens"
    return f"{api_root()}/connect_tokens"


def _shape(token: dict, collection_url: str) -> dict:
    account = None
    if token["used"] and token["account_id"]:
        row = storage.account(tenant().database, tenant().consumer_key, token["account_id"])
        if row is not None:
            account = account_shape(row, accounts.account_sources(tenant(), row["id"]), api_root())
    return token_shape(
        token,
        f"{collection_url}/{token['token']}",
        external_url("connect_hosted.connect_token_page", token=token["token"]),
        account,
    )


def _scope(account_id: str | None, label: str | None) -> tuple[str | None, str | None]:
    """Check the account (and source) exist for this client; the source's real label."""
    if label is not None:
        return account_id, sources.find_source(tenant(), account_id, label)["label"]
    if account_id is not None:
        accounts.find_account(tenant(), account_id)
    return account_id, None


@route("/connect_tokens", methods=["GET"])
@route("/accounts/<account_id>/connect_tokens", methods=["GET"])
@route("/accounts/<account_id>/sources/<label>/connect_tokens", methods=["GET"])
def list_tokens(account_id: str | None = None, label: str | None = None) -> Response:
    account_id, label = _scope(account_id, label)
    url = _collection_url(account_id, label)
    return jsonify([_shape(row, url) for row in connect_tokens.list_tokens(tenant(), account_id, label)])


@route("/connect_tokens", methods=["POST"])
@route("/accounts/<account_id>/connect_tokens", methods=["POST"])
@route("/accounts/<account_id>/sources/<label>/connect_tokens", methods=["POST"])
def create_token(account_id: str | None = None, label: str | None = None) -> Response:
    account_id, label = _scope(account_id, label)
    row = connect_tokens.create_token(tenant(), inputs.token_request(parameters()), account_id, label)
    shape = _shape(row, _collection_url(account_id, label))
    return success(
        token=row["token"],
        resource_url=shape["resource_url"],
        browser_redirect_url=shape["browser_redirect_url"],
    )


@route("/connect_tokens/<token>", methods=["GET"])
@route("/accounts/<account_id>/connect_tokens/<token>", methods=["GET"])
@route("/accounts/<account_id>/sources/<label>/connect_tokens/<token>", methods=["GET"])
def get_token(token: str, account_id: str | None = None, label: str | None = None) -> Response:
    account_id, label = _scope(account_id, label)
    row = connect_tokens.find_token(tenant(), token, account_id, label)
    return jsonify(_shape(row, _collection_url(account_id, label)))


@route("/connect_tokens/<token>", methods=["DELETE"])
@route("/accounts/<account_id>/connect_tokens/<token>", methods=["DELETE"])
@route("/accounts/<account_id>/sources/<label>/connect_tokens/<token>", methods=["DELETE"])
def delete_token(token: str, account_id: str | None = None, label: str | None = None) -> Response:
    account_id, label = _scope(account_id, label)
    connect_tokens.delete_token(tenant(), connect_tokens.find_token(tenant(), token, account_id, label))
    return success()
