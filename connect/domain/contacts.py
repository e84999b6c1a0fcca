"""Contacts (``contextio-2.0-more.md`` §4): the people an account's mail is from and to,
except the account's own addresses, with how often and when."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from .. import storage
from .errors import NotFound
from .mail import MailFilters, list_files, list_messages
from .tenant import Tenant
from .threads import list_threads

SORTS = storage.CONTACT_SORTS
DEFAULT_LIMIT, MAX_LIMIT = 25, 250


@dataclass(frozen=True)
class ContactQuery:
    search: str | None = None
    active_before: int | None = None
    active_after: int | None = None
    sort_by: str = "count"
    descending: bool = True
    limit: int = DEFAULT_LIMIT
    offset: int = 0


def list_contacts(tenant: Tenant, account_id: str, query: ContactQuery) -> list[dict[str, Any]]:
    return storage.find_contacts(
        tenant.database,
        account_id,
        search=query.search,
        active_before=query.active_before,
        active_after=query.active_after,
        sort_by=query.sort_by,
        descending=query.descending,
        limit=query.limit,
        offset=query.offset,
    )


def find_contact(tenant: Tenant, account_id: str, email: str) -> dict[str, Any]:
    found = storage.contact(tenant.database, account_id, email)
    if found is None:
        raise NotFound(f"no contact {email} in account {account_id}")
    return found


def _exchanged_with(email: str, limit: int, offset: int) -> MailFilters:
    return MailFilters(any_address=email.strip().lower(), limit=limit, offset=offset)


def contact_messages(
    tenant: Tenant, account_id: str, email: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    """Mail exchanged with the contact, newest first."""
    find_contact(tenant, account_id, email)
    return list_messages(tenant, account_id, _exchanged_with(email, limit, offset))


def contact_files(
    tenant: Tenant, account_id: str, email: str, limit: int, offset: int
) -> list[dict[str, Any]]:
    find_contact(tenant, account_id, email)
    return list_files(tenant, account_id, _exchanged_with(email, limit, offset))


def contact_threads(tenant: Tenant, account_id: str, email: str, limit: int, offset: int) -> list[str]:
    find_contact(tenant, account_id, email)
    return list_threads(tenant, account_id, _exchanged_with(email, limit, offset))
