"""A sync the API runs before it answers: Context.IO's folder message listing checks the server
for new mail and indexes it first.

It goes through the job queue like any sync, claimed in the database, so it never runs beside
a worker's sync of the same source: if a worker holds the source, the answer waits (a few
seconds at most) for that sync instead.
"""

from __future__ import annotations

import secrets
import time

from flask import Flask

from .. import storage
from .worker import Worker

WAIT_SECONDS = 10


def sync_folder_now(app: Flask, source_id: int, folder: str) -> str:
    """Sync one folder of the source now; what happened (``synced``, ``failed``, ``waited``…)."""
    database = app.extensions[storage.EXTENSION]
    job_id = storage.queue_push(database, source_id, folder, int(time.time()))
    if job_id is None:
        return "gone"
    worker = Worker(app, name=f"api:{secrets.token_hex(4)}", idle_capacity=0)
    storage.heartbeat(database, worker.name, int(time.time()))  # its lease is a live worker's
    try:
        outcome = worker.run_job(job_id)
    finally:
        storage.forget_worker(database, worker.name)
    if outcome != "taken":
        return outcome
    deadline = time.monotonic() + WAIT_SECONDS
    while time.monotonic() < deadline and storage.sync_job_state(database, job_id) in ("queued", "running"):
        time.sleep(0.1)
    return "waited"
