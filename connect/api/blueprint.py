"""The ``/2.0`` blueprint: every request is signed, and answers in Context.IO's JSON."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any
from urllib.parse import parse_qsl

from flask import Blueprint, Response, current_app, g, jsonify, request

from .. import storage
from ..domain.crypto import Vault
from ..domain.errors import ConnectError
from ..domain.tenant import Tenant
from ..sync.fetch import LiveMail
from ..web.web_safety import add_security_headers
from . import auth
from .parameters import Parameters

logger = logging.getLogger("connect.api")

MAX_REQUEST_BYTES = 1024 * 1024

bp = Blueprint("connect_api", __name__, url_prefix="/2.0")
bp.after_request(add_security_headers)  # files from mailboxes are served here: never sniffed


# Context.IO's app-level endpoints live outside /2.0 (its client calls them as API version
# "app"): signed, and answered, exactly like the rest.
app_bp = Blueprint("connect_app_level", __name__, url_prefix="/app")
app_bp.after_request(add_security_headers)


def route(rule: str, methods: list[str], blueprint: Blueprint = bp) -> Callable:
    """A rule answered with and without its trailing slash: Context.IO's client addresses
    resources as ``accounts/<id>/``, and a redirect would lose a POST and its signature.
    (Two plain rules, not ``strict_slashes=False``, which answers a wrong method with 404.)"""

    def register(view: Callable) -> Callable:
        for form in (rule, rule + "/"):
            blueprint.add_url_rule(form, view_func=view, methods=methods)
        return view

    return register


def vault() -> Vault:
    return current_app.extensions["connect.vault"]


def live_mail() -> LiveMail:
    """Reads bodies and files from the mailboxes, reusing this process's access tokens."""
    return LiveMail(
        tenant().database,
        vault(),
        current_app.extensions["connect.tokens"],
        current_app.extensions["connect.connection"],
    )


def tenant() -> Tenant:
    return g.connect_tenant


def parameters() -> Parameters:
    if request.mimetype == "multipart/form-data" and "boundary" not in request.mimetype_params:
        # Context.IO's Python client sends a url-encoded body under this type, with no boundary
        # (so no multipart parser can read it): read it for what it is.
        form = parse_qsl(request.get_data(as_text=True), keep_blank_values=True)
        return Parameters({**request.args.to_dict(), **dict(form)})
    return Parameters(request.values.to_dict())


def api_root() -> str:
    return request.url_root.rstrip("/") + bp.url_prefix


def success(**fields: Any) -> Response:
    return jsonify(success=True, **fields)


# The description, and file links (their own signed, expiring token says who may read them).
PUBLIC_ENDPOINTS = {"connect_api.openapi_description", "connect_api.download_file"}


@bp.before_request
@app_bp.before_request
def authenticate() -> None:
    request.max_content_length = MAX_REQUEST_BYTES
    if request.endpoint in PUBLIC_ENDPOINTS:
        return
    database = storage.get_db()
    consumer_key = auth.authenticate(
        database,
        vault(),
        method=request.method,
        uri=_signed_uri(),
        body=request.get_data(as_text=True)
        if request.mimetype == "application/x-www-form-urlencoded"
        else None,
        headers=request.headers,
    )
    g.connect_tenant = tenant_of(consumer_key)


def tenant_of(consumer_key: str) -> Tenant:
    """The API client's view of the data (after its signature, or a link it was given, said
    who it is)."""
    return Tenant(
        database=storage.get_db(),
        vault=vault(),
        consumer_key=consumer_key,
        allow_private_callbacks=current_app.config.get("CONNECT_ALLOW_PRIVATE_CALLBACKS", False),
        own_origins=current_app.extensions["connect.connection"].policy.own_origins,
    )


def _signed_uri() -> str:
    """The URL exactly as the client signed it: the path as it arrived, percent-encoding and
    all (``a%3A%3Ab``), under the scheme, host and prefix a trusted proxy reports."""
    raw = request.environ.get("RAW_URI") or request.environ.get("REQUEST_URI")
    if not raw:
        return request.url
    if raw.startswith(("http://", "https://")):  # an absolute request-target
        raw = "/" + raw.split("/", 3)[-1]
    prefix = request.script_root
    if prefix and raw.startswith(prefix + "/"):
        prefix = ""
    return f"{request.scheme}://{request.host}{prefix}{raw}"


@bp.errorhandler(ConnectError)
@app_bp.errorhandler(ConnectError)
def connect_error(error: ConnectError) -> tuple[Response, int]:
    if error.status == 401:
        logger.warning("API request refused (401): %s %s: %s", request.method, request.path, error.message)
    return jsonify(type="error", value=error.message), error.status
