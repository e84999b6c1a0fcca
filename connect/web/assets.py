"""Templates, static files and template filters shared by every page Connect serves.

The templates live under ``connect/`` so a host app overrides one by placing a file of the
same name in its own templates folder; the app's folder is searched first."""

from __future__ import annotations

from datetime import UTC, datetime

from flask import Blueprint, Flask
from flask_wtf.csrf import generate_csrf

bp = Blueprint(
    "connect_assets",
    __name__,
    template_folder="templates",
    static_folder="static",
    static_url_path="/connect/static",
)


@bp.app_template_filter("datetimeformat")
def datetimeformat(epoch: int) -> str:
    return datetime.fromtimestamp(epoch, UTC).strftime("%d %b %Y, %H:%M UTC")


def init_app(app: Flask) -> None:
    if bp.name not in app.blueprints:
        app.register_blueprint(bp)
    app.jinja_env.globals.setdefault("csrf_token", generate_csrf)
