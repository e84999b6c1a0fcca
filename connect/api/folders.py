"""A source's folders (``contextio-2.0-more.md`` §6). A folder is named by its full path, with
its slashes in the URL (``folders/Projects/Alpha``), or by a symbolic name (``\\Sent``)."""

from __future__ import annotations

from flask import Response, current_app, jsonify

from ..domain import mail, sources
from ..sync.on_demand import sync_folder_now
from . import inputs
from .blueprint import parameters, route, success, tenant
from .mail_writes import mail_changes
from .messages import account_url, encoded_answers
from .shapes import folder_shape


def _source_url(account_id: str, source: dict) -> str:
    return f"{account_url(account_id)}/sources/{source['label']}"


@route("/accounts/<account_id>/sources/<label>/folders", methods=["GET"])
def list_folders(account_id: str, label: str) -> Response:
    source = sources.find_source(tenant(), account_id, label)
    given = parameters()
    url = _source_url(account_id, source)
    listed = mail_changes().live_folders(source) if given.flag("no_cache") else mail.folders(tenant(), source)
    return jsonify([folder_shape(folder, url, given.flag("include_extended_counts")) for folder in listed])


@route("/accounts/<account_id>/sources/<label>/folders/<path:folder>/expunge", methods=["POST"])
def expunge_folder(account_id: str, label: str, folder: str) -> Response:
    """Remove for good the folder's messages marked deleted."""
    source = sources.find_source(tenant(), account_id, label)
    mail_changes().expunge_folder(source, folder)
    return success()


@route("/accounts/<account_id>/sources/<label>/folders/<path:folder>", methods=["GET"])
def get_folder(account_id: str, label: str, folder: str) -> Response:
    source = sources.find_source(tenant(), account_id, label)
    found = mail.find_folder(tenant(), source, folder.removesuffix("/"))
    extended = parameters().flag("include_extended_counts")
    return jsonify(folder_shape(found, _source_url(account_id, source), extended))


@route("/accounts/<account_id>/sources/<label>/folders/<path:folder>/messages", methods=["GET"])
def folder_messages(account_id: str, label: str, folder: str) -> Response:
    """Newest first, after a sync of the folder: what arrived a second ago is listed."""
    source = sources.find_source(tenant(), account_id, label)
    found = mail.find_folder(tenant(), source, folder)
    sync_folder_now(current_app._get_current_object(), source["id"], found["name"])
    given = parameters()
    filters = inputs.folder_listing(given, found["name"], source["label"])
    return jsonify(encoded_answers(account_id, mail.list_messages(tenant(), account_id, filters), given))
