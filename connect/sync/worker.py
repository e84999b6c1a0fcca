"""The worker: schedules periodic syncs, runs sync jobs, delivers callbacks.

``flask --app app worker`` runs one in the foreground until SIGTERM or SIGINT; it then stops
between two batches, handing its unfinished job back so the next worker resumes it. Several
workers may run at once: leases keep them off each other's sources.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from flask import Flask

from .. import storage
from ..callbacks.delivery import CallbackSender, DeliverySettings
from ..callbacks.outbound import InFlight
from ..storage import Database
from .engine import SyncEngine, SyncSettings
from .folders import Interrupted
from .idle import IdleKeeper
from .login import Connection
from .queue import DEAD_AFTER, DatabaseJobQueue, Job, JobQueue
from .transport import ActiveConnections, Limits

logger = logging.getLogger("connect.worker")

LEASE_SECONDS = 300
MAX_JOBS_PER_PASS = 50
HEARTBEAT_SECONDS = 5
DELIVERY_THREADS = 4


class Worker:
    def __init__(
        self,
        app: Flask,
        *,
        name: str | None = None,
        poll_seconds: float = 2.0,
        batch_size: int = 200,
        limits: Limits | None = None,
        dead_after: int | None = None,
        concurrency: int = 1,
        idle_capacity: int | None = None,
    ) -> None:
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"
        self.database: Database = app.extensions[storage.EXTENSION]
        self.vault = app.extensions["connect.vault"]
        self.poll_seconds = poll_seconds
        self.dead_after = dead_after or app.config.get("CONNECT_WORKER_DEAD_AFTER") or DEAD_AFTER
        self.concurrency = concurrency
        connection: Connection = app.extensions["connect.connection"]
        if limits is not None:
            connection = replace(connection, limits=limits)
        self.sync_settings = SyncSettings(
            gmail_host=app.config.get("GMAIL_IMAP_HOST") or "imap.gmail.com",
            connection=connection,
            batch_size=batch_size,
        )
        self.delivery_settings = DeliverySettings(policy=connection.policy)
        self.tokens = app.extensions["connect.tokens"]  # shared: access tokens are cached per process
        self.stopping = threading.Event()
        # Set when there may be work: a push queued a sync, a sync queued callbacks.
        self.syncs_due = threading.Event()
        self.callbacks_due = threading.Event()
        self.connections = ActiveConnections()
        self.in_flight = InFlight()
        self.dispatch: Callable[[int], None] | None = None  # a broker's: hand a job to the queue
        capacity = app.config.get("CONNECT_IDLE_PER_WORKER", 1000) if idle_capacity is None else idle_capacity
        self.idle = (
            IdleKeeper(
                self.database,
                self.vault,
                self.tokens,
                connection,
                owner=self.name,
                gmail_host=self.sync_settings.gmail_host,
                push=self.push,
                capacity=capacity,
                dead_after=self.dead_after,
            )
            if capacity
            else None
        )

    def stop(self) -> None:
        """Stop within seconds, whatever a server is doing: the current IMAP command and every
        callback attempt in flight are broken off; the job goes back to the queue."""
        self.stopping.set()
        self.syncs_due.set()
        self.callbacks_due.set()
        self.connections.abort_all()
        self.in_flight.abort_all()

    def push(self, source_id: int, folder: str) -> None:
        """A folder of the source changed (IDLE said so): sync it now."""
        job_id = storage.queue_push(self.database, source_id, folder, int(time.time()))
        if self.dispatch is not None and job_id is not None:
            self.dispatch(job_id)
        self.syncs_due.set()

    def run_pending(self, now: int | None = None) -> dict[str, int]:
        """One pass in this thread: queue due syncs, run every due job, deliver due callbacks."""
        queue = DatabaseJobQueue(self.database, self.dead_after)
        moment = int(time.time()) if now is None else now
        queue.heartbeat(self.name, int(time.time()))
        scheduled = queue.schedule_due(moment)
        ran = self._run_jobs(queue, self._engine(), now)
        delivered = self._sender().deliver_due(now)
        return {"scheduled": scheduled, "jobs": ran, "callbacks": delivered}

    def run(self) -> None:
        """Until stopped: syncs in one thread, callbacks in a few others (a slow receiver holds
        up only its own client's callbacks), a heartbeat in one more, and IDLE in one."""
        logger.info("worker %s started", self.name)
        self._beat()  # before any claim: a lease of a worker with no heartbeat counts as dead
        threads = (
            [
                threading.Thread(
                    target=self._loop, args=(self._sync_pass, self.syncs_due), name=f"connect-sync-{n}"
                )
                for n in range(self.concurrency)
            ]
            + [
                threading.Thread(target=self._heartbeat_loop, name="connect-heartbeat"),
            ]
            + [
                threading.Thread(
                    target=self._loop,
                    args=(self._delivery_pass, self.callbacks_due),
                    name=f"connect-callbacks-{n}",
                )
                for n in range(DELIVERY_THREADS)
            ]
            + self._idle_threads()
        )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        logger.info("worker %s stopped", self.name)

    def start_heartbeat(self) -> threading.Thread:
        """Beat (and hold IDLE sessions) in the background: a queue's worker process runs the
        jobs in its own threads."""
        self._beat()
        thread = threading.Thread(target=self._heartbeat_loop, name="connect-heartbeat", daemon=True)
        thread.start()
        for idle in self._idle_threads():
            idle.daemon = True
            idle.start()
        return thread

    def _idle_threads(self) -> list[threading.Thread]:
        if self.idle is None:
            return []
        return [threading.Thread(target=self.idle.run, args=(self.stopping,), name="connect-idle")]

    def run_job(self, job_id: int) -> str:
        """Run job ``job_id`` if it can be claimed now (a queue delivered it); what happened."""
        queue = DatabaseJobQueue(self.database, self.dead_after)
        job = queue.claim(self.name, int(time.time()), LEASE_SECONDS, job_id)
        if job is None:
            return "taken"  # done, running under a live lease, or its source busy: nothing to do
        return self._run_job(queue, self._engine(), job)

    def deliver_event(self, event_id: int) -> str:
        """Attempt callback ``event_id`` if it can be claimed now; its state after."""
        return self._sender().deliver_one(event_id)

    def _engine(self) -> SyncEngine:
        return SyncEngine(self.database, self.vault, self.tokens, self.sync_settings, self.connections)

    def _sender(self) -> CallbackSender:
        return CallbackSender(self.database, self.vault, self.delivery_settings, self.in_flight)

    def _loop(self, one_pass: Callable[[], bool], due: threading.Event) -> None:
        while not self.stopping.is_set():
            due.clear()  # before the pass: what is set during it is looked at by the next one
            try:
                busy = one_pass()
            except Exception:
                logger.exception("worker pass failed; trying again shortly")
                busy = False
            if not busy:
                due.wait(self.poll_seconds)

    def _heartbeat_loop(self) -> None:
        while not self.stopping.wait(HEARTBEAT_SECONDS):
            self._beat()
        storage.forget_worker(self.database, self.name)

    def _beat(self) -> None:
        try:
            now = int(time.time())
            storage.heartbeat(self.database, self.name, now)
            storage.forget_dead_workers(self.database, now - 24 * 3600)
        except Exception:
            logger.exception("worker %s could not record its heartbeat", self.name)

    def _sync_pass(self) -> bool:
        queue = DatabaseJobQueue(self.database, self.dead_after)
        queue.schedule_due(int(time.time()))
        engine = self._engine()
        ran = self._run_jobs(queue, engine, None)
        if not ran and engine.announce():  # what a stopped worker recorded and did not send
            self.callbacks_due.set()
        return ran > 0

    def _delivery_pass(self) -> bool:
        return self._sender().deliver_due() > 0

    def _run_jobs(self, queue: JobQueue, engine: SyncEngine, now: int | None) -> int:
        ran = 0
        while ran < MAX_JOBS_PER_PASS and not self.stopping.is_set():
            job = queue.claim(self.name, int(time.time()) if now is None else now, LEASE_SECONDS)
            if job is None:
                break
            self._run_job(queue, engine, job)
            self.callbacks_due.set()  # the sync may have queued callbacks: send them now
            ran += 1
        return ran

    def _run_job(self, queue: JobQueue, engine: SyncEngine, job: Job) -> str:
        renewed = time.monotonic()

        def keep_going() -> bool:
            nonlocal renewed
            if self.stopping.is_set():
                return False
            if time.monotonic() - renewed > LEASE_SECONDS / 3:
                if not queue.renew(job, self.name, int(time.time()), LEASE_SECONDS):
                    logger.warning("worker %s lost its lease on sync job %d", self.name, job.id)
                    return False
                renewed = time.monotonic()
            return True

        try:
            outcome = engine.sync(job.source_id, keep_going, job.folder)
        except Interrupted:
            queue.release(job, self.name, int(time.time()))
            return "released"
        except Exception as error:
            # The engine turns every failure of the sync into a status and a retry; what lands
            # here is the database itself failing. The job ends; the scheduler tries again.
            logger.exception("sync job %d for source %d failed unexpectedly", job.id, job.source_id)
            queue.complete(job, self.name, int(time.time()), f"{type(error).__name__}: {error}"[:500])
            return "failed"
        queue.complete(job, self.name, int(time.time()), None if outcome != "failed" else "the sync failed")
        return outcome
