"""The merged data set as the API reads it: messages and files with Context.IO's filters.

Filters arrive parsed (``MailFilters``); each becomes one clause with bound parameters. What
the two engines spell differently — JSON paths into a message's addresses, the ``/regex/``
match — is spelled here per dialect.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import ColumnElement, and_, bindparam, exists, func, or_, select, text

from .database import Database
from .schema import files, folders, message_locations, messages, sources
from .statements import InList, Prepared

ADDRESS_FIELDS = ("from", "to", "cc", "bcc")
# A PostgreSQL regex is bounded by time (its engine can backtrack); SQLite's runs on RE2.
REGEX_TIMEOUT_MS = 1000


@dataclass(frozen=True)
class TextMatch:
    value: str
    regex: bool


@dataclass(frozen=True)
class MailFilters:
    """Context.IO's message and file filters, parsed; None means "not filtered on"."""

    subject: TextMatch | None = None
    file_name: TextMatch | None = None
    addresses: dict[str, str | None] = field(default_factory=dict)
    any_address: str | None = None
    folder: str | None = None
    source: str | None = None
    date_before: int | None = None
    date_after: int | None = None
    indexed_before: int | None = None
    indexed_after: int | None = None
    descending: bool = True
    seen: bool | None = None  # with ``folder``: only messages (not) \\Seen there
    file_size_min: int | None = None  # some one file of the message is within both bounds
    file_size_max: int | None = None
    limit: int = 100
    offset: int = 0


def _matches(database: Database, column, match: TextMatch) -> ColumnElement[bool]:
    if match.regex:
        operator = "REGEXP" if database.is_sqlite else "~*"
        return column.op(operator)(match.value)
    return column.ilike(f"%{match.value.replace('%', '').replace('_', '')}%")


def _address(database: Database, field_name: str, address: str, role: str) -> ColumnElement[bool]:
    """The message has ``address`` in its ``field_name`` (from, to, cc, bcc). The bind is named
    for the filter (``role``) and field, so the same filters compile to the same statement."""
    name = f"{role}_{field_name}"
    if database.is_sqlite:
        if field_name == "from":
            sql = f"json_extract(messages.addresses, '$.from.email') = :{name}"
        else:
            sql = (
                f"EXISTS (SELECT 1 FROM json_each(messages.addresses, '$.{field_name}') j "
                f"WHERE json_extract(j.value, '$.email') = :{name})"
            )
    elif field_name == "from":
        sql = f"(messages.addresses::jsonb -> 'from' ->> 'email') = :{name}"
    else:
        sql = (
            f"EXISTS (SELECT 1 FROM jsonb_array_elements(messages.addresses::jsonb -> '{field_name}') j "
            f"WHERE j ->> 'email' = :{name})"
        )
    return text(sql).bindparams(**{name: address})


def _located(*conditions) -> ColumnElement[bool]:
    return exists(
        select(1)
        .select_from(message_locations.join(folders, folders.c.id == message_locations.c.folder_id))
        .where(message_locations.c.message_id == messages.c.id, *conditions)
    )


# Symbolic folder names (RFC 6154, and Gmail's older XLIST spellings) and the attribute each is.
SYMBOLIC = {
    "\\allmail": "\\all",
    "\\spam": "\\junk",
    "\\starred": "\\flagged",
}


def folder_named(name: str) -> ColumnElement[bool]:
    """A folder by its full name (INBOX in any case) or by a symbolic name (``\\Sent``)."""
    if not name.startswith("\\"):
        if name.upper() == "INBOX":
            return func.upper(folders.c.name) == "INBOX"
        return folders.c.name == name
    symbolic = SYMBOLIC.get(name.lower(), name.lower())
    if symbolic == "\\inbox":
        return func.upper(folders.c.name) == "INBOX"
    # attributes are stored as JSON: ["\\HasNoChildren", "\\Sent"]
    # (a backslash is an escape character in PostgreSQL's LIKE unless another one is named)
    pattern = '%"' + symbolic.replace("\\", "\\\\") + '"%'
    return func.lower(folders.c.attributes).like(pattern, escape="^")


def clauses(database: Database, filters: MailFilters) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = []
    if filters.subject:
        where.append(_matches(database, messages.c.subject, filters.subject))
    for field_name, address in filters.addresses.items():
        if address:
            where.append(_address(database, field_name, address, "address"))
    if filters.any_address:
        where.append(or_(*(_address(database, name, filters.any_address, "any") for name in ADDRESS_FIELDS)))
    if filters.folder:
        here = [folder_named(filters.folder)]
        if filters.seen is not None:
            seen = message_locations.c.flags.like('%"\\\\Seen"%', escape="^")
            here.append(seen if filters.seen else ~seen)
        where.append(_located(*here))
    if filters.source:
        where.append(
            exists(
                select(1)
                .select_from(
                    message_locations.join(folders, folders.c.id == message_locations.c.folder_id).join(
                        sources, sources.c.id == folders.c.source_id
                    )
                )
                .where(message_locations.c.message_id == messages.c.id, sources.c.label == filters.source)
            )
        )
    if filters.file_name or filters.file_size_min is not None or filters.file_size_max is not None:
        named = files.alias("named")
        conditions = [named.c.message_id == messages.c.id]
        if filters.file_name:
            conditions.append(_matches(database, named.c.file_name, filters.file_name))
        if filters.file_size_min is not None:
            conditions.append(named.c.size >= filters.file_size_min)
        if filters.file_size_max is not None:
            conditions.append(named.c.size <= filters.file_size_max)
        where.append(exists().where(*conditions))
    for column, bound, before in (
        (messages.c.date, filters.date_before, True),
        (messages.c.date, filters.date_after, False),
        (messages.c.date_indexed, filters.indexed_before, True),
        (messages.c.date_indexed, filters.indexed_after, False),
    ):
        if bound is not None:
            where.append(column < bound if before else column > bound)
    return where


def _shown(file_table) -> ColumnElement[bool]:
    """A file is listed unless it is noise (a signature image, winmail.dat) and no source of
    the message asked for the raw list."""
    raw = exists(
        select(1)
        .select_from(
            message_locations.join(folders, folders.c.id == message_locations.c.folder_id).join(
                sources, sources.c.id == folders.c.source_id
            )
        )
        .where(message_locations.c.message_id == file_table.c.message_id, sources.c.raw_file_list == 1)
    )
    return or_(file_table.c.is_noise == 0, raw)


def run(database: Database, query) -> list[dict[str, Any]]:
    """Run a filtered listing; a PostgreSQL regex that runs too long is cut off, not waited for."""
    if database.is_sqlite:
        return database.rows(query)
    with database.transaction() as connection:
        connection.exec_driver_sql(f"SET LOCAL statement_timeout = {REGEX_TIMEOUT_MS}")
        return [dict(row._mapping) for row in connection.execute(query)]


def account_counts(database: Database, account_id: str) -> dict[str, int]:
    count_messages = select(func.count()).select_from(messages).where(messages.c.account_id == account_id)
    count_files = (
        select(func.count())
        .select_from(files.join(messages, messages.c.id == files.c.message_id))
        .where(messages.c.account_id == account_id, _shown(files))
    )
    return {"messages": database.scalar(count_messages), "files": database.scalar(count_files)}


def _order(descending: bool) -> tuple[ColumnElement[Any], ...]:
    if descending:
        return messages.c.date.desc(), messages.c.id.desc()
    return messages.c.date, messages.c.id


# What a page of messages reads of each: its stored shape holds the rest (``message_shape``).
PAGE_COLUMNS = (messages.c.id, messages.c.thread_id, messages.c.gmail_thread_id, messages.c.shape)

# An unfiltered page, the commonest read of all, built once.
_PAGES = {
    descending: Prepared(
        select(*PAGE_COLUMNS)
        .where(messages.c.account_id == bindparam("account_id"))
        .order_by(*_order(descending))
        .limit(bindparam("limit"))
        .offset(bindparam("offset"))
    )
    for descending in (True, False)
}


def find_messages(database: Database, account_id: str, filters: MailFilters) -> list[dict[str, Any]]:
    """A page of messages, each as ``PAGE_COLUMNS``."""
    where = clauses(database, filters)
    if not where:
        page = {"account_id": account_id, "limit": filters.limit, "offset": filters.offset}
        return database.rows(_PAGES[filters.descending], page)
    query = (
        select(*PAGE_COLUMNS)
        .where(messages.c.account_id == account_id, *where)
        .order_by(*_order(filters.descending))
        .limit(filters.limit)
        .offset(filters.offset)
    )
    return run(database, query)


def message(database: Database, account_id: str, message_id: str) -> dict[str, Any] | None:
    """By our id, or by its Message-ID header (with or without the angle brackets)."""
    bracketed = message_id if message_id.startswith("<") else f"<{message_id}>"
    return database.first(
        select(messages)
        .where(
            messages.c.account_id == account_id,
            or_(messages.c.id == message_id, messages.c.email_message_id == bracketed),
        )
        .limit(1)
    )


# Where messages live: folder (with its attributes, for symbolic names) and source.
LOCATIONS = select(
    message_locations.c.message_id,
    message_locations.c.uid,
    message_locations.c.flags,
    folders.c.name.label("folder"),
    folders.c.attributes.label("folder_attributes"),
    sources.c.label,
    sources.c.id.label("source_id"),
).select_from(
    message_locations.join(folders, folders.c.id == message_locations.c.folder_id).join(
        sources, sources.c.id == folders.c.source_id
    )
)


_LOCATIONS_OF = Prepared(
    LOCATIONS.where(InList(message_locations.c.message_id, "ids")).order_by(sources.c.id, folders.c.name)
)
_MESSAGES_BY_IDS = Prepared(select(messages).where(InList(messages.c.id, "ids")))
_FILES_OF = Prepared(
    select(files).where(InList(files.c.message_id, "ids"), _shown(files)).order_by(files.c.body_section)
)


def locations_of(database: Database, message_ids: list[str]) -> list[dict[str, Any]]:
    return database.rows(_LOCATIONS_OF, {"ids": message_ids}) if message_ids else []


def messages_by_ids(database: Database, message_ids: list[str]) -> list[dict[str, Any]]:
    return database.rows(_MESSAGES_BY_IDS, {"ids": message_ids}) if message_ids else []


def files_of_messages(database: Database, message_ids: list[str]) -> list[dict[str, Any]]:
    return database.rows(_FILES_OF, {"ids": message_ids}) if message_ids else []


_FILE_COLUMNS = (
    messages.c.gmail_message_id,
    messages.c.thread_id,
    messages.c.subject,
    messages.c.date,
    messages.c.date_indexed,
    messages.c.addresses,
    messages.c.email_message_id,
)


def find_files(database: Database, account_id: str, filters: MailFilters) -> list[dict[str, Any]]:
    name_filter = []
    if filters.file_name:
        name_filter.append(_matches(database, files.c.file_name, filters.file_name))
    if filters.file_size_min is not None:
        name_filter.append(files.c.size >= filters.file_size_min)
    if filters.file_size_max is not None:
        name_filter.append(files.c.size <= filters.file_size_max)
    filters = replace(filters, file_name=None, file_size_min=None, file_size_max=None)
    query = (
        select(files, *_FILE_COLUMNS)
        .select_from(files.join(messages, messages.c.id == files.c.message_id))
        .where(messages.c.account_id == account_id, _shown(files), *name_filter, *clauses(database, filters))
        .order_by(messages.c.date.desc(), files.c.id)
        .limit(filters.limit)
        .offset(filters.offset)
    )
    return run(database, query)


def file(database: Database, account_id: str, file_id: str) -> dict[str, Any] | None:
    return database.first(
        select(files, *_FILE_COLUMNS)
        .select_from(files.join(messages, messages.c.id == files.c.message_id))
        .where(and_(messages.c.account_id == account_id, files.c.id == file_id))
    )
