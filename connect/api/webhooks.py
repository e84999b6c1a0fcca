"""Webhooks (``contextio-2.0-more.md`` §1): on an account, and app level (``/2.0/webhooks``),
for every account of the API client, present and future."""

from __future__ import annotations

import json
from typing import Any

from flask import Response, jsonify, request

from ..domain import accounts, webhooks
from . import inputs
from .blueprint import api_root, parameters, route, success, tenant


def webhook_shape(webhook: dict[str, Any], collection_url: str) -> dict[str, Any]:
    shape = {
        "webhook_id": webhook["webhook_id"],
        "callback_url": webhook["callback_url"],
        "failure_notif_url": webhook["failure_notif_url"],
        "active": bool(webhook["active"]),
        "failure": bool(webhook["failure"]),
        "sync_period": webhook["sync_period"],
        **json.loads(webhook["filters"]),
        "include_body": bool(webhook["include_body"]),
        "body_type": webhook["body_type"],
        "include_header": webhook["include_header"] != "0",
        "receive_drafts": bool(webhook["receive_drafts"]),
        "receive_all_changes": bool(webhook["receive_all_changes"]),
        "resource_url": f"{collection_url}/{webhook['webhook_id']}",
    }
    if webhook["account_id"] is None:
        shape.update(receive_historical=bool(webhook["receive_historical"]), version="2.0")
    return shape


def _scope(account_id: str | None) -> str:
    """The webhooks' collection URL, once the account (if any) is known to be the caller's."""
    if account_id is None:
        return f"{api_root()}/webhooks"
    accounts.find_account(tenant(), account_id)
    return f"{api_root()}/accounts/{account_id}/webhooks"


def _collection(account_id: str | None) -> Response:
    url = _scope(account_id)
    if request.method == "GET":
        return jsonify([webhook_shape(hook, url) for hook in webhooks.webhooks(tenant(), account_id)])
    settings = inputs.webhook_settings(parameters())
    created = webhooks.create_webhook(tenant(), account_id, settings, api_root())
    return success(webhook_id=created["webhook_id"], resource_url=f"{url}/{created['webhook_id']}")


def _instance(account_id: str | None, webhook_id: str) -> Response:
    url = _scope(account_id)
    if request.method == "DELETE":
        webhooks.delete_webhook(tenant(), account_id, webhook_id)
        return success()
    if request.method == "POST":
        webhooks.update_webhook(tenant(), account_id, webhook_id, inputs.webhook_settings(parameters()))
        return success(resource_url=f"{url}/{webhook_id}")
    return jsonify(webhook_shape(webhooks.find_webhook(tenant(), account_id, webhook_id), url))


@route("/accounts/<account_id>/webhooks", methods=["GET", "POST"])
def account_webhooks(account_id: str) -> Response:
    return _collection(account_id)


@route("/accounts/<account_id>/webhooks/<webhook_id>", methods=["GET", "POST", "DELETE"])
def account_webhook(account_id: str, webhook_id: str) -> Response:
    return _instance(account_id, webhook_id)


@route("/webhooks", methods=["GET", "POST"])
def app_webhooks() -> Response:
    return _collection(None)


@route("/webhooks/<webhook_id>", methods=["GET", "POST", "DELETE"])
def app_webhook(webhook_id: str) -> Response:
    return _instance(None, webhook_id)
