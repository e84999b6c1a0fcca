"""The end user's pages: their mailboxes with live status, Connect Gmail, the IMAP form,
reconnect and remove. Parsing and answering only; ``mailboxes.Mailboxes`` does the work."""

from __future__ import annotations

import logging
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from flask import (
    Blueprint,
    Response,
    current_app,
    flash,
    g,
    jsonify,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_wtf.csrf import CSRFError, ValidationError, validate_csrf

from .. import storage
from ..domain import discovery
from ..domain.address_policy import address_policy
from ..domain.errors import ConnectError
from ..web import google_oauth as oauth
from ..web.imap_form import imap_settings_from_form
from ..web.public_url import external_url
from ..web.web_safety import protect_pages
from . import signals
from .client import SourcesClient
from .mailboxes import HelperSettings, Mailboxes
from .wsgi_transport import WSGIAdapter

logger = logging.getLogger("connect.helper.pages")

bp = Blueprint("connect", __name__, url_prefix="/connect", template_folder="templates")
protect_pages(bp)

RECONNECT = "connect_reconnect"


def extension():
    return current_app.extensions["connect"]


def current_user_id() -> str | None:
    return extension().load_user()


def mailboxes() -> Mailboxes:
    """The signed-in user's mailboxes (one API client per request)."""
    if "connect_mailboxes" not in g:
        g.connect_mailboxes = _mailboxes()
    return g.connect_mailboxes


@bp.teardown_request
def _close_api_client(_error: BaseException | None = None) -> None:
    helper = g.pop("connect_mailboxes", None)
    if helper is not None:
        helper.api.close()


def _mailboxes() -> Mailboxes:
    config = current_app.config
    key, secret = config.get("CONTEXTIO_CONSUMER_KEY"), config.get("CONTEXTIO_CONSUMER_SECRET")
    if not (key and secret):
        raise ConnectError("This site isn't set up to connect mailboxes yet (no sources API credentials).")
    if config.get("CONTEXTIO_API_URL"):
        api = SourcesClient(config["CONTEXTIO_API_URL"], key, secret)
    else:  # this app's own API, called in-process
        api = SourcesClient(
            request.url_root.rstrip("/") + "/2.0", key, secret, transport=WSGIAdapter(current_app.wsgi_app)
        )
    settings = HelperSettings(
        gmail_host=config.get("GMAIL_IMAP_HOST") or "imap.gmail.com",
        gmail_port=int(config.get("GMAIL_IMAP_PORT") or 993),
        google_client_id=config.get("GOOGLE_CLIENT_ID"),
        google_client_secret=config.get("GOOGLE_CLIENT_SECRET"),
        callback_url=external_url("connect_receiver.receive_sync"),
        status_callback_url=external_url("connect_receiver.receive_status"),
        policy=address_policy(current_app),
    )
    return Mailboxes(storage.get_db(), api, settings, current_user_id())


def login_redirect(login_url: str, next_url: str) -> str:
    """The host's login page with ``next`` added the way Flask-Login adds it: URL-encoded and
    merged into the query the login URL may already have. ``login_url`` may be an endpoint."""
    target = login_url if "/" in login_url else url_for(login_url)
    parts = urlsplit(target)
    query = [
        (name, value) for name, value in parse_qsl(parts.query, keep_blank_values=True) if name != "next"
    ]
    return urlunsplit(parts._replace(query=urlencode([*query, ("next", next_url)])))


@bp.before_request
def require_user() -> Response | None:
    if current_user_id() is None:
        answer = extension().unauthorized()
        if answer is not None:
            return answer
        login_url = extension().login_url
        if login_url:
            return redirect(login_redirect(login_url, request.full_path.rstrip("?")))
        return problem("Please sign in first", "You need to be signed in to connect mailboxes.", 401)
    return None


@bp.errorhandler(ConnectError)
def connect_error(error: ConnectError):
    return problem("That didn't work", error.message, error.status)


@bp.errorhandler(CSRFError)
def csrf_error(error: CSRFError):
    return problem("This form has expired", "Reload the page and try again.", 400)


def problem(title: str, explanation: str, status: int = 400, retry: str | None = None):
    return render_template("connect/problem.html", title=title, explanation=explanation, retry=retry), status


def check_csrf() -> None:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError as error:
        raise CSRFError(str(error)) from None


def _tell_host(signal, label: str, email: str, **details) -> None:
    signals.send(
        signal,
        current_app._get_current_object(),
        user_id=current_user_id(),
        account_id=mailboxes().account_id,
        label=label,
        email=email,
        **details,
    )


def safe_next(target: str | None, default: str) -> str:
    """Only a path on this site: never another host, never a scheme-relative ``//host``."""
    if not target:
        return default
    parts = urlsplit(target)
    if (
        parts.scheme
        or parts.netloc
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
    ):
        return default
    return target


@bp.get("/")
def index():
    return render_template(
        "connect/mailboxes.html",
        mailboxes=mailboxes().list(),
        google_enabled=extension().google is not None,
    )


@bp.get("/status.json")
def status() -> Response:
    """The mailboxes' states. With ``seen`` (the count the page last had), and no status change
    told to the helper's receiver since, ``{"unchanged": true}`` without asking the sources
    API: the page can ask every few seconds, and a refused password shows at once."""
    seen = request.args.get("seen", type=int)
    helper = mailboxes()
    changes = helper.changes_seen()
    if seen is not None and seen == changes:
        return jsonify(seen=changes, unchanged=True)
    return jsonify(seen=changes, mailboxes=[mailbox.as_dict() for mailbox in helper.list()])


@bp.get("/google")
def google_start():
    if extension().google is None:
        return problem(
            "Gmail isn't available here",
            "This site hasn't been set up to connect Gmail (no Google client is configured). "
            "You can still connect a mailbox with an app password.",
            503,
            retry=url_for("connect.imap_form"),
        )
    hint = None
    label = request.args.get("reconnect")
    if label:
        hint = mailboxes().find(label).email
        session[RECONNECT] = label
    else:
        session.pop(RECONNECT, None)
    try:
        return oauth.start(extension().google, external_url("connect.google_callback"), hint)
    except oauth.DanceFailure as failure:
        return problem(failure.title, failure.explanation, 502, retry=url_for("connect.google_start"))


@bp.get("/google/callback")
def google_callback():
    if extension().google is None:
        return redirect(url_for("connect.index"))
    reconnect = session.pop(RECONNECT, None)
    retry = (
        url_for("connect.google_start", reconnect=reconnect) if reconnect else url_for("connect.google_start")
    )
    try:
        grant = oauth.finish(extension().google)
    except oauth.DanceFailure as failure:
        return problem(failure.title, failure.explanation, 400, retry=retry)
    try:
        label = mailboxes().connect_gmail(grant, reconnect)
    except ConnectError as error:
        oauth.revoke(extension().google, {"refresh_token": grant.refresh_token})
        return problem("That didn't work", error.message, error.status, retry=retry)
    _tell_host(signals.mailbox_connected, label, grant.email, reconnect=reconnect is not None)
    flash(f"{grant.email} is connected. Syncing it now.")
    return redirect(url_for("connect.index"))


@bp.route("/imap", methods=["GET", "POST"])
def imap_form():
    reconnect = request.values.get("reconnect") or None
    fixed_email = mailboxes().find(reconnect).email if reconnect else None
    form = dict(request.form) if request.method == "POST" else {"email": fixed_email or ""}
    error = error_field = None
    if request.method == "POST":
        check_csrf()
        if fixed_email:
            form["email"] = fixed_email
        try:
            settings = imap_settings_from_form(form)
            label = mailboxes().connect_imap(settings, reconnect)
        except ConnectError as failure:
            error, error_field = failure.message, getattr(failure, "field", None)
        else:
            _tell_host(signals.mailbox_connected, label, settings.email, reconnect=reconnect is not None)
            flash(f"{settings.email} is connected. Syncing it now.")
            return redirect(url_for("connect.index"))
    shown = {name: value for name, value in form.items() if name != "password"}
    return render_template(
        "connect/imap.html",
        form=shown,
        error=error,
        error_field=error_field,
        providers=discovery.PROVIDER_CHOICES,
        reconnect=reconnect,
    ), (400 if error else 200)


@bp.get("/mailboxes/<label>/reconnect")
def reconnect(label: str):
    mailbox = mailboxes().find(label)
    if mailbox.kind == "gmail":
        return redirect(url_for("connect.google_start", reconnect=label))
    return redirect(url_for("connect.imap_form", reconnect=label))


@bp.route("/mailboxes/<label>/remove", methods=["GET", "POST"])
def remove(label: str):
    """GET asks first (a page, so it works without JavaScript); POST removes."""
    back = safe_next(request.values.get("next"), url_for("connect.index"))
    if request.method == "GET":
        return render_template("connect/remove.html", mailbox=mailboxes().find(label), next=back)
    check_csrf()
    mailbox = mailboxes().remove(label)
    _tell_host(signals.mailbox_removed, mailbox.label, mailbox.email)
    flash(f"{mailbox.email} was removed.")
    return redirect(back)
