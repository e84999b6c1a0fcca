"""The page behind a connect token's ``browser_redirect_url``: an API client's end user
connects a mailbox here (Gmail through the client's own Google app, or IMAP), and the browser
returns to the client's ``callback_url?contextio_token=…``. Unsigned: the token is the
credential, good once, for 24 hours."""

from __future__ import annotations

import hashlib

from flask import Blueprint, current_app, redirect, render_template, request, session
from flask_wtf.csrf import ValidationError, validate_csrf

from .. import storage
from ..domain import connect_tokens, discovery
from ..domain.errors import ConnectError
from ..domain.sources import NewSource, Password, ProviderTokens
from ..domain.tenant import Tenant
from ..web import google_oauth as oauth
from ..web.imap_form import check_imap_login, imap_settings_from_form
from ..web.public_url import external_url
from ..web.web_safety import protect_pages

bp = Blueprint("connect_hosted", __name__, template_folder="templates")
protect_pages(bp)

HOSTED_TOKEN = "connect_hosted_token"


def _tenant(token: dict) -> Tenant:
    return Tenant(
        storage.get_db(),
        current_app.extensions["connect.vault"],
        token["consumer_key"],
        bool(current_app.config.get("CONNECT_ALLOW_PRIVATE_CALLBACKS")),
        own_origins=current_app.extensions["connect.connection"].policy.own_origins,
    )


def _live_token(value: str) -> dict | None:
    return connect_tokens.live_token(storage.get_db(), value)


def _google(tenant: Tenant):
    """An Authlib client for the token owner's Google app, or None if it has none."""
    provider = connect_tokens.gmail_provider(tenant)
    if provider is None:
        return None
    secret = tenant.vault.decrypt(provider["provider_consumer_secret"])
    # One client per app and secret, built once: a secret changed through the API is a new
    # client at once, without a restart.
    key = f"{tenant.consumer_key}:{provider['provider_consumer_key']}:{secret}"
    name = "provider-" + hashlib.sha256(key.encode()).hexdigest()[:24]
    return oauth.google_client(
        oauth.registry(current_app),
        name,
        provider["provider_consumer_key"],
        secret,
        current_app.config["GOOGLE_SERVER_METADATA_URL"],
    )


def _page(
    token: dict,
    error: str | None = None,
    form: dict | None = None,
    status: int = 200,
    error_field: str | None = None,
):
    tenant = _tenant(token)
    return (
        render_template(
            "connect/token_connect.html",
            token=token,
            client_name=storage.api_client_name(tenant.database, tenant.consumer_key),
            gmail_available=connect_tokens.gmail_provider(tenant) is not None,
            error=error,
            error_field=error_field,
            form=form or {"email": token["email"]},
            providers=discovery.PROVIDER_CHOICES,
        ),
        status,
    )


def _unknown():
    return render_template("connect/token_unknown.html"), 404


@bp.route("/connect/token/<token>", methods=["GET", "POST"])
def connect_token_page(token: str):
    row = _live_token(token)
    if row is None:
        return _unknown()
    if row["used"]:
        return render_template("connect/token_used.html", token=row)
    if request.method == "GET":
        return _page(row)
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        return _page(row, "This form expired. Please try again.", status=400)
    form = {name: value for name, value in request.form.items() if name != "password"}
    try:
        settings = imap_settings_from_form(dict(request.form))
        check_imap_login(settings, _tenant(row).policy)
        mailbox = NewSource(
            settings.server, settings.port, settings.use_ssl, settings.username, Password(settings.password)
        )
        connect_tokens.use_token(_tenant(row), row, settings.email, mailbox)
    except ConnectError as error:
        return _page(row, error.message, form, status=400, error_field=getattr(error, "field", None))
    return redirect(connect_tokens.return_url(row))


@bp.get("/connect/token/<token>/google")
def connect_token_google(token: str):
    row = _live_token(token)
    if row is None or row["used"]:
        return _unknown()
    client = _google(_tenant(row))
    if client is None:
        return _page(
            row, "Gmail sign-in isn't set up for this app. Use the form with an app password.", status=400
        )
    session[HOSTED_TOKEN] = token
    try:
        return oauth.start(client, external_url("connect_hosted.google_callback"), row["email"] or None)
    except oauth.DanceFailure as failure:
        return _page(row, f"{failure.title}. {failure.explanation}", status=502)


@bp.get("/connect/hosted/google/callback")
def google_callback():
    row = _live_token(session.pop(HOSTED_TOKEN, ""))
    if row is None or row["used"]:
        return _unknown()
    tenant = _tenant(row)
    client = _google(tenant)
    if client is None:
        return _unknown()
    try:
        grant = oauth.finish(client)
    except oauth.DanceFailure as failure:
        return _page(row, f"{failure.title}. {failure.explanation}", status=400)
    config = current_app.config
    mailbox = NewSource(
        config.get("GMAIL_IMAP_HOST") or "imap.gmail.com",
        int(config.get("GMAIL_IMAP_PORT") or 993),
        True,
        grant.email,
        ProviderTokens(client.client_id, refresh_token=grant.refresh_token),
    )
    try:
        connect_tokens.use_token(tenant, row, grant.email, mailbox)
    except ConnectError as error:
        oauth.revoke(client, {"refresh_token": grant.refresh_token})
        return _page(row, error.message, status=error.status)
    return redirect(connect_tokens.return_url(row))
