"""Threads (``contextio-2.0-more.md`` §3): an account's conversations, and the thread a
message is in."""

from __future__ import annotations

from typing import Any

from flask import Response, jsonify

from ..domain import accounts, threads
from . import inputs
from .blueprint import parameters, route, tenant
from .messages import account_url, message_answers
from .parameters import Parameters


def thread_shape(account_id: str, thread: dict[str, Any], given: Parameters) -> dict[str, Any]:
    messages = message_answers(account_id, thread["messages"], given)
    url = account_url(account_id)
    people: dict[str, Any] = {}
    for message in messages:
        for address, person in message["person_info"].items():
            people.setdefault(address, person)
    return {
        "gmail_thread_id": f"gm-{thread['id']}",
        "email_message_ids": [m["email_message_id"] for m in messages if m["email_message_id"]],
        "person_info": people,
        "messages": messages,
        "subject": messages[0]["subject"],
        "folders": list(dict.fromkeys(folder for m in messages for folder in m["folders"])),
        "sources": list({s["label"]: s for m in messages for s in m["sources"]}.values()),
        "resource_url": f"{url}/threads/gm-{thread['id']}",
    }


@route("/accounts/<account_id>/threads", methods=["GET"])
def list_threads(account_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    given = parameters()
    filters, started_before, started_after = inputs.thread_filters(given, threads.MAX_THREADS)
    found = threads.list_threads(tenant(), account_id, filters, started_before, started_after)
    return jsonify(thread_urls(account_id, found))


def thread_urls(account_id: str, thread_ids: list[str]) -> list[str]:
    """Threads as Context.IO lists them: their URLs (its client takes the id from the end)."""
    url = account_url(account_id)
    return [f"{url}/threads/gm-{thread_id}" for thread_id in thread_ids]


@route("/accounts/<account_id>/threads/<thread_id>", methods=["GET"])
def get_thread(account_id: str, thread_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    given = parameters()
    limit, offset = inputs.page(given, threads.MAX_THREAD_MESSAGES)
    thread = threads.find_thread(tenant(), account_id, thread_id, limit, offset)
    return jsonify(thread_shape(account_id, thread, given))


@route("/accounts/<account_id>/messages/<message_id>/thread", methods=["GET"])
def message_thread(account_id: str, message_id: str) -> Response:
    accounts.find_account(tenant(), account_id)
    given = parameters()
    limit, offset = inputs.page(given, threads.MAX_THREAD_MESSAGES)
    thread = threads.thread_of_message(tenant(), account_id, message_id, limit, offset)
    return jsonify(thread_shape(account_id, thread, given))
