"""Sync jobs and the workers that run them: queueing, claiming with a lease, heartbeats, and
what a finished sync leaves on its source.

Exactly-once lives here, whichever queue delivered the job: a job is claimed in the database,
never while a live worker holds a lease on the same source. Claims run one at a time (SQLite's
write lock; an advisory lock on PostgreSQL), each reading what the claim before it wrote. A row
lock alone is not enough there: a claim that waited on it would still choose by the snapshot it
started with, and take the job just claimed a second time.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, case, delete, exists, func, literal, or_, select, text, update

from .database import Database
from .dialect import insert, insert_ignoring_conflicts
from .schema import (
    accounts,
    callback_events,
    folders,
    idle_holders,
    message_locations,
    oauth_providers,
    sources,
    sync_jobs,
    workers,
)
from .statements import Prepared
from .statuses import change_source
from .webhooks import record_historical

RUNNABLE = ("OK", "CONNECTION_IMPOSSIBLE", "NO_ACCESS_TO_ALL_MAIL")
PENDING = ("queued", "running")
# A source still waiting for its initial sync with nothing queued (its job ended on a failure
# of the database itself, say) is picked up again after this long: never stuck waiting.
STALLED_INITIAL_SYNC = 300
_PERIOD_SECONDS = case(
    (sources.c.sync_period == "1h", 3600),
    (sources.c.sync_period == "4h", 14400),
    (sources.c.sync_period == "12h", 43200),
    else_=86400,
)


def _queued(database: Database):
    """INSERT … ON CONFLICT on the one-queued-job-per-source index (its predicate spelled
    literally, as PostgreSQL matches it against the index's own)."""
    return insert_ignoring_conflicts(
        database, sync_jobs, sync_jobs.c.source_id, where=text("state = 'queued'")
    )


def queue_sync(
    database: Database, source_id: int, reason: str, now: int, run_after: int | None = None
) -> bool:
    """Queue a sync unless one is already queued for the source (which then syncs every
    folder, should a push have named one); True when one was added."""
    statement = _queued(database).values(
        source_id=source_id, reason=reason, queued_at=now, run_after=now if run_after is None else run_after
    )
    with database.transaction() as connection:
        if connection.execute(statement).rowcount == 1:
            return True
        connection.execute(
            update(sync_jobs)
            .where(sync_jobs.c.source_id == source_id, sync_jobs.c.state == "queued")
            .values(folder=None)
        )
    return False


def queue_push(database: Database, source_id: int, folder: str, now: int) -> int | None:
    """A folder changed (the server said so over IDLE): sync it now. Merged into the job
    already queued, if any (which then also runs now, and syncs every folder if it named
    another); the job's id."""
    statement = insert(database, sync_jobs).values(
        source_id=source_id, reason="push", queued_at=now, run_after=now, folder=folder
    )
    statement = statement.on_conflict_do_update(
        index_elements=[sync_jobs.c.source_id],
        index_where=text("state = 'queued'"),
        set_={
            "run_after": case((sync_jobs.c.run_after > now, now), else_=sync_jobs.c.run_after),
            "folder": case((sync_jobs.c.folder == folder, folder), else_=None),
        },
    )
    row = database.write_returning(statement.returning(sync_jobs.c.id))
    return None if row is None else row["id"]


def queue_retry(database: Database, source_id: int, run_after: int, now: int) -> None:
    queue_sync(database, source_id, "retry", now, run_after)


_PENDING = select(sync_jobs).where(
    sync_jobs.c.state.in_(PENDING), sync_jobs.c.source_id.in_(bindparam("source_ids", expanding=True))
)


def pending_syncs(database: Database, source_ids: list[int]) -> dict[int, dict[str, Any]]:
    if not source_ids:
        return {}
    rows = database.rows(_PENDING, {"source_ids": list(source_ids)})
    return {row["source_id"]: row for row in rows}


def _due(now):
    """Runnable sources whose period has passed, or whose initial sync stalled, with no sync
    pending."""
    s = sources
    last_activity = case(
        (s.c.last_sync_start > s.c.last_sync_stop, s.c.last_sync_start), else_=s.c.last_sync_stop
    )
    started = case((last_activity > s.c.created, last_activity), else_=s.c.created)
    return (
        or_(*(s.c.status == status for status in RUNNABLE)),  # no expanding IN: it is prepared once
        ((s.c.last_sync_stop > 0) & (s.c.last_sync_stop + _PERIOD_SECONDS <= now))
        | ((s.c.initial_import_finished == 0) & (started + STALLED_INITIAL_SYNC <= now)),
        ~select(sync_jobs.c.id)
        .where(sync_jobs.c.source_id == s.c.id, or_(*(sync_jobs.c.state == state for state in PENDING)))
        .exists(),
    )


_ANY_DUE = Prepared(select(exists().where(*_due(bindparam("now"))).label("due")))


def queue_due_syncs(database: Database, now: int) -> int:
    """Queue a sync of every source that is due (``_due``). Every worker pass asks, and most
    find none: a read answers that, without taking the write lock."""
    if not database.first(_ANY_DUE, {"now": now})["due"]:
        return 0
    due = select(sources.c.id, literal("scheduled"), literal(now), literal(now)).where(*_due(now))
    statement = _queued(database).from_select(["source_id", "reason", "queued_at", "run_after"], due)
    return database.write(statement).rowcount


# A job can be claimed when it is due, or running under a lease that ran out or a worker that
# stopped beating; and never while a live worker holds a lease on the same source.
_CLAIMABLE = """
    ((j.state = 'queued' AND j.run_after <= :now)
     OR (j.state = 'running' AND (j.lease_expires < :now OR NOT EXISTS (
          SELECT 1 FROM workers w WHERE w.name = j.lease_owner AND w.heartbeat >= :alive))))
    AND NOT EXISTS (
      SELECT 1 FROM sync_jobs r JOIN workers w ON w.name = r.lease_owner
      WHERE r.source_id = j.source_id AND r.id != j.id
        AND r.state = 'running' AND r.lease_expires >= :now AND w.heartbeat >= :alive)
"""
_CLAIM = """
UPDATE sync_jobs
SET state = 'running', lease_owner = :owner, lease_expires = :until, attempts = attempts + 1,
    dispatched_at = NULL
WHERE id = (
    SELECT j.id FROM sync_jobs j
    WHERE {claimable} {only}
    ORDER BY j.run_after, j.id
    LIMIT 1)
RETURNING *
"""
_CLAIMS = {
    specific: text(_CLAIM.format(claimable=_CLAIMABLE, only="AND j.id = :job_id" if specific else ""))
    for specific in (False, True)
}
# Every worker pass claims until it finds nothing: a read says so without the claims' lock.
_ANY_CLAIMABLE = Prepared(text(f"SELECT EXISTS (SELECT 1 FROM sync_jobs j WHERE {_CLAIMABLE}) AS claimable"))
_DISPATCH = text(
    "UPDATE sync_jobs SET dispatched_at = :now WHERE id IN (SELECT j.id FROM sync_jobs j WHERE "
    + _CLAIMABLE
    + " AND (j.dispatched_at IS NULL OR j.dispatched_at < :again) ORDER BY j.run_after, j.id LIMIT :limit)"
    " RETURNING id"
)


def claim_sync_job(
    database: Database, owner: str, now: int, lease_until: int, alive_since: int, job_id: int | None = None
) -> dict[str, Any] | None:
    """Take the next due job (or job ``job_id``, if it can be taken), or one whose worker's
    lease ran out or whose worker stopped beating (no heartbeat since ``alive_since``); never a
    job of a source that a live worker holds a lease on."""
    if job_id is None and not database.first(_ANY_CLAIMABLE, {"now": now, "alive": alive_since})["claimable"]:
        return None
    statement = _CLAIMS[job_id is not None]
    parameters = {"owner": owner, "now": now, "until": lease_until, "alive": alive_since, "job_id": job_id}
    with database.exclusive("connect-sync-claims") as connection:
        row = connection.execute(statement, parameters).first()
        if row is None and job_id is not None:  # not now: let the scheduler send it again
            connection.execute(update(sync_jobs).where(sync_jobs.c.id == job_id).values(dispatched_at=None))
    return None if row is None else dict(row._mapping)


def dispatch_sync_jobs(
    database: Database, now: int, alive_since: int, again_before: int, limit: int
) -> list[int]:
    """Mark the claimable jobs not handed to the queue yet (or long ago) as handed over now;
    their ids, for the scheduler to send."""
    parameters = {"now": now, "alive": alive_since, "again": again_before, "limit": limit}
    with database.transaction() as connection:
        return sorted(row.id for row in connection.execute(_DISPATCH, parameters))


def heartbeat(database: Database, worker: str, now: int) -> None:
    statement = insert(database, workers).values(name=worker, started=now, heartbeat=now)
    database.write(statement.on_conflict_do_update(index_elements=[workers.c.name], set_={"heartbeat": now}))


def forget_worker(database: Database, worker: str) -> None:
    """A worker stopped: its heartbeat goes, and the IDLE sessions it held are free at once."""
    with database.transaction() as connection:
        connection.execute(delete(idle_holders).where(idle_holders.c.owner == worker))
        connection.execute(delete(workers).where(workers.c.name == worker))


def forget_dead_workers(database: Database, before: int) -> None:
    database.write(delete(workers).where(workers.c.heartbeat < before))


def renew_sync_lease(database: Database, job_id: int, owner: str, lease_until: int) -> bool:
    statement = (
        update(sync_jobs)
        .where(sync_jobs.c.id == job_id, sync_jobs.c.lease_owner == owner, sync_jobs.c.state == "running")
        .values(lease_expires=lease_until)
    )
    return database.write(statement).rowcount == 1


def finish_sync_job(database: Database, job_id: int, owner: str, now: int, error: str | None = None) -> None:
    database.write(
        update(sync_jobs)
        .where(sync_jobs.c.id == job_id, sync_jobs.c.lease_owner == owner)
        .values(
            state="failed" if error else "done",
            finished_at=now,
            error=error,
            lease_owner=None,
            lease_expires=None,
        )
    )


def release_sync_job(database: Database, job_id: int, owner: str, now: int) -> None:
    """Hand an unfinished job back (the worker is stopping); it resumes where it left off,
    unless another sync is already queued behind it, which will do the work instead."""
    with database.transaction() as connection:
        source_id = connection.execute(select(sync_jobs.c.source_id).where(sync_jobs.c.id == job_id)).scalar()
        successor = connection.execute(
            select(sync_jobs.c.id).where(sync_jobs.c.source_id == source_id, sync_jobs.c.state == "queued")
        ).first()
        if successor is not None:
            finish_sync_job(database, job_id, owner, now, "superseded by a newer queued sync")
            return
        connection.execute(
            update(sync_jobs)
            .where(sync_jobs.c.id == job_id, sync_jobs.c.lease_owner == owner)
            .values(state="queued", run_after=now, lease_owner=None, lease_expires=None)
        )


_LAST_HEARTBEAT = Prepared(select(func.max(workers.c.heartbeat).label("heartbeat")))
_BACKLOG = Prepared(
    select(func.count().label("due")).where(
        sync_jobs.c.state == "queued", sync_jobs.c.run_after <= bindparam("now")
    )
)


def worker_status(database: Database, now: int) -> dict[str, Any]:
    """For the health check: the latest heartbeat of any worker, and how many syncs are due."""
    heartbeat = database.first(_LAST_HEARTBEAT)
    backlog = database.first(_BACKLOG, {"now": now})
    return {"last_heartbeat": heartbeat["heartbeat"] if heartbeat else None, "backlog": backlog["due"]}


def sync_job_state(database: Database, job_id: int) -> str | None:
    return database.scalar(select(sync_jobs.c.state).where(sync_jobs.c.id == job_id))


def sync_jobs_list(database: Database) -> list[dict[str, Any]]:
    return database.rows(select(sync_jobs).order_by(sync_jobs.c.id))


_SYNC_CONTEXT = Prepared(
    select(
        sources,
        accounts.c.consumer_key,
        oauth_providers.c.type.label("provider_type"),
        oauth_providers.c.provider_consumer_secret,
    )
    .select_from(
        sources.join(accounts, accounts.c.id == sources.c.account_id).outerjoin(
            oauth_providers,
            (oauth_providers.c.consumer_key == accounts.c.consumer_key)
            & (oauth_providers.c.provider_consumer_key == sources.c.provider_consumer_key),
        )
    )
    .where(sources.c.id == bindparam("source_id"))
)


def sync_context(database: Database, source_id: int) -> dict[str, Any] | None:
    """A source with what its sync needs: its account's client and its OAuth provider."""
    return database.first(_SYNC_CONTEXT, {"source_id": source_id})


def start_initial_sync_progress(database: Database, source_id: int, total: int) -> None:
    """The messages the source's folders hold; what is indexed already (a resumed sync) counts."""
    indexed = (
        select(func.count())
        .select_from(message_locations.join(folders, folders.c.id == message_locations.c.folder_id))
        .where(folders.c.source_id == source_id)
        .scalar_subquery()
    )
    database.write(
        update(sources)
        .where(sources.c.id == source_id)
        .values(initial_sync_total=total, initial_sync_indexed=indexed)
    )


def record_sync_start(database: Database, source_id: int, now: int) -> None:
    """A full sync began (one folder's, after a push, leaves the periodic schedule alone)."""
    database.write(update(sources).where(sources.c.id == source_id).values(last_sync_start=now))


def record_sync_success(
    database: Database,
    source_id: int,
    now: int,
    message: str,
    callback: dict[str, Any] | None,
    full: bool = True,
) -> bool:
    """Mark the source synced; on its first completed sync, also store the callback event
    (``callback`` filled in with the source's URL), in the same transaction: exactly once.
    A sync of one folder (not ``full``) leaves the time of the last sync, and so the
    periodic schedule, as it was."""
    with database.transaction() as connection:
        row = connection.execute(
            select(sources.c.initial_import_finished, sources.c.callback_url, sources.c.status)
            .where(sources.c.id == source_id)
            .with_for_update()
        ).first()
        if row is None:
            return False
        first = not row.initial_import_finished
        values = {
            "status": "OK",
            "status_message": message,
            "failure_count": 0,
            "first_failure_at": 0,
            "initial_import_finished": 1,
        } | ({"last_sync_stop": now} if full else {})
        change_source(connection, source_id, values, now, old=row.status)
        if first:
            record_historical(connection, source_id, now)
        if first and row.callback_url and callback is not None:
            connection.execute(
                callback_events.insert(), {**callback, "source_id": source_id, "url": row.callback_url}
            )
    return first


def record_sync_failure(database: Database, source_id: int, status: str, message: str, now: int) -> int:
    """Set the status a failure earned; the number of failures in a row so far."""
    values = {
        "status": status,
        "status_message": message,
        "failure_count": sources.c.failure_count + 1,
        "first_failure_at": case((sources.c.first_failure_at == 0, now), else_=sources.c.first_failure_at),
        "last_sync_stop": now,
    }
    with database.transaction() as connection:
        change_source(connection, source_id, values, now)
        failures = connection.execute(
            select(sources.c.failure_count).where(sources.c.id == source_id)
        ).scalar()
    return failures or 0
