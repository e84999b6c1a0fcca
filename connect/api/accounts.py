"""``accounts``, their ``sources`` and ``sync``."""

from __future__ import annotations

from flask import Response, jsonify, request

from ..domain import accounts, mail, sources
from . import inputs
from .blueprint import api_root, parameters, route, success, tenant
from .shapes import account_shape, source_shape


def _account_url(account_id: str) -> str:
    return f"{api_root()}/accounts/{account_id}"


@route("/accounts", methods=["GET"])
def list_accounts() -> Response:
    root = api_root()
    listed = accounts.list_accounts(tenant(), **inputs.account_query(parameters()))
    return jsonify(
        [
            account_shape(account, account_sources, root, mail.counts(tenant(), account["id"]))
            for account, account_sources in listed
        ]
    )


@route("/accounts", methods=["POST"])
def create_account() -> Response:
    account, source = accounts.create_account(tenant(), *inputs.new_account(parameters()))
    url = _account_url(account["id"])
    answer = {"id": account["id"], "resource_url": url}
    if source is not None:
        answer["source"] = {"label": source["label"], "resource_url": f"{url}/sources/{source['label']}"}
    return success(**answer)


@route("/accounts/<account_id>", methods=["GET"])
def get_account(account_id: str) -> Response:
    account = accounts.find_account(tenant(), account_id)
    return jsonify(
        account_shape(
            account,
            accounts.account_sources(tenant(), account_id),
            api_root(),
            mail.counts(tenant(), account_id),
        )
    )


@route("/accounts/<account_id>", methods=["POST"])
def update_account(account_id: str) -> Response:
    account = accounts.find_account(tenant(), account_id)
    accounts.update_account(tenant(), account, inputs.account_names(parameters()))
    return success(resource_url=_account_url(account_id))


@route("/accounts/<account_id>", methods=["DELETE"])
def delete_account(account_id: str) -> Response:
    accounts.delete_account(tenant(), accounts.find_account(tenant(), account_id))
    return success()


@route("/accounts/<account_id>/sources", methods=["GET"])
def list_sources(account_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    statuses = inputs.statuses(parameters())
    url = _account_url(account_id)
    return jsonify(
        [source_shape(row, url) for row in accounts.account_sources(tenant(), account_id, statuses)]
    )


@route("/accounts/<account_id>/sources", methods=["POST"])
def create_source(account_id: str) -> Response:
    account = accounts.find_account(tenant(), account_id)
    given = parameters()
    email = given.email("email") or account["email"]
    source = sources.add_source(tenant(), account_id, email, inputs.new_source(given))
    return success(
        label=source["label"], resource_url=f"{_account_url(account_id)}/sources/{source['label']}"
    )


@route("/accounts/<account_id>/sources/<label>", methods=["GET"])
def get_source(account_id: str, label: str) -> Response:
    return jsonify(source_shape(sources.find_source(tenant(), account_id, label), _account_url(account_id)))


@route("/accounts/<account_id>/sources/<label>", methods=["POST"])
def update_source(account_id: str, label: str) -> Response:
    source = sources.find_source(tenant(), account_id, label)
    updated = sources.update_source(tenant(), source, inputs.source_changes(parameters()))
    return success(resource_url=f"{_account_url(account_id)}/sources/{updated['label']}")


@route("/accounts/<account_id>/sources/<label>", methods=["DELETE"])
def delete_source(account_id: str, label: str) -> Response:
    sources.delete_source(tenant(), sources.find_source(tenant(), account_id, label))
    return success()


@route("/accounts/<account_id>/sync", methods=["GET", "POST"])
def account_sync(account_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    return _sync(accounts.account_sources(tenant(), account_id), f"{_account_url(account_id)}/sync")


@route("/accounts/<account_id>/sources/<label>/sync", methods=["GET", "POST"])
def source_sync(account_id: str, label: str) -> Response:
    source = sources.find_source(tenant(), account_id, label)
    return _sync([source], f"{_account_url(account_id)}/sources/{source['label']}/sync")


def _sync(rows: list[dict], resource_url: str) -> Response:
    if request.method == "POST":
        return success(syncs_queued=sources.queue_syncs(tenant(), rows), resource_url=resource_url)
    return jsonify(sources.sync_status(tenant(), rows))
