"""``GET /healthz``: what a load balancer or supervisor asks before sending traffic."""

from __future__ import annotations

from flask import Blueprint, Response, jsonify

from . import db

bp = Blueprint("connect_health", __name__)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    if db.is_reachable():
        return jsonify(status="ok"), 200
    return jsonify(status="unavailable", reason="the database cannot be read"), 503
