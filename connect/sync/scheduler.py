"""The scheduler of a deployment with a broker: the one process that turns what the database
says is due into tasks on the queue.

Each tick queues the periodic syncs that are due (and stalled initial syncs), then hands every
claimable job and due callback to the queue once, marking it in the database; one still
waiting long after is handed over again (a message lost with a Redis restart). Without a
broker the embedded worker does all of this itself.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass

from celery import Celery

from .. import storage
from .celery_queue import DELIVERY_TASK, QUEUE, SYNC_TASK

logger = logging.getLogger("connect.scheduler")

# A job or callback handed to the queue and still waiting this long is handed over again.
REDISPATCH_AFTER = 600
BATCH = 500


@dataclass
class Scheduler:
    database: storage.Database
    celery: Celery
    dead_after: int
    poll_seconds: float = 1.0

    def __post_init__(self) -> None:
        self.stopping = threading.Event()

    def tick(self, now: int | None = None) -> dict[str, int]:
        moment = int(time.time()) if now is None else now
        scheduled = storage.queue_due_syncs(self.database, moment)
        jobs = storage.dispatch_sync_jobs(
            self.database, moment, moment - self.dead_after, moment - REDISPATCH_AFTER, BATCH
        )
        for job_id in jobs:
            self.celery.send_task(SYNC_TASK, args=[job_id], queue=QUEUE)
        events = storage.dispatch_callbacks(self.database, moment, moment - REDISPATCH_AFTER, BATCH)
        for event_id in events:
            self.celery.send_task(DELIVERY_TASK, args=[event_id], queue=QUEUE)
        return {"scheduled": scheduled, "jobs": len(jobs), "callbacks": len(events)}

    def run(self) -> None:
        logger.info("scheduler started")
        while not self.stopping.is_set():
            try:
                busy = any(self.tick().values())
            except Exception:
                logger.exception("scheduler tick failed; trying again shortly")
                busy = False
            if not busy:
                self.stopping.wait(self.poll_seconds)
        logger.info("scheduler stopped")

    def stop(self) -> None:
        self.stopping.set()
