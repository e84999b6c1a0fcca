"""Contacts: every address an account's messages are from or to, with how often and when.

The index writes one ``message_addresses`` row per message, role and address as it stores the
message, and adds each window's tallies to the ``contacts`` rows in the same transaction, so a
page of contacts is an indexed read whatever the account's size. What a removal or a change of
the account's own addresses changes is recounted from ``message_addresses`` (a maximum can't be
taken back, and "sent from the account" depends on which addresses are its own).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from typing import Any

from sqlalchemy import Connection, and_, case, delete, func, literal, or_, select, union, update

from .database import Database
from .dialect import insert_in
from .schema import accounts, contacts, message_addresses, messages, sources
from .statements import execute_many

ROLES = ("from", "to", "cc", "bcc")
SORTS = ("email", "count", "received_count", "sent_count")
_CHUNK = 500
_COUNTS = ("count", "received_count", "sent_count", "sent_from_account_count")


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
    """Inside the index's transaction: the addresses of messages it just stored, and what they
    add to each contact."""
    rows = [
        row
        for record in records
        for row in address_rows(account_id, record["id"], json.loads(record["addresses"]), record["date"])
    ]
    if rows:
        execute_many(connection, message_addresses.insert(), rows)
        tallies = _tallies(account_id, rows, set(_own(connection, account_id)))
        execute_many(connection, _add_tallies(connection), [tallies[email] for email in sorted(tallies)])


def record_existing_addresses(connection: Connection) -> None:
    """The schema upgrade that adds message_addresses: those of every message already indexed."""
    query = select(messages.c.id, messages.c.account_id, messages.c.addresses, messages.c.date)
    batch: list[dict[str, Any]] = []
    for row in connection.execute(query.order_by(messages.c.id)).all():
        batch += address_rows(row.account_id, row.id, json.loads(row.addresses or "{}"), row.date)
        if len(batch) >= 5000:
            connection.execute(message_addresses.insert(), batch)
            batch = []
    if batch:
        connection.execute(message_addresses.insert(), batch)


def count_existing_contacts(connection: Connection) -> None:
    """The schema upgrade that adds contacts: every account's, counted from its messages."""
    for account_id in connection.scalars(select(accounts.c.id).order_by(accounts.c.id)).all():
        recount_contacts(connection, account_id)


def _tallies(account_id: str, rows: list[dict[str, Any]], own: set[str]) -> dict[str, dict[str, Any]]:
    """What these messages add to each contact (never to one of the account's own addresses)."""
    by_message: dict[str, list[dict[str, Any]]] = {}
    for row in rows:
        by_message.setdefault(row["message_id"], []).append(row)
    tallies: dict[str, dict[str, Any]] = {}
    for message_rows in by_message.values():
        date = message_rows[0]["date"]
        from_account = any(row["role"] == "from" and row["email"] in own for row in message_rows)
        seen: dict[str, dict[str, Any]] = {}
        for row in message_rows:
            if row["email"] not in own:
                roles = seen.setdefault(row["email"], {"received": False, "sent": False, "name": ""})
                roles["received" if row["role"] == "from" else "sent"] = True
                roles["name"] = roles["name"] or row["name"]
        for email, roles in seen.items():
            tally = tallies.setdefault(email, _empty_tally(account_id, email))
            tally["count"] += 1
            tally["first_date"] = _earliest(tally["first_date"], date)
            tally["last_date"] = _latest(tally["last_date"], date)
            if roles["received"]:
                tally["received_count"] += 1
                tally["last_received"] = _latest(tally["last_received"], date)
            if roles["sent"]:
                tally["sent_count"] += 1
                if from_account:
                    tally["sent_from_account_count"] += 1
                    tally["last_sent"] = _latest(tally["last_sent"], date)
            if roles["name"] and (tally["name_date"] is None or date >= tally["name_date"]):
                tally["name"], tally["name_date"] = roles["name"], date
    return tallies


def _empty_tally(account_id: str, email: str) -> dict[str, Any]:
    return {
        "account_id": account_id,
        "email": email,
        "name": "",
        "name_date": None,
        **dict.fromkeys(_COUNTS, 0),
        **dict.fromkeys(("first_date", "last_date", "last_received", "last_sent")),
    }


def _earliest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: int | None, b: int | None) -> int | None:
    return b if a is None else a if b is None else max(a, b)


def _add_tallies(connection: Connection):
    """``INSERT … ON CONFLICT DO UPDATE`` adding a window's tallies to the stored ones."""
    statement = insert_in(connection, contacts)
    new, old = statement.excluded, contacts.c

    def later(column: str):
        return case(
            (new[column].is_(None), old[column]),
            (old[column].is_(None), new[column]),
            (new[column] > old[column], new[column]),
            else_=old[column],
        )

    newer_name = and_(
        new.name != "", or_(old.name == "", old.name_date.is_(None), new.name_date >= old.name_date)
    )
    return statement.on_conflict_do_update(
        index_elements=[contacts.c.account_id, contacts.c.email],
        set_={
            **{name: old[name] + new[name] for name in _COUNTS},
            "first_date": case(
                (new.first_date.is_(None), old.first_date),
                (old.first_date.is_(None), new.first_date),
                (new.first_date < old.first_date, new.first_date),
                else_=old.first_date,
            ),
            **{name: later(name) for name in ("last_date", "last_received", "last_sent")},
            "name": case((newer_name, new.name), else_=old.name),
            "name_date": case((newer_name, new.name_date), else_=old.name_date),
        },
    )


def recount_contacts(connection: Connection, account_id: str, emails: list[str] | None = None) -> None:
    """Count these contacts (all the account's without ``emails``) again from their messages."""
    if emails is None:
        _recount(connection, account_id, None)
    for start in range(0, len(emails or ()), _CHUNK):
        _recount(connection, account_id, emails[start : start + _CHUNK])


def _recount(connection: Connection, account_id: str, emails: list[str] | None) -> None:
    ma, own = message_addresses, _own(connection, account_id)
    chosen = [] if emails is None else [contacts.c.email.in_(emails)]
    connection.execute(delete(contacts).where(contacts.c.account_id == account_id, *chosen))
    aggregates = {
        **_aggregates(account_id, own),
        "first_date": func.min(ma.c.date),
        "last_date": func.max(ma.c.date),
    }
    query = select(literal(account_id), ma.c.email, *aggregates.values()).where(
        ma.c.account_id == account_id, ma.c.email.not_in(own)
    )
    if emails is not None:
        query = query.where(ma.c.email.in_(emails))
    columns = ["account_id", "email", *aggregates]
    connection.execute(contacts.insert().from_select(columns, query.group_by(ma.c.email)))
    newest = (
        select(ma.c.name, ma.c.date)
        .where(ma.c.account_id == contacts.c.account_id, ma.c.email == contacts.c.email, ma.c.name != "")
        .order_by(ma.c.date.desc())
        .limit(1)
    )
    connection.execute(
        update(contacts)
        .where(contacts.c.account_id == account_id, *chosen)
        .values(
            name=func.coalesce(newest.with_only_columns(ma.c.name).scalar_subquery(), ""),
            name_date=newest.with_only_columns(ma.c.date).scalar_subquery(),
        )
    )


def _aggregates(account_id: str, own: list[str]) -> dict[str, Any]:
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


def forget_messages(connection: Connection, account_id: str, gone) -> None:
    """Delete the messages ``gone`` selects, and count their contacts again without them."""
    emails = list(
        connection.scalars(
            select(message_addresses.c.email).where(message_addresses.c.message_id.in_(gone)).distinct()
        )
    )
    connection.execute(delete(messages).where(messages.c.id.in_(gone)))
    if emails:
        recount_contacts(connection, account_id, sorted(emails))


@contextlib.contextmanager
def keeping_contacts(connection: Connection, account_id: str) -> Iterator[None]:
    """Around a change that may change the account's own addresses: its own are never its
    contacts, and what it sent is counted by them, so a change recounts the account."""
    before = _own(connection, account_id)
    yield
    if _own(connection, account_id) != before:
        recount_contacts(connection, account_id)


def _own_query(account_id: str):
    return union(
        select(accounts.c.email.label("address")).where(accounts.c.id == account_id),
        select(accounts.c.aliases).where(accounts.c.id == account_id),
        select(sources.c.email).where(sources.c.account_id == account_id),
        select(sources.c.username).where(sources.c.account_id == account_id),
    )


def _own(connection: Connection, account_id: str) -> list[str]:
    return _own_from(connection.scalars(_own_query(account_id)))


def _own_from(values) -> list[str]:
    addresses = set()
    for value in values:
        value = value or ""
        if value.startswith("["):  # the aliases
            addresses.update(alias["email"] for alias in json.loads(value))
        elif value:
            addresses.add(value)
    return sorted({address.strip().lower() for address in addresses})


def own_addresses(database: Database, account_id: str) -> list[str]:
    """The account's own addresses (its email, its aliases and its sources'): never its
    contacts."""
    return _own_from(row["address"] for row in database.rows(_own_query(account_id)))


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
    c = contacts.c
    query = _contacts(database, account_id)
    if search:
        pattern = f"%{search.lower()}%"
        query = query.where(or_(c.email.like(pattern), func.lower(c.name).like(pattern)))
    if active_before is not None:
        query = query.where(c.first_date < active_before)
    if active_after is not None:
        query = query.where(c.last_date > active_after)
    order = c[sort_by]
    query = query.order_by(order.desc() if descending else order.asc(), c.email)
    return database.rows(query.limit(limit).offset(offset))


def contact(database: Database, account_id: str, email: str) -> dict[str, Any] | None:
    return database.first(_contacts(database, account_id).where(contacts.c.email == email.strip().lower()))


def _contacts(database: Database, account_id: str):
    c = contacts.c
    columns = (c.email, c.name, *(c[name] for name in _COUNTS), c.last_received, c.last_sent)
    return select(*columns).where(
        c.account_id == account_id, c.email.not_in(own_addresses(database, account_id))
    )
