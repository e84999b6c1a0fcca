"""OAuth 1.0a two-legged request signing (RFC 5849), as Context.IO's clients sign.

oauthlib computes and compares the signatures; this module supplies what it asks for (the
client's secret, whether a nonce is fresh) and turns a refusal into a message that says which
part of the request was wrong, without revealing whether a consumer key exists.
"""

from __future__ import annotations

import string
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from oauthlib.oauth1 import RequestValidator, SignatureOnlyEndpoint

from .. import storage
from ..domain import clients
from ..domain.crypto import Vault
from ..domain.errors import Unauthorized
from ..storage import Database

TIMESTAMP_TOLERANCE = 300
_TOKEN_CHARACTERS = set(string.ascii_letters + string.digits + "-._~+/=")


@dataclass
class _Validator(RequestValidator):
    database: Database
    vault: Vault
    _secrets: dict[str, str | None] = field(default_factory=dict, init=False)

    enforce_ssl = False  # TLS is the reverse proxy's job; signatures still bind the URL
    allowed_signature_methods = ("HMAC-SHA1", "HMAC-SHA256")
    timestamp_lifetime = TIMESTAMP_TOLERANCE
    dummy_client = "0" * 24

    def __post_init__(self) -> None:
        super().__init__()

    def check_client_key(self, client_key: str) -> bool:
        return 1 <= len(client_key) <= 64 and set(client_key) <= _TOKEN_CHARACTERS

    def check_nonce(self, nonce: str) -> bool:
        return 1 <= len(nonce) <= 128 and set(nonce) <= _TOKEN_CHARACTERS

    def validate_client_key(self, client_key: str, request) -> bool:
        return self._secret(client_key) is not None

    def get_client_secret(self, client_key: str, request) -> str:
        # An unknown key is verified against a throwaway secret, so both take the same time.
        return self._secret(client_key) or "unknown-client-secret"

    def validate_timestamp_and_nonce(self, client_key, timestamp, nonce, request, **_tokens) -> bool:
        # Decided once the signature holds, by recording the nonce (``use_nonce``): one
        # statement that both checks and claims it, so two replays racing can't both pass.
        return True

    def _secret(self, client_key: str) -> str | None:
        """Looked up once per request: oauthlib asks for it twice."""
        if client_key not in self._secrets:
            self._secrets[client_key] = clients.consumer_secret(self.database, self.vault, client_key)
        return self._secrets[client_key]


def authenticate(
    database: Database, vault: Vault, *, method: str, uri: str, body: str | None, headers: Mapping[str, str]
) -> str:
    """The consumer key of a correctly signed, fresh request; Unauthorized otherwise."""
    validator = _Validator(database, vault)
    try:
        valid, request = SignatureOnlyEndpoint(validator).validate_request(uri, method, body, dict(headers))
    except ValueError:
        raise Unauthorized("the OAuth Authorization header is malformed") from None
    if not valid:
        raise Unauthorized(_reason(validator, request))
    if not storage.use_nonce(
        database,
        request.client_key,
        request.nonce,
        int(request.timestamp),
        int(time.time()) - 2 * TIMESTAMP_TOLERANCE,
    ):
        raise Unauthorized("oauth_nonce was already used: sign each request anew")
    return request.client_key


def _reason(validator: _Validator, request) -> str:
    if request is None:
        return "the request is not signed: OAuth 1.0a (HMAC-SHA1) parameters are required"
    missing = [
        name
        for name, value in (
            ("oauth_consumer_key", request.client_key),
            ("oauth_signature", request.signature),
            ("oauth_signature_method", request.signature_method),
            ("oauth_timestamp", request.timestamp),
            ("oauth_nonce", request.nonce),
        )
        if not value
    ]
    if missing:
        return f"the request is not signed: missing {', '.join(missing)}"
    if request.signature_method not in validator.allowed_signature_methods:
        return f"oauth_signature_method must be one of {', '.join(validator.allowed_signature_methods)}"
    try:
        skew = abs(time.time() - int(request.timestamp))
    except ValueError:
        return "oauth_timestamp must be Unix seconds"
    if skew > TIMESTAMP_TOLERANCE:
        return "oauth_timestamp is more than 5 minutes away from the server's clock"
    if not validator.check_client_key(request.client_key) or not validator.check_nonce(request.nonce):
        return "oauth_consumer_key or oauth_nonce has characters that are not allowed"
    return "invalid consumer key or signature"
