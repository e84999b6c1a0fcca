"""The page behind a connect token's ``browser_redirect_url``, where the end user connects a
mailbox for the API client that made the token. Unsigned: the token is the credential."""

from __future__ import annotations

import time

from flask import Blueprint, render_template

from . import db

bp = Blueprint("connect_hosted", __name__)


@bp.get("/connect/token/<token>")
def connect_token_page(token: str) -> tuple[str, int]:
    row = db.live_connect_token(db.get_db(), token, int(time.time()))
    if row is None:
        return render_template("connect/token_unknown.html"), 404
    if row["used"]:
        return render_template("connect/token_used.html", token=row), 200
    return render_template("connect/token_unavailable.html", token=row), 200
