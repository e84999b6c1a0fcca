"""``GET /healthz``: what a load balancer or supervisor asks before sending traffic."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from . import storage

bp = Blueprint("connect_health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    if storage.is_reachable():
        return jsonify(status="ok"), 200
    return jsonify(status="unavailable", reason="the database cannot be read"), 503
