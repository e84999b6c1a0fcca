"""Sync jobs and callback deliveries as Celery tasks on Redis (``CONNECT_BROKER_URL``).

The queue carries work to workers; the database decides who does it. A task names one job or
one callback; the worker that receives it claims that row in the database first (a lease, a
heartbeat), so whichever way the queue delivers — twice, late, again after a worker was
killed — a source is synced by one worker at a time and each callback is sent once. Tasks are
acknowledged late, one prefetched at a time, and Redis hands an unacknowledged task to another
worker only after a visibility timeout longer than any job's lease.
"""

from __future__ import annotations

import logging

from celery import Celery
from celery.signals import worker_shutting_down
from flask import Flask

from .worker import LEASE_SECONDS, Worker

logger = logging.getLogger("connect.worker")

EXTENSION = "connect.celery"
QUEUE = "connect"
SYNC_TASK = "connect.sync_job"
DELIVERY_TASK = "connect.deliver_callback"
VISIBILITY_TIMEOUT = 12 * LEASE_SECONDS  # an hour: far longer than any lease

# The worker of this process (one per `flask worker` process), which the tasks run on.
_current: dict[str, Worker] = {}


def make_celery(app: Flask) -> Celery:
    celery = Celery("connect", broker=app.config["CONNECT_BROKER_URL"], set_as_current=False)
    celery.conf.update(
        task_acks_late=True,
        task_reject_on_worker_lost=True,
        worker_prefetch_multiplier=1,
        task_default_queue=QUEUE,
        broker_transport_options={"visibility_timeout": VISIBILITY_TIMEOUT},
        broker_connection_retry_on_startup=True,
        task_ignore_result=True,
        worker_hijack_root_logger=False,
        worker_send_task_events=False,
    )

    @celery.task(name=SYNC_TASK)
    def sync_job(job_id: int) -> str:
        return _current["worker"].run_job(job_id)

    @celery.task(name=DELIVERY_TASK)
    def deliver_callback(event_id: int) -> str:
        return _current["worker"].deliver_event(event_id)

    return celery


def init_app(app: Flask) -> None:
    if app.config.get("CONNECT_BROKER_URL") and EXTENSION not in app.extensions:
        app.extensions[EXTENSION] = make_celery(app)


def run_worker(app: Flask, worker: Worker, concurrency: int) -> None:
    """This process as a Celery worker of the app's queue: ``concurrency`` jobs at once, in
    threads (IMAP waits on the network, not the CPU)."""
    celery: Celery = app.extensions[EXTENSION]
    _current["worker"] = worker
    # A push (IDLE) goes on the queue at once rather than at the scheduler's next tick.
    worker.dispatch = lambda job_id: celery.send_task(SYNC_TASK, args=[job_id], queue=QUEUE)
    worker.start_heartbeat()

    @worker_shutting_down.connect(weak=False)
    def stop_now(**_ignored) -> None:  # SIGTERM: break off the running syncs; they are released
        logger.info("worker %s stopping", worker.name)
        worker.stop()

    celery.worker_main(
        [
            "worker",
            "--pool=threads",
            f"--concurrency={concurrency}",
            f"--hostname={worker.name}",
            "--loglevel=INFO",
            "--without-gossip",
            "--without-mingle",
            f"--queues={QUEUE}",
        ]
    )
    worker.stop()
