"""``GET /2.0/openapi.json``: the API's description, public like any API reference."""

from __future__ import annotations

from flask import Response, jsonify

from .blueprint import api_root, bp
from .openapi import document


@bp.get("/openapi.json")
def openapi_description() -> Response:
    return jsonify(document(api_root()))
