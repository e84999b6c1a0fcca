"""Contacts: every address an account's messages are from or to, with how often and when.

The index writes one ``message_addresses`` row per message, role and address as it stores the
message; a contact is an indexed aggregate over those rows (and they go with their message).
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, case, func, or_, select, union

from .database import Database
from .schema import accounts, message_addresses, messages, sources

ROLES = ("from", "to", "cc", "bcc")
SORTS = ("email", "count", "received_count", "sent_count")


def address_rows(account_id: str, message_id: str, addresses: dict[str, Any], date: int) -> list[dict]:
    rows: dict[tuple[str, str], dict[str, Any]] = {}
    for role in ROLES:
        entries = addresses.get(role) or []
        for entry in [entries] if isinstance(entries, dict) else entries:
            email = (entry.get("email") or "").strip().lower()
            if email:
                rows.setdefault(
                    (role, email),
                    {
                        "message_id": message_id,
                        "role": role,
                        "email": email,
                        "account_id": account_id,
                        "name": entry.get("name") or "",
                        "date": date or 0,
                    },
                )
    return list(rows.values())


def record_addresses(connection: Connection, account_id: str, records: list[dict[str, Any]]) -> None:
    """Inside the index's transaction: the addresses of messages it just stored."""
    rows = [
        row
        for record in records
        for row in address_rows(account_id, record["id"], json.loads(record["addresses"]), record["date"])
    ]
    if rows:
        connection.execute(message_addresses.insert(), rows)


def record_existing_addresses(connection: Connection) -> None:
    """The schema upgrade that adds contacts: the addresses of every message already indexed."""
    query = select(messages.c.id, messages.c.account_id, messages.c.addresses, messages.c.date)
    batch: list[dict[str, Any]] = []
    for row in connection.execute(query.order_by(messages.c.id)).all():
        batch += address_rows(row.account_id, row.id, json.loads(row.addresses or "{}"), row.date)
        if len(batch) >= 5000:
            connection.execute(message_addresses.insert(), batch)
            batch = []
    if batch:
        connection.execute(message_addresses.insert(), batch)


def own_addresses(database: Database, account_id: str) -> list[str]:
    """The account's own addresses (its email, its aliases and its sources'): never its
    contacts."""
    found = database.rows(
        union(
            select(accounts.c.email.label("address")).where(accounts.c.id == account_id),
            select(accounts.c.aliases).where(accounts.c.id == account_id),
            select(sources.c.email).where(sources.c.account_id == account_id),
            select(sources.c.username).where(sources.c.account_id == account_id),
        )
    )
    addresses = set()
    for row in found:
        value = row["address"] or ""
        if value.startswith("["):  # the aliases
            addresses.update(alias["email"] for alias in json.loads(value))
        elif value:
            addresses.add(value)
    return sorted(address.strip().lower() for address in addresses)


def _aggregates(account_id: str, own: list[str]):
    ma = message_addresses
    by_account = select(ma.c.message_id).where(
        ma.c.account_id == account_id, ma.c.role == "from", ma.c.email.in_(own)
    )
    received = ma.c.role == "from"
    sent = ma.c.role != "from"
    from_account = sent & ma.c.message_id.in_(by_account)
    return {
        "count": func.count(func.distinct(ma.c.message_id)),
        "received_count": func.count(func.distinct(case((received, ma.c.message_id)))),
        "sent_count": func.count(func.distinct(case((sent, ma.c.message_id)))),
        "sent_from_account_count": func.count(func.distinct(case((from_account, ma.c.message_id)))),
        "last_received": func.max(case((received, ma.c.date))),
        "last_sent": func.max(case((from_account, ma.c.date))),
    }


def find_contacts(
    database: Database,
    account_id: str,
    *,
    search: str | None = None,
    active_before: int | None = None,
    active_after: int | None = None,
    sort_by: str = "count",
    descending: bool = True,
    limit: int = 25,
    offset: int = 0,
) -> list[dict[str, Any]]:
    ma = message_addresses
    own = own_addresses(database, account_id)
    aggregates = _aggregates(account_id, own)
    query = (
        select(ma.c.email, *(value.label(name) for name, value in aggregates.items()))
        .where(ma.c.account_id == account_id, ma.c.email.not_in(own))
        .group_by(ma.c.email)
    )
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(ma.c.email.like(pattern), func.lower(ma.c.name).like(pattern)))
    if active_before is not None:
        query = query.having(func.min(ma.c.date) < active_before)
    if active_after is not None:
        query = query.having(func.max(ma.c.date) > active_after)
    order = ma.c.email if sort_by == "email" else aggregates[sort_by]
    query = query.order_by(order.desc() if descending else order.asc(), ma.c.email)
    query = query.limit(limit).offset(offset)
    return _named(database, account_id, database.rows(query))


def contact(database: Database, account_id: str, email: str) -> dict[str, Any] | None:
    ma = message_addresses
    own = own_addresses(database, account_id)
    address = email.strip().lower()
    if address in own:
        return None
    aggregates = _aggregates(account_id, own)
    row = database.first(
        select(ma.c.email, *(value.label(name) for name, value in aggregates.items()))
        .where(ma.c.account_id == account_id, ma.c.email == address)
        .group_by(ma.c.email)
    )
    return None if row is None else _named(database, account_id, [row])[0]


def _named(database: Database, account_id: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each contact's newest non-empty display name (one query for the page)."""
    if not rows:
        return rows
    ma = message_addresses
    names: dict[str, str] = {}
    for found in database.rows(
        select(ma.c.email, ma.c.name)
        .where(ma.c.account_id == account_id, ma.c.email.in_([row["email"] for row in rows]), ma.c.name != "")
        .order_by(ma.c.date.desc())
    ):
        names.setdefault(found["email"], found["name"])
    return [{**row, "name": names.get(row["email"], "")} for row in rows]
