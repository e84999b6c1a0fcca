"""What every page Connect serves carries, and what its forms refuse, whoever embeds them.

The helper's pages and the hosted connect-token page are open to the internet, some of them to
anonymous visitors: bodies are capped before they are read, answers carry a Content Security
Policy (``frame-ancestors`` from ``CONNECT_FRAME_ANCESTORS``, so a host that frames the pages
names its own origins), ``nosniff`` and a referrer policy that keeps connect tokens in URLs
from leaking to other sites; and the forms that try an IMAP login for anyone are rate-limited
per client address, so they can't be used to guess passwords or sweep a network.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable

from flask import Blueprint, Flask, Response, current_app, render_template, request
from limits import parse_many
from limits.storage import storage_from_string
from limits.strategies import MovingWindowRateLimiter
from werkzeug.exceptions import HTTPException, TooManyRequests

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


def refusal_page(error: HTTPException) -> tuple[str, int, dict[str, str]]:
    """A friendly page for a refused request (oversized, rate-limited…), with the error's own
    headers (``Retry-After``)."""
    status = error.code or 400
    title, explanation = REFUSALS.get(status, ("That didn't work", error.description or ""))
    page = render_template(
        "connect/problem.html", title=title, explanation=explanation, back=request.blueprint == "connect"
    )
    headers = {name: value for name, value in error.get_headers() if name.lower() != "content-type"}
    return page, status, headers


class FormLimiter:
    """Counts POSTs per client address in a moving window (the ``limits`` library, as
    Flask-Limiter uses it), for the few endpoints that try a login for anyone. It hooks only
    those views, so the host's other pages — and any limiter of its own — are untouched."""

    def __init__(self, rate: str, storage_uri: str) -> None:
        self.limits = parse_many(rate)
        self.limiter = MovingWindowRateLimiter(storage_from_string(storage_uri))

    def allow(self, endpoint: str, address: str) -> int | None:
        """None when the request may go on; otherwise the seconds until it may."""
        for limit in self.limits:
            if not self.limiter.hit(limit, endpoint, address):
                reset, _ = self.limiter.get_window_stats(limit, endpoint, address)
                return max(1, int(reset - time.time()))
        return None

    def wrap(self, endpoint: str, view: Callable) -> Callable:
        @functools.wraps(view)
        def limited(*args, **kwargs):
            if request.method == "POST":
                wait = self.allow(endpoint, request.remote_addr or "unknown")
                if wait is not None:
                    raise TooManyRequests(retry_after=wait)
            return view(*args, **kwargs)

        return limited


def limit_form_posts(app: Flask, endpoint: str) -> None:
    """Rate-limit POSTs to ``endpoint`` per client address (``CONNECT_FORM_RATE_LIMIT``)."""
    limiter = app.extensions.get(LIMITER)
    if limiter is None:
        limiter = app.extensions[LIMITER] = FormLimiter(
            app.config.get("CONNECT_FORM_RATE_LIMIT") or "10/minute;60/hour",
            app.config.get("CONNECT_RATE_LIMIT_STORAGE") or "memory://",
        )
    app.view_functions[endpoint] = limiter.wrap(endpoint, app.view_functions[endpoint])
