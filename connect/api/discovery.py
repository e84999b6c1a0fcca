"""``discovery``: IMAP settings for an address at a well-known provider."""

from __future__ import annotations

from flask import Response, jsonify

from ..domain import discovery
from ..domain.errors import InvalidParameter
from .blueprint import parameters, route


@route("/discovery", methods=["GET"])
def discover() -> Response:
    given = parameters()
    source_type = given.text("source_type") or "IMAP"
    if source_type.upper() != "IMAP":
        raise InvalidParameter("source_type must be IMAP")
    email = given.email("email", required=True)
    settings = discovery.discover(email)
    if settings is None:
        return jsonify(email=email, found=False, type="IMAP")
    return jsonify(
        email=email,
        found=True,
        type="IMAP",
        imap={
            "server": settings.server,
            "port": settings.port,
            "use_ssl": settings.use_ssl,
            "username": email,
            "oauth": settings.oauth,
        },
        documentation=settings.documentation,
    )
