"""What every page Connect serves carries, and what its forms refuse, whoever embeds them.

The helper's pages and the hosted connect-token page are open to the internet, some of them to
anonymous visitors: bodies are capped before they are read, answers carry a Content Security
Policy (``frame-ancestors`` from ``CONNECT_FRAME_ANCESTORS``, so a host that frames the pages
names its own origins), ``nosniff`` and a referrer policy that keeps connect tokens in URLs
from leaking to other sites; and the forms that try an IMAP login for anyone are rate-limited
per client address, so they can't be used to guess passwords or sweep a network.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, render_template, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from werkzeug.exceptions import HTTPException

FORM_MAX_BYTES = 64 * 1024
LIMITER = "connect.limiter"


def content_security_policy(frame_ancestors: str) -> str:
    return (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        f"object-src 'none'; base-uri 'self'; frame-ancestors {frame_ancestors}"
    )


def add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    headers.setdefault("Referrer-Policy", "same-origin")
    if response.mimetype == "text/html":
        ancestors = current_app.config.get("CONNECT_FRAME_ANCESTORS") or "'self'"
        headers.setdefault("Content-Security-Policy", content_security_policy(ancestors))
    return response


def _cap_body() -> None:
    request.max_content_length = FORM_MAX_BYTES


def protect_pages(bp: Blueprint) -> None:
    """Cap the blueprint's request bodies and add the security headers to its answers."""
    bp.before_request(_cap_body)
    bp.after_request(add_security_headers)
    for status in REFUSALS:
        bp.register_error_handler(status, refusal_page)


REFUSALS = {
    400: ("That request didn't make sense", "Go back, check what you entered and try again."),
    413: ("That was too much", "The form sent more than any mailbox setting needs. Go back and try again."),
    429: (
        "Too many attempts",
        "Too many sign-in attempts came from your network. Wait a minute, then try again.",
    ),
}


def refusal_page(error: HTTPException) -> tuple[str, int]:
    """A friendly page for a request refused before any view ran (oversized, rate-limited…)."""
    status = error.code or 400
    title, explanation = REFUSALS.get(status, ("That didn't work", error.description or ""))
    page = render_template(
        "connect/problem.html", title=title, explanation=explanation, back=request.blueprint == "connect"
    )
    return page, status


def limit_form_posts(app: Flask, endpoint: str) -> None:
    """Rate-limit POSTs to ``endpoint`` per client address (``CONNECT_FORM_RATE_LIMIT``).

    Connect's own limiter, under its own key prefix, so a host's Flask-Limiter and its
    settings are left alone."""
    limiter = app.extensions.get(LIMITER)
    if limiter is None:
        limiter = Limiter(
            get_remote_address,
            app=app,
            storage_uri=app.config.get("CONNECT_RATE_LIMIT_STORAGE") or "memory://",
            key_prefix="connect",
            # Only the limits set here: a host's RATELIMIT_DEFAULT is for its own limiter.
            default_limits_exempt_when=lambda: True,
            application_limits_exempt_when=lambda: True,
            headers_enabled=True,
        )
        app.extensions[LIMITER] = limiter
    rate = app.config.get("CONNECT_FORM_RATE_LIMIT") or "10/minute;60/hour"
    view = app.view_functions[endpoint]
    app.view_functions[endpoint] = limiter.limit(rate, methods=["POST"])(view)
