"""Access tokens for XOAUTH2 logins, from each source's refresh token.

The token endpoint comes from the provider's discovery document (Google's is
``GOOGLE_SERVER_METADATA_URL``); tokens are kept in memory until shortly before they expire.
A refusal from the provider (``invalid_grant``: revoked, expired, password changed) is the
source's credentials failing, not the connection.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests
from authlib.integrations.base_client.errors import OAuthError
from authlib.integrations.requests_client import OAuth2Session

from ..domain.sources import SourceStatus
from .imap import SyncFailure

MICROSOFT_METADATA_URL = "https://login.microsoftonline.com/common/v2.0/.well-known/openid-configuration"
EXPIRY_MARGIN = 60


@dataclass(frozen=True)
class OAuthClient:
    provider_type: str
    client_id: str
    client_secret: str


class AccessTokens:
    def __init__(self, metadata_urls: dict[str, str], clock: Callable[[], float] = time.time) -> None:
        self.metadata_urls = metadata_urls
        self.clock = clock
        self._tokens: dict[tuple[str, str], tuple[str, float]] = {}
        self._endpoints: dict[str, str] = {}
        self._lock = threading.Lock()

    def access_token(self, client: OAuthClient, refresh_token: str) -> str:
        key = (client.client_id, refresh_token)
        with self._lock:
            cached = self._tokens.get(key)
        if cached and cached[1] > self.clock():
            return cached[0]
        endpoint = self._token_endpoint(client.provider_type)
        session = OAuth2Session(client.client_id, client.client_secret)
        try:
            token = session.refresh_token(endpoint, refresh_token=refresh_token, timeout=20)
        except OAuthError as error:
            raise SyncFailure(
                SourceStatus.INVALID_CREDENTIALS,
                "the OAuth provider refused the refresh token "
                f"({error.error}: {error.description or 'no detail'})",
            ) from None
        except (requests.RequestException, ValueError) as error:
            raise SyncFailure(
                SourceStatus.CONNECTION_IMPOSSIBLE, f"the OAuth provider's token endpoint failed: {error}"
            ) from None
        finally:
            session.close()
        if "access_token" not in token:
            raise SyncFailure(SourceStatus.INVALID_CREDENTIALS, "the OAuth provider returned no access token")
        expires_in = float(token.get("expires_in") or 3600)
        with self._lock:
            self._tokens[key] = (token["access_token"], self.clock() + expires_in - EXPIRY_MARGIN)
        return token["access_token"]

    def forget(self, client: OAuthClient, refresh_token: str) -> None:
        """Drop a cached token the server refused, so the next login fetches a fresh one."""
        with self._lock:
            self._tokens.pop((client.client_id, refresh_token), None)

    def _token_endpoint(self, provider_type: str) -> str:
        if provider_type in self._endpoints:
            return self._endpoints[provider_type]
        url = self.metadata_urls.get(provider_type)
        if url is None:
            raise SyncFailure(
                SourceStatus.INVALID_CREDENTIALS, f"no OAuth provider of type {provider_type} is known"
            )
        try:
            answer = requests.get(url, timeout=20)
            answer.raise_for_status()
            endpoint = answer.json()["token_endpoint"]
        except (requests.RequestException, ValueError, KeyError, TypeError) as error:
            raise SyncFailure(
                SourceStatus.CONNECTION_IMPOSSIBLE,
                f"the OAuth provider's discovery document at {url} failed: {error}",
            ) from None
        self._endpoints[provider_type] = endpoint
        return endpoint
