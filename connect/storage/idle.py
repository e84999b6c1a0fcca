"""Which worker holds IMAP IDLE on which source: exactly one at a time.

A worker claims sources that are OK, past their initial sync and held by nobody alive, up to
its capacity; a holder that stopped beating loses them to the next worker that asks. Claims
run one at a time, like sync-job claims, so two workers never take the same source.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, exists, func, literal, select

from .database import Database
from .dialect import insert_ignoring_conflicts
from .schema import folders, idle_holders, sources, workers


def _eligible():
    return (sources.c.status == "OK") & (sources.c.initial_import_finished == 1)


def hold_idle_sources(
    database: Database, owner: str, now: int, alive_since: int, capacity: int
) -> list[dict[str, Any]]:
    """Take what this worker may hold now, let go what it must not; every source it holds,
    with what IDLE needs to pick its folder (the server, and the folders' attributes)."""
    with database.exclusive("connect-idle-claims") as connection:
        alive = select(workers.c.name).where(workers.c.heartbeat >= alive_since)
        connection.execute(
            delete(idle_holders).where(
                idle_holders.c.owner.not_in(alive)
                | ~exists().where(sources.c.id == idle_holders.c.source_id, _eligible())
            )
        )
        held = connection.execute(
            select(func.count()).select_from(idle_holders).where(idle_holders.c.owner == owner)
        ).scalar()
        if held < capacity:
            free = (
                select(sources.c.id, literal(owner), literal(now))
                .where(_eligible(), ~exists().where(idle_holders.c.source_id == sources.c.id))
                .order_by(sources.c.id)
                .limit(capacity - held)
            )
            claim = insert_ignoring_conflicts(database, idle_holders)
            connection.execute(claim.from_select(["source_id", "owner", "since"], free))
        rows = connection.execute(
            select(sources.c.id, sources.c.server)
            .select_from(idle_holders.join(sources, sources.c.id == idle_holders.c.source_id))
            .where(idle_holders.c.owner == owner)
            .order_by(sources.c.id)
        ).all()
        attributes: dict[int, list[tuple[str, str]]] = {row.id: [] for row in rows}
        if attributes:
            for folder in connection.execute(
                select(folders.c.source_id, folders.c.name, folders.c.attributes).where(
                    folders.c.source_id.in_(list(attributes))
                )
            ):
                attributes[folder.source_id].append((folder.name, folder.attributes))
    return [{"source_id": row.id, "server": row.server, "folders": attributes[row.id]} for row in rows]


def idle_sources_held(database: Database) -> int:
    """Sources some worker holds an IDLE session on (for the health check)."""
    return database.scalar(select(func.count()).select_from(idle_holders))
