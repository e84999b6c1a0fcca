"""Context.IO's app-level endpoints (``/app/…``): settings of the API client itself."""

from __future__ import annotations

from flask import Response, jsonify, request

from ..domain import clients
from .blueprint import app_bp, parameters, route, success, tenant


@route("/status_callback_url", methods=["GET", "POST", "DELETE"], blueprint=app_bp)
def status_callback_url() -> Response:
    """The URL told of every status change of every source of this client."""
    if request.method == "POST":
        url = parameters().text("status_callback_url", required=True, max_length=2048)
        clients.set_app_status_callback_url(tenant(), url)
        return success()
    if request.method == "DELETE":
        clients.set_app_status_callback_url(tenant(), None)
        return success()
    return jsonify(
        status_callback_url=clients.app_status_callback_url(tenant()),
        resource_url=request.url_root.rstrip("/") + app_bp.url_prefix + "/status_callback_url",
    )
