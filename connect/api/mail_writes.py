"""Writes to the mail itself (``contextio-2.0-more.md`` §5.2, §6): flags, deleting a message,
adding one, creating and deleting folders. Each is done on the mail server, then the changed
folders are synced before the answer."""

from __future__ import annotations

import json
from collections.abc import Callable

from flask import Response, current_app, request

from ..domain import sources
from ..domain.errors import InvalidParameter
from ..domain.mail_writes import FLAGS, MailChanges
from ..domain.message_shape import flags_shape
from ..sync.on_demand import sync_folder_now
from ..sync.writes import MailWriter
from .blueprint import live_mail, parameters, route, success, tenant

MAX_MESSAGE_BYTES = 1024 * 1024 - 64 * 1024  # what a request may carry, less the form around it


def mail_changes() -> MailChanges:
    app = current_app._get_current_object()
    writer = MailWriter(
        tenant().database,
        current_app.extensions["connect.vault"],
        current_app.extensions["connect.tokens"],
        current_app.extensions["connect.connection"],
    )
    return MailChanges(
        tenant(), writer, lambda source_id, folder: sync_folder_now(app, source_id, folder), live_mail()
    )


def _flags(prefix: str = "") -> dict[str, bool]:
    given = parameters()
    return {name: given.flag(prefix + name) for name in FLAGS if given.given(prefix + name)}


@route("/accounts/<account_id>/messages/<message_id>/flags", methods=["POST"])
def set_flags(account_id: str, message_id: str) -> Response:
    """Set or clear ``seen``, ``answered``, ``flagged``, ``deleted``, ``draft``, ``nonjunk``;
    the flags read back from the server."""
    locations = mail_changes().set_flags(account_id, message_id, _flags())
    return success(flags=flags_shape(live_mail().flags(locations)))


@route("/accounts/<account_id>/messages/<message_id>", methods=["DELETE"])
def delete_message(account_id: str, message_id: str) -> Response:
    mail_changes().delete_message(account_id, message_id)
    return success()


@route("/accounts/<account_id>/messages/<message_id>", methods=["POST"])
def copy_message(account_id: str, message_id: str) -> Response:
    """Copy to ``dst_folder`` (of ``dst_source``, or ``dst_label``, when another source's),
    moving it with ``move=1``; ``flag_*`` are set on the copy."""
    given = parameters()
    folder = given.text("dst_folder", required=True)
    label = given.text("dst_source") or given.text("dst_label")
    mail_changes().copy_message(account_id, message_id, folder, label, given.flag("move"), _flags("flag_"))
    return success()


@route("/accounts/<account_id>/messages/<message_id>/folders", methods=["POST", "PUT"])
def message_folders(account_id: str, message_id: str) -> Response:
    """POST ``add`` / ``remove`` (each may repeat, as ``add[]``); PUT a JSON list of
    ``{"name": …}`` or ``{"symbolic_name": …}``: exactly the folders that should hold it."""
    changes = mail_changes()
    return _refile(
        lambda names: changes.set_folders(account_id, message_id, names),
        lambda add, remove: changes.change_folders(account_id, message_id, add, remove),
    )


@route("/accounts/<account_id>/threads/<thread_id>", methods=["DELETE"])
def delete_thread(account_id: str, thread_id: str) -> Response:
    """Every message of the thread, deleted as one message is."""
    mail_changes().delete_thread(account_id, thread_id)
    return success()


@route("/accounts/<account_id>/threads/<thread_id>/folders", methods=["POST", "PUT"])
def thread_folders(account_id: str, thread_id: str) -> Response:
    """As a message's folders (``add`` / ``remove``, or PUT of the whole set), for each message
    of the thread."""
    changes = mail_changes()
    return _refile(
        lambda names: changes.set_thread_folders(account_id, thread_id, names),
        lambda add, remove: changes.change_thread_folders(account_id, thread_id, add, remove),
    )


def _refile(set_all: Callable[[list[str]], None], change: Callable[[list[str], list[str]], None]) -> Response:
    """A PUT's JSON list is the whole set of folders; a POST's ``add`` / ``remove`` change it."""
    if request.method == "PUT":
        set_all(_folder_list(request.get_data(as_text=True)))
        return success()
    add, remove = _repeated("add"), _repeated("remove")
    if not add and not remove:
        raise InvalidParameter("add or remove is required: the folder to file it in or take it out of")
    change(add, remove)
    return success()


def _repeated(name: str) -> list[str]:
    values = request.values.getlist(name) + request.values.getlist(f"{name}[]")
    return [value.strip() for value in values if value.strip()]


def _folder_list(body: str) -> list[str]:
    try:
        wanted = json.loads(body)
    except ValueError:
        raise InvalidParameter("the body must be a JSON list of folders") from None
    if not isinstance(wanted, list) or not all(isinstance(item, dict) for item in wanted):
        raise InvalidParameter('the body must be a JSON list like [{"name": "INBOX"}]')
    names = [item.get("name") or item.get("symbolic_name") for item in wanted]
    if not all(isinstance(name, str) and name for name in names):
        raise InvalidParameter("each folder needs a name or a symbolic_name")
    return names


@route("/accounts/<account_id>/messages", methods=["POST"])
def append_message(account_id: str) -> Response:
    """A raw RFC 822 ``message`` (a file part or a field) into ``dst_folder``, with ``flag_*``."""
    given = parameters()
    folder = given.text("dst_folder", required=True)
    upload = request.files.get("message")
    raw = upload.read(MAX_MESSAGE_BYTES + 1) if upload else (given.raw("message") or "").encode()
    if not raw.strip():
        raise InvalidParameter("message is required: the raw RFC 822 message")
    if len(raw) > MAX_MESSAGE_BYTES:
        raise InvalidParameter("message is larger than a request may carry")
    mail_changes().append_message(account_id, given.text("dst_source"), folder, raw, _flags("flag_"))
    return success()


@route("/accounts/<account_id>/sources/<label>/folders/<path:folder>", methods=["PUT", "DELETE"])
def change_folder(account_id: str, label: str, folder: str) -> Response:
    """PUT creates the folder (and its parents; one that exists is fine), ``delim`` being the
    separator the path uses; DELETE removes it and its messages for good."""
    source = sources.find_source(tenant(), account_id, label)
    path = folder.removesuffix("/")
    if request.method == "PUT":
        mail_changes().create_folder(source, path, parameters().text("delim", max_length=1) or "/")
    else:
        mail_changes().delete_folder(source, path)
    return success()
