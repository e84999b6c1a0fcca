"""Settings: the pinned names, their defaults, and how a string from the environment becomes a value.

Every setting can come from an environment variable of the same name or from the mapping the
host passes to its factory; the mapping wins. Values are parsed once, at start-up, so a typo in
a deployment fails loudly there instead of on the first request that needs it.
"""

from __future__ import annotations

import logging
import os
import secrets
import threading
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import click
from flask import Flask

from . import storage

DEVELOPMENT = "development"
PRODUCTION = "production"
logger = logging.getLogger("connect")


class ConfigError(ValueError):
    """A setting is missing or malformed; the message names it and says what is expected."""


def _boolean(raw: str) -> bool:
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError("expected one of 1/0, true/false, yes/no, on/off")


def _positive_int(raw: str) -> int:
    value = int(raw)
    if value <= 0:
        raise ValueError("expected a positive whole number")
    return value


def _non_negative_int(raw: str) -> int:
    value = int(raw)
    if value < 0:
        raise ValueError("expected a whole number, 0 or more")
    return value


def _port(raw: str) -> int:
    value = int(raw)
    if not 1 <= value <= 65535:
        raise ValueError("expected a port number from 1 to 65535")
    return value


def _word_list(raw: str) -> tuple[str, ...]:
    return tuple(word for word in raw.replace(",", " ").split() if word)


def _environment(raw: str) -> str:
    value = raw.strip().lower()
    if value not in {DEVELOPMENT, PRODUCTION}:
        raise ValueError(f"expected {DEVELOPMENT!r} or {PRODUCTION!r}")
    return value


def _text(raw: str) -> str | None:
    return raw or None


def _public_url(raw: str) -> str | None:
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.hostname or parts.query or parts.fragment:
        raise ValueError("expected the app's base URL, such as https://mail.example.com")
    return raw.rstrip("/")


def _broker_url(raw: str) -> str | None:
    if not raw:
        return None
    if not raw.startswith(("redis://", "rediss://")):
        raise ValueError("expected a Redis URL, redis://host:port/N")
    return raw


def _rate_limit(raw: str) -> str:
    from limits import parse_many

    parse_many(raw)  # ValueError names what is wrong
    return raw


@dataclass(frozen=True)
class Setting:
    name: str
    parse: Callable[[str], Any]
    default: Any = None

    def value(self, given: Any, where: str = "") -> Any:
        """``given`` parsed when it is a string (``where`` it came from goes in the error)."""
        if not isinstance(given, str):
            return given
        try:
            return self.parse(given)
        except ValueError as error:
            raise ConfigError(f"{self.name}{where} is not valid: {error}") from None


SETTINGS: tuple[Setting, ...] = (
    Setting("CONNECT_ENV", _environment, PRODUCTION),
    Setting("SECRET_KEY", _text),
    # Retired keys that still decrypt stored credentials (and verify sessions) after a rotation.
    Setting("SECRET_KEY_FALLBACKS", _word_list, ()),
    Setting("CONNECT_DATABASE", _text),
    Setting("CONTEXTIO_API_URL", _text),
    Setting("CONTEXTIO_CONSUMER_KEY", _text),
    Setting("CONTEXTIO_CONSUMER_SECRET", _text),
    # Secrets still accepted on incoming callbacks while a consumer secret is being rotated.
    Setting("CONTEXTIO_CALLBACK_SECRETS", _word_list, ()),
    Setting("CONTEXTIO_CALLBACK_TOLERANCE", _positive_int, 259200),
    Setting("GOOGLE_CLIENT_ID", _text),
    Setting("GOOGLE_CLIENT_SECRET", _text),
    Setting(
        "GOOGLE_SERVER_METADATA_URL",
        _text,
        "https://accounts.google.com/.well-known/openid-configuration",
    ),
    Setting("GMAIL_IMAP_HOST", _text, "imap.gmail.com"),
    Setting("GMAIL_IMAP_PORT", _port, 993),
    Setting("CONNECT_ALLOW_PRIVATE_CALLBACKS", _boolean),
    # How many reverse proxies in front of the app set X-Forwarded-* headers (0: none trusted).
    Setting("CONNECT_TRUSTED_PROXIES", _non_negative_int, 0),
    # Origins allowed to frame the helper's pages (CSP frame-ancestors), e.g. "https://app.example".
    Setting("CONNECT_FRAME_ANCESTORS", _text, "'self'"),
    # IMAP login attempts per client address on the public forms, and where the counts live.
    Setting("CONNECT_FORM_RATE_LIMIT", _rate_limit, "10/minute;60/hour"),
    Setting("CONNECT_RATE_LIMIT_STORAGE", _text, "memory://"),
    # The app's public base URL (https://mail.example.com) when a proxy in front doesn't say it.
    Setting("CONNECT_PUBLIC_URL", _public_url),
    # Redis for Celery (redis://host:port/N); unset: the database queue, one process does all.
    Setting("CONNECT_BROKER_URL", _broker_url),
    # Seconds without a heartbeat after which a worker counts as dead and its jobs move on.
    Setting("CONNECT_WORKER_DEAD_AFTER", _positive_int, 60),
    # Sources one worker holds an IMAP IDLE session on, for new mail within seconds (0: none).
    Setting("CONNECT_IDLE_PER_WORKER", _non_negative_int, 1000),
)


def start_or_explain(import_name: str, build: Callable[[], Flask]) -> Flask:
    """The app ``build`` makes; under the ``flask`` command, when a setting or the database
    keeps it from starting, an app that lists every command and answers each with the error
    in one line (``commands.app_that_cannot_start``). A server process still stops loudly."""
    from .commands import app_that_cannot_start
    from .storage import DatabaseError

    try:
        return build()
    except (ConfigError, DatabaseError) as error:
        if click.get_current_context(silent=True) is None:
            raise
        return app_that_cannot_start(import_name, str(error))


def warn_when_serving(app: Flask, message: str) -> None:
    """A warning about how the app is set up, said where someone will read it: at a server's
    start, or on the first request under ``flask run``; never on every ``flask`` command."""
    if click.get_current_context(silent=True) is None:  # gunicorn, or the host's own start
        logger.warning(message)
        return
    said = threading.Event()

    def say_once() -> None:
        if not said.is_set():
            said.set()
            logger.warning(message)

    app.before_request(say_once)


def apply_defaults(app: Flask, names: Iterable[str]) -> None:
    """For an app that embeds a part of Connect with its own configuration: the settings it
    doesn't name get their defaults, and those it gives as strings (from the environment, say)
    are parsed as Connect's own app parses them."""
    for setting in SETTINGS:
        if setting.name not in names:
            continue
        value = app.config.get(setting.name)
        app.config[setting.name] = setting.default if value is None else setting.value(value)


def load_settings(
    app: Flask,
    overrides: Mapping[str, Any] | None = None,
    environ: Mapping[str, str] = os.environ,
) -> None:
    """Fill ``app.config`` with every pinned setting, parsed, and the defaults that depend on
    where the app runs (its instance folder, development or production)."""
    overrides = dict(overrides or {})
    for setting in SETTINGS:
        if setting.name in overrides:
            value = setting.value(overrides.pop(setting.name), " from the app's configuration")
        elif setting.name in environ:
            value = setting.value(environ[setting.name], " from the environment")
        else:
            value = setting.default
        app.config[setting.name] = value
    app.config.update(overrides)

    development = app.config["CONNECT_ENV"] == DEVELOPMENT
    if not app.config["SECRET_KEY"]:
        if not development:
            raise ConfigError(
                "SECRET_KEY is required in production: set it in the environment "
                "(or set CONNECT_ENV=development for a local setup, where one is generated)."
            )
        app.config["SECRET_KEY"] = development_secret_key(app.instance_path)
    if not app.config["CONNECT_DATABASE"]:
        app.config["CONNECT_DATABASE"] = storage.default_path(app.instance_path)
    if app.config["CONNECT_ALLOW_PRIVATE_CALLBACKS"] is None:
        app.config["CONNECT_ALLOW_PRIVATE_CALLBACKS"] = development


def development_secret_key(instance_path: str) -> str:
    """The key kept in the instance folder, made on first use.

    Stored credentials are encrypted under this key, so it must survive restarts and be the
    same for every process that starts at once (web workers, the sync worker): the file is
    written aside and linked into place, and whoever links second reads the winner's key.
    """
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        os.makedirs(instance_path, exist_ok=True)
        draft = f"{path}.{os.getpid()}.{secrets.token_hex(4)}"
        descriptor = os.open(draft, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "w") as file:
            file.write(secrets.token_urlsafe(48))
        try:
            os.link(draft, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(draft)
    with open(path) as file:
        key = file.read().strip()
    if not key:
        raise ConfigError(f"{path} is empty: delete it to have a new key generated.")
    return key
