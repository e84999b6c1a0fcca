"""``GET /healthz``: what a load balancer or supervisor asks before sending traffic.

200 while the database answers, with what an operator watches beside it: the last heartbeat
of any sync worker, how many syncs are due and waiting (the queue's backlog), and on how many
sources the workers hold IMAP IDLE (push).
"""

from __future__ import annotations

import time

from flask import Blueprint, Response, jsonify
from sqlalchemy.exc import SQLAlchemyError

from .. import storage

bp = Blueprint("connect_health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    if not storage.is_reachable():
        return jsonify(status="unavailable", reason="the database cannot be read"), 503
    try:
        workers = storage.worker_status(storage.get_db(), int(time.time()))
        idle = storage.idle_sources_held(storage.get_db())
    except SQLAlchemyError:
        return jsonify(status="unavailable", reason="the database cannot be read"), 503
    return jsonify(
        status="ok",
        worker={"last_heartbeat": workers["last_heartbeat"]},
        queue={"backlog": workers["backlog"]},
        push={"idle_sources": idle},
    ), 200
