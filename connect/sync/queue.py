"""The job queue the worker draws sync jobs from.

``JobQueue`` is the seam: the database implementation serves the embedded default, and a deployment that
outgrows it implements the same six methods on another queue (RQ or Celery on Redis) without
touching the engine or the worker.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from .. import storage
from ..storage import Database


@dataclass(frozen=True)
class Job:
    id: int
    source_id: int
    reason: str
    attempts: int
    folder: str | None = None  # a push's folder: only it is synced


class JobQueue(Protocol):
    def schedule_due(self, now: int) -> int:
        """Queue the periodic syncs that are due; how many were queued."""

    def claim(self, owner: str, now: int, lease_seconds: int, job_id: int | None = None) -> Job | None:
        """The next due job (or job ``job_id``), leased to ``owner``; never one whose source
        another live owner holds."""

    def heartbeat(self, owner: str, now: int) -> None:
        """``owner`` is alive: its leases hold. A silent owner's jobs are taken over."""

    def renew(self, job: Job, owner: str, now: int, lease_seconds: int) -> bool:
        """Extend the lease; False when it was lost (the job may be running elsewhere now)."""

    def complete(self, job: Job, owner: str, now: int, error: str | None = None) -> None: ...

    def release(self, job: Job, owner: str, now: int) -> None:
        """Give an unfinished job back, to resume from its stored progress."""


# A worker beats every few seconds; one silent this long is taken for dead (kill -9, a lost
# machine) and its jobs resume elsewhere, long before their leases would run out.
DEAD_AFTER = 60


class DatabaseJobQueue:
    def __init__(self, database: Database, dead_after: int = DEAD_AFTER) -> None:
        self.database = database
        self.dead_after = dead_after

    def schedule_due(self, now: int) -> int:
        return storage.queue_due_syncs(self.database, now)

    def claim(self, owner: str, now: int, lease_seconds: int, job_id: int | None = None) -> Job | None:
        row = storage.claim_sync_job(
            self.database, owner, now, now + lease_seconds, now - self.dead_after, job_id
        )
        if row is None:
            return None
        return Job(row["id"], row["source_id"], row["reason"], row["attempts"], row["folder"])

    def heartbeat(self, owner: str, now: int) -> None:
        storage.heartbeat(self.database, owner, now)

    def renew(self, job: Job, owner: str, now: int, lease_seconds: int) -> bool:
        return storage.renew_sync_lease(self.database, job.id, owner, now + lease_seconds)

    def complete(self, job: Job, owner: str, now: int, error: str | None = None) -> None:
        storage.finish_sync_job(self.database, job.id, owner, now, error)

    def release(self, job: Job, owner: str, now: int) -> None:
        storage.release_sync_job(self.database, job.id, owner, now)
