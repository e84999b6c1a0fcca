"""Webhooks: an API client's standing request to be told when matching mail arrives or
changes, on one account or (app level) on every account it has or will have."""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass, field
from typing import Any

from .. import storage
from .errors import InvalidParameter, NotFound
from .mail import text_match
from .tenant import Tenant

FILTERS = (
    "filter_to",
    "filter_from",
    "filter_cc",
    "filter_subject",
    "filter_thread",
    "filter_new_important",
    "filter_file_name",
    "filter_file_revisions",
    "filter_folder_added",
    "filter_folder_removed",
    "filter_to_domain",
    "filter_from_domain",
)
HEADER_CHOICES = ("0", "1", "raw")
BODY_TYPES = ("text/plain", "text/html")


@dataclass(frozen=True)
class WebhookSettings:
    """What a create or an update says; ``None`` is "not given" (an update keeps it)."""

    callback_url: str | None = None
    failure_notif_url: str | None = None
    filters: dict[str, str] = field(default_factory=dict)
    include_body: bool | None = None
    body_type: str | None = None
    include_header: str | None = None
    receive_drafts: bool | None = None
    receive_all_changes: bool | None = None
    receive_historical: bool | None = None
    sync_period: str | None = None
    active: bool | None = None


def _checked(tenant: Tenant, settings: WebhookSettings, app_level: bool) -> dict[str, Any]:
    """The columns the settings set, each checked."""
    if settings.receive_historical and not app_level:
        raise InvalidParameter("receive_historical is for app-level webhooks (/2.0/webhooks) only")
    if settings.body_type is not None and settings.body_type not in BODY_TYPES:
        raise InvalidParameter(f"body_type must be one of {', '.join(BODY_TYPES)}")
    for name in ("filter_subject", "filter_file_name"):
        if settings.filters.get(name):
            text_match(settings.filters[name], name)  # a bad /regex/ is refused now, not at match time
    columns: dict[str, Any] = {}
    if settings.callback_url is not None:
        columns["callback_url"] = tenant.policy.check_url(settings.callback_url, "callback_url")
    if settings.failure_notif_url is not None:
        columns["failure_notif_url"] = (
            tenant.policy.check_url(settings.failure_notif_url, "failure_notif_url")
            if settings.failure_notif_url
            else None
        )
    for name in ("include_body", "receive_drafts", "receive_all_changes", "receive_historical"):
        value = getattr(settings, name)
        if name == "receive_historical" and not app_level:
            continue
        if value is not None:
            columns[name] = int(value)
    for name in ("body_type", "include_header", "sync_period"):
        if getattr(settings, name) is not None:
            columns[name] = getattr(settings, name)
    return columns


def create_webhook(
    tenant: Tenant, account_id: str | None, settings: WebhookSettings, api_root: str
) -> dict[str, Any]:
    """``account_id`` None: app level. ``api_root`` is the API's URL as the client reached it,
    for the ``resource_url``s of the messages the webhook will describe."""
    if not settings.callback_url:
        raise InvalidParameter("callback_url is required")
    columns = _checked(tenant, settings, account_id is None)
    return storage.insert_webhook(
        tenant.database,
        {
            **columns,
            "webhook_id": secrets.token_hex(12),
            "consumer_key": tenant.consumer_key,
            "account_id": account_id,
            "filters": json.dumps({name: value for name, value in settings.filters.items() if value}),
            "active": 0 if settings.active is False else 1,
            "api_root": api_root,
            "created": tenant.now,
            "resumed": tenant.now,
        },
    )


def webhooks(tenant: Tenant, account_id: str | None) -> list[dict[str, Any]]:
    return storage.webhooks_of(tenant.database, tenant.consumer_key, account_id)


def find_webhook(tenant: Tenant, account_id: str | None, webhook_id: str) -> dict[str, Any]:
    row = storage.webhook(tenant.database, tenant.consumer_key, account_id, webhook_id)
    if row is None:
        where = f"account {account_id}" if account_id else "this API key's app-level webhooks"
        raise NotFound(f"webhook {webhook_id} not found in {where}")
    return row


def update_webhook(
    tenant: Tenant, account_id: str | None, webhook_id: str, settings: WebhookSettings
) -> None:
    """Every create parameter may change; ``active=1`` resumes (and clears ``failure``), from
    now on: what happened while it was paused is not sent."""
    row = find_webhook(tenant, account_id, webhook_id)
    columns = _checked(tenant, settings, account_id is None)
    if settings.filters:
        current = json.loads(row["filters"])
        columns["filters"] = json.dumps(
            {name: value for name, value in {**current, **settings.filters}.items() if value}
        )
    if settings.active is True:
        columns.update(active=1, failure=0)
        if not row["active"]:
            columns["resumed"] = tenant.now
    elif settings.active is False:
        columns["active"] = 0
    storage.update_webhook(tenant.database, row["id"], columns)


def delete_webhook(tenant: Tenant, account_id: str | None, webhook_id: str) -> None:
    storage.delete_webhook(tenant.database, find_webhook(tenant, account_id, webhook_id)["id"])
