"""The reference host: the whole Connect app, ready to run (``make run``)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from flask import Flask, redirect, url_for

from connect import Connect, storage
from connect.api import SourcesAPI
from connect.config import load_settings, startup_errors
from connect.web import health
from connect.web.proxies import trust_proxies

logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")


def create_app(config: Mapping[str, Any] | None = None) -> Flask:
    with startup_errors():
        app = Flask(__name__, instance_relative_config=True)
        load_settings(app, config)
        trust_proxies(app, app.config["CONNECT_TRUSTED_PROXIES"])
        storage.init_app(app)
        SourcesAPI(app)
        Connect(app)
        app.register_blueprint(health.bp)
        app.add_url_rule("/", "home", lambda: redirect(url_for("connect.index")))
    return app
