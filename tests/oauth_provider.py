"""A local OAuth 2.0 / OpenID provider standing in for Google in the tests.

It issues refresh tokens, exchanges them for access tokens, revokes them, and introspects
access tokens for Dovecot's ``oauth2`` passdb — so an XOAUTH2 login in the tests is checked
by Dovecot against this provider exactly as Gmail checks Google's tokens.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
import threading
import time
from dataclasses import dataclass, field
from urllib.parse import urlencode

from flask import Flask, jsonify, redirect, render_template_string, request
from joserfc import jwt
from joserfc.jwk import RSAKey
from werkzeug.serving import make_server

from tests.servers import free_port

MAIL_SCOPE = "https://mail.google.com/"


@dataclass
class Grant:
    email: str
    scopes: set[str]
    client_id: str
    revoked: bool = False


CONSENT_PAGE = """<!doctype html>
<title>Sign in - Test Google</title>
<h1>Test Google: allow access?</h1>
<form method="post">
  {% for name, value in hidden.items() %}
  <input type="hidden" name="{{ name }}" value="{{ value }}">
  {% endfor %}
  <label>Sign in as <input name="email" id="email" value="{{ login_hint }}"></label>
  {% for scope in scopes %}
  <label><input type="checkbox" name="granted" value="{{ scope }}" checked> {{ scope }}</label>
  {% endfor %}
  <button name="decision" value="approve" id="approve">Allow</button>
  <button name="decision" value="deny" id="deny">Cancel</button>
</form>
"""


@dataclass
class OAuthProvider:
    base_url: str
    client_id: str = "connect-test-client.apps.example.com"
    client_secret: str = field(default_factory=lambda: secrets.token_urlsafe(16))
    refresh_tokens: dict[str, Grant] = field(default_factory=dict)
    access_tokens: dict[str, Grant] = field(default_factory=dict)
    codes: dict[str, dict] = field(default_factory=dict)
    authorize_requests: list[dict] = field(default_factory=list)
    revoked: list[str] = field(default_factory=list)
    token_requests: int = 0
    key: RSAKey = field(default_factory=lambda: RSAKey.generate_key(2048, parameters={"kid": "test-key"}))

    @property
    def metadata_url(self) -> str:
        return f"{self.base_url}/.well-known/openid-configuration"

    @property
    def introspection_url(self) -> str:
        return f"{self.base_url}/introspect"

    def issue_refresh_token(self, email: str, scopes: set[str] | None = None) -> str:
        token = "1//" + secrets.token_urlsafe(24)
        self.refresh_tokens[token] = Grant(email, scopes or {"openid", "email", MAIL_SCOPE}, self.client_id)
        return token

    def grant_of(self, email: str) -> list[str]:
        """The live refresh tokens issued for an address."""
        return [t for t, g in self.refresh_tokens.items() if g.email == email and not g.revoked]

    def revoke(self, token: str) -> None:
        self.revoked.append(token)
        grant = self.refresh_tokens.get(token) or self.access_tokens.get(token)
        if grant:
            grant.revoked = True
            for access, other in self.access_tokens.items():
                if other is grant:
                    self.access_tokens[access] = Grant(
                        grant.email, grant.scopes, grant.client_id, revoked=True
                    )

    def app(self) -> Flask:
        app = Flask("test-oauth-provider")

        @app.get("/.well-known/openid-configuration")
        def discovery():
            return jsonify(
                issuer=self.base_url,
                authorization_endpoint=f"{self.base_url}/authorize",
                token_endpoint=f"{self.base_url}/token",
                revocation_endpoint=f"{self.base_url}/revoke",
                introspection_endpoint=self.introspection_url,
                jwks_uri=f"{self.base_url}/jwks",
                response_types_supported=["code"],
                subject_types_supported=["public"],
                id_token_signing_alg_values_supported=["RS256"],
                code_challenge_methods_supported=["S256"],
            )

        @app.get("/jwks")
        def jwks():
            return jsonify(keys=[self.key.as_dict(private=False)])

        @app.get("/authorize")
        def authorize():
            self.authorize_requests.append(dict(request.args))
            if request.args.get("client_id") != self.client_id:
                return "unknown client", 400
            hidden = {k: v for k, v in request.args.items() if k != "login_hint"}
            return render_template_string(
                CONSENT_PAGE,
                hidden=hidden,
                login_hint=request.args.get("login_hint", ""),
                scopes=request.args.get("scope", "").split(),
            )

        @app.post("/authorize")
        def decide():
            back = request.form["redirect_uri"]
            state = request.form.get("state", "")
            if request.form.get("decision") != "approve":
                return redirect(f"{back}?{urlencode({'error': 'access_denied', 'state': state})}")
            code = secrets.token_urlsafe(16)
            self.codes[code] = {
                "email": request.form["email"],
                "scopes": set(request.form.getlist("granted")),
                "nonce": request.form.get("nonce"),
                "challenge": request.form.get("code_challenge"),
                "redirect_uri": back,
            }
            return redirect(f"{back}?{urlencode({'code': code, 'state': state})}")

        @app.post("/token")
        def token():
            self.token_requests += 1
            client_id, client_secret = _client_credentials()
            if (client_id, client_secret) != (self.client_id, self.client_secret):
                return jsonify(error="invalid_client", error_description="unknown client"), 401
            if request.form.get("grant_type") == "authorization_code":
                return self._exchange_code()
            if request.form.get("grant_type") != "refresh_token":
                return jsonify(error="unsupported_grant_type"), 400
            grant = self.refresh_tokens.get(request.form.get("refresh_token", ""))
            if grant is None or grant.revoked:
                return jsonify(
                    error="invalid_grant", error_description="Token has been expired or revoked."
                ), 400
            access = "ya29." + secrets.token_urlsafe(24)
            self.access_tokens[access] = grant
            return jsonify(
                access_token=access, token_type="Bearer", expires_in=3599, scope=" ".join(grant.scopes)
            )

        @app.post("/revoke")
        def revoke():
            self.revoke(request.form.get("token", ""))
            return "", 200

        @app.post("/introspect")
        def introspect():
            grant = self.access_tokens.get(request.form.get("token", ""))
            if grant is None or grant.revoked or MAIL_SCOPE not in grant.scopes:
                return jsonify(active=False)
            return jsonify(active=True, username=grant.email, scope=" ".join(grant.scopes))

        return app

    def _exchange_code(self):
        issued = self.codes.pop(request.form.get("code", ""), None)
        if issued is None or issued["redirect_uri"] != request.form.get("redirect_uri"):
            return jsonify(error="invalid_grant", error_description="unknown code"), 400
        verifier = request.form.get("code_verifier", "")
        digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
        if digest != issued["challenge"]:
            return jsonify(error="invalid_grant", error_description="PKCE verification failed"), 400
        refresh = "1//" + secrets.token_urlsafe(24)
        grant = Grant(issued["email"], issued["scopes"], self.client_id)
        self.refresh_tokens[refresh] = grant
        access = "ya29." + secrets.token_urlsafe(24)
        self.access_tokens[access] = grant
        now = int(time.time())
        claims = {
            "iss": self.base_url,
            "aud": self.client_id,
            "sub": hashlib.sha1(issued["email"].encode()).hexdigest(),
            "email": issued["email"],
            "email_verified": True,
            "iat": now,
            "exp": now + 3600,
            "nonce": issued["nonce"],
        }
        id_token = jwt.encode({"alg": "RS256", "kid": "test-key"}, claims, self.key)
        return jsonify(
            access_token=access,
            refresh_token=refresh,
            id_token=id_token,
            token_type="Bearer",
            expires_in=3599,
            scope=" ".join(sorted(issued["scopes"])),
        )


def _client_credentials() -> tuple[str | None, str | None]:
    if request.authorization and request.authorization.type == "basic":
        return request.authorization.username, request.authorization.password
    return request.form.get("client_id"), request.form.get("client_secret")


class ServerThread:
    """A WSGI app on a loopback port, in a daemon thread, for the length of a test session."""

    def __init__(self, app, port: int) -> None:
        self.server = make_server("127.0.0.1", port, app, threaded=True)
        # A short poll: stopping the server (each test's receiver) then takes milliseconds.
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)

    def start(self) -> ServerThread:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.thread.join(timeout=10)


def start_provider() -> tuple[OAuthProvider, ServerThread]:
    port = free_port()
    provider = OAuthProvider(f"http://127.0.0.1:{port}")
    return provider, ServerThread(provider.app(), port).start()
