"""The mail index as the sync engine writes it: folders, messages merged per account, their
files, and where each lives (folder and UID).

A FETCH window is written in one transaction with a handful of statements, whatever its size:
rows go in with executemany, never one round trip per message.
"""

from __future__ import annotations

import json
import time
from typing import Any

from sqlalchemy import bindparam, delete, exists, func, select, update

from .contacts import forget_messages, record_addresses
from .database import Database
from .dialect import insert, insert_ignoring_conflicts
from .mail import folder_named
from .schema import files, folders, message_locations, messages, sources
from .statements import InList, Prepared, execute_many, run_on_driver
from .threads import assign_threads
from .webhooks import is_watched, record_message_events, snapshot

_FOLDERS_OF = Prepared(
    select(folders).where(folders.c.source_id == bindparam("source_id")).order_by(folders.c.name)
)


def folders_of(database: Database, source_id: int) -> list[dict[str, Any]]:
    return database.rows(_FOLDERS_OF, {"source_id": source_id})


def folder_of(database: Database, source_id: int, name: str) -> dict[str, Any] | None:
    """A source's folder by its full name or a symbolic one (``\\Sent``)."""
    query = select(folders).where(folders.c.source_id == source_id, folder_named(name))
    return database.first(query.order_by(folders.c.name).limit(1))


def save_folder(database: Database, source_id: int, name: str, delimiter: str, attributes: str) -> dict:
    statement = insert(database, folders).values(
        source_id=source_id, name=name, delimiter=delimiter, attributes=attributes
    )
    statement = statement.on_conflict_do_update(
        index_elements=[folders.c.source_id, folders.c.name],
        set_={"delimiter": statement.excluded.delimiter, "attributes": statement.excluded.attributes},
    )
    with database.transaction() as connection:
        connection.execute(statement)
        row = connection.execute(
            select(folders).where(folders.c.source_id == source_id, folders.c.name == name)
        ).first()
    return dict(row._mapping)


def update_folder(database: Database, folder_id: int, changes: dict[str, Any]) -> None:
    database.write(update(folders).where(folders.c.id == folder_id).values(**changes))


def delete_folder(database: Database, folder_id: int) -> None:
    database.write(delete(folders).where(folders.c.id == folder_id))


def reset_folder(database: Database, account_id: str, folder_id: int, uidvalidity: int) -> None:
    """A changed UIDVALIDITY: every UID we hold for the folder is meaningless now."""
    with database.transaction() as connection:
        connection.execute(delete(message_locations).where(message_locations.c.folder_id == folder_id))
        forget_orphan_messages(database, account_id)
        connection.execute(
            update(folders)
            .where(folders.c.id == folder_id)
            .values(uidvalidity=uidvalidity, uidnext=1, highestmodseq=0, synced_uid=0)
        )


def index_batch(
    database: Database,
    account_id: str,
    folder_id: int,
    batch: list[dict[str, Any]],
    folder_progress: dict[str, Any],
    counting_source: int | None = None,
    announce_since: int | None = None,
) -> None:
    """Store one FETCH window: each message once per account (merged by its dedupe key), its
    files, where it lives; and how far the folder got, so a crash resumes after this window.
    During an initial sync, ``counting_source`` adds the window to its progress.

    With ``announce_since`` (an incremental sync's start), what the window means for webhooks
    is recorded too: a message new to the account, or one known before that sync now filed in
    this folder as well (one indexed since is simply new: never announced twice)."""
    with database.transaction() as connection:
        if batch:
            keys = list({record["dedupe_key"] for record in batch})
            known = _ids_by_key(connection, account_id, keys)
            before = dict(known)
            new: dict[str, dict[str, Any]] = {}
            for record in batch:
                if record["dedupe_key"] not in known:
                    new.setdefault(record["dedupe_key"], record)
            if new:
                assign_threads(connection, account_id, list(new.values()))
                execute_many(
                    connection,
                    insert_ignoring_conflicts(database, messages),
                    [{**_message_row(record), "account_id": account_id} for record in new.values()],
                )
                known = _ids_by_key(connection, account_id, keys)  # ours, or a concurrent writer's
                ours = [record for record in new.values() if known[record["dedupe_key"]] == record["id"]]
                record_addresses(connection, account_id, ours)
                new_files = [
                    {**file, "message_id": record["id"]}
                    for record in new.values()
                    if known[record["dedupe_key"]] == record["id"]
                    for file in record["files"]
                ]
                if new_files:
                    execute_many(connection, insert_ignoring_conflicts(database, files), new_files)
            location = insert(database, message_locations)
            location = location.on_conflict_do_update(
                index_elements=[message_locations.c.folder_id, message_locations.c.uid],
                set_={"message_id": location.excluded.message_id, "flags": location.excluded.flags},
            )
            execute_many(
                connection,
                location,
                [
                    {
                        "folder_id": folder_id,
                        "uid": record["uid"],
                        "message_id": known[record["dedupe_key"]],
                        "flags": record["flags"],
                    }
                    for record in batch
                ],
            )
            if announce_since is not None and is_watched(connection, account_id):
                _announce_window(connection, account_id, folder_id, batch, before, known, announce_since)
        connection.execute(update(folders).where(folders.c.id == folder_id).values(**folder_progress))
        if counting_source is not None and batch:
            connection.execute(
                update(sources)
                .where(sources.c.id == counting_source)
                .values(initial_sync_indexed=sources.c.initial_sync_indexed + len(batch))
            )


def _event(message_id: str, event: str, folder: str, now: int, **more: Any) -> dict[str, Any]:
    return {"message_id": message_id, "event": event, "folder": folder, "created": now, **more}


def _folder_name(connection, folder_id: int) -> str:
    return connection.execute(select(folders.c.name).where(folders.c.id == folder_id)).scalar()


def _announce_window(connection, account_id, folder_id, batch, before, known, since) -> None:
    name, now = _folder_name(connection, folder_id), batch[0]["date_indexed"]
    new, filed = {}, {}
    for record in batch:
        message_id = known[record["dedupe_key"]]
        if record["dedupe_key"] in before:
            filed.setdefault(message_id, _event(message_id, "folder_added", name, now))
        elif message_id == record["id"]:  # ours, not a concurrent writer's
            new.setdefault(message_id, _event(message_id, "message_new", name, now))
    skipped = _fresh_or_refiled(connection, folder_id, list(filed), since)
    events = list(new.values()) + [event for m, event in filed.items() if m not in skipped]
    record_message_events(connection, account_id, events)


def _fresh_or_refiled(connection, folder_id: int, message_ids: list[str], since: int) -> set[str]:
    """Of these known messages, those indexed during this sync (announced as new already) or
    with another place in this folder (moved within it: not a filing)."""
    if not message_ids:
        return set()
    fresh = connection.execute(
        select(messages.c.id).where(messages.c.id.in_(message_ids), messages.c.date_indexed >= since)
    )
    here = connection.execute(
        select(message_locations.c.message_id)
        .where(message_locations.c.message_id.in_(message_ids), message_locations.c.folder_id == folder_id)
        .group_by(message_locations.c.message_id)
        .having(func.count() > 1)
    )
    return {row[0] for row in fresh} | {row[0] for row in here}


_NOT_COLUMNS = ("files", "flags", "uid")


def _message_row(record: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in record.items() if name not in _NOT_COLUMNS}


_IDS_BY_KEY = Prepared(
    select(messages.c.dedupe_key, messages.c.id).where(
        messages.c.account_id == bindparam("account_id"), InList(messages.c.dedupe_key, "keys")
    ),
    planned_each_run=True,
)


def _ids_by_key(connection, account_id: str, keys: list[str]) -> dict[str, str]:
    found = run_on_driver(connection, _IDS_BY_KEY, {"account_id": account_id, "keys": keys})
    return {row["dedupe_key"]: row["id"] for row in found}


def update_flags(
    database: Database, folder_id: int, flags_by_uid: dict[int, str], account_id: str | None = None
) -> None:
    """Store the flags read back; with ``account_id``, a change is recorded for webhooks."""
    if not flags_by_uid:
        return
    statement = (
        update(message_locations)
        .where(
            message_locations.c.folder_id == bindparam("b_folder"),
            message_locations.c.uid == bindparam("b_uid"),
        )
        .values(flags=bindparam("b_flags"))
    )
    rows = [{"b_folder": folder_id, "b_uid": uid, "b_flags": flags} for uid, flags in flags_by_uid.items()]
    with database.transaction() as connection:
        if account_id is not None and is_watched(connection, account_id):
            _announce_flag_changes(connection, account_id, folder_id, flags_by_uid)
        execute_many(connection, statement, rows)


def _announce_flag_changes(connection, account_id: str, folder_id: int, flags_by_uid: dict[int, str]) -> None:
    stored = connection.execute(
        select(message_locations.c.uid, message_locations.c.message_id, message_locations.c.flags).where(
            message_locations.c.folder_id == folder_id, message_locations.c.uid.in_(sorted(flags_by_uid))
        )
    )
    name, now = _folder_name(connection, folder_id), int(time.time())
    changed = dict.fromkeys(
        row.message_id
        for row in stored
        if set(json.loads(row.flags)) != set(json.loads(flags_by_uid[row.uid]))
    )
    record_message_events(connection, account_id, [_event(m, "message_changed", name, now) for m in changed])


def folder_count(database: Database, folder_id: int) -> int:
    """How many messages the index holds in the folder."""
    return database.scalar(
        select(func.count()).select_from(message_locations).where(message_locations.c.folder_id == folder_id)
    )


def folder_uids(database: Database, folder_id: int, low: int, high: int) -> set[int]:
    rows = database.rows(
        select(message_locations.c.uid).where(
            message_locations.c.folder_id == folder_id, message_locations.c.uid.between(low, high)
        )
    )
    return {row["uid"] for row in rows}


def forget_locations(
    database: Database, account_id: str, folder_id: int, uids: set[int], announce: bool = False
) -> None:
    """Expunged messages: gone from the folder, and from the data set once nowhere else.
    With ``announce``, each removal is recorded for webhooks, with the message as it was."""
    where = (message_locations.c.folder_id == folder_id, message_locations.c.uid.in_(sorted(uids)))
    with database.transaction() as connection:
        if announce and is_watched(connection, account_id):
            gone = list(
                dict.fromkeys(connection.scalars(select(message_locations.c.message_id).where(*where)))
            )
            name, now, as_they_were = (
                _folder_name(connection, folder_id),
                int(time.time()),
                snapshot(connection, gone),
            )
            events = [_event(m, "folder_removed", name, now, snapshot=as_they_were.get(m)) for m in gone]
            record_message_events(connection, account_id, events)
        connection.execute(delete(message_locations).where(*where))
        forget_orphan_messages(database, account_id)


def forget_orphan_messages(database: Database, account_id: str) -> None:
    """Messages no folder holds any more leave the data set (and their contacts' counts)."""
    orphans = select(messages.c.id).where(
        messages.c.account_id == account_id,
        ~exists().where(message_locations.c.message_id == messages.c.id),
    )
    with database.transaction() as connection:
        forget_messages(connection, account_id, orphans)
