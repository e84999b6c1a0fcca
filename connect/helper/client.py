"""A client for the sources API, as the connect helper (or any Python app) uses it.

Requests are signed OAuth 1.0a two-legged (Authlib), parameters form-encoded as Context.IO's
clients send them. Every failure — an error answer, an unreachable server, a non-JSON reply —
becomes one exception carrying the HTTP status and the server's message.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import requests
from authlib.integrations.requests_client import OAuth1Session
from requests.adapters import BaseAdapter


class ContextIOError(Exception):
    """The API refused or could not be reached; ``status`` is 0 when no answer came."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(f"{status}: {message}" if status else message)
        self.status = status
        self.message = message


def _form(parameters: Mapping[str, Any]) -> dict[str, str]:
    form = {}
    for name, value in parameters.items():
        if value is None:
            continue
        form[name] = str(int(value)) if isinstance(value, bool) else str(value)
    return form


class SourcesClient:
    def __init__(
        self,
        base_url: str,
        consumer_key: str,
        consumer_secret: str,
        *,
        timeout: float = 30,
        transport: BaseAdapter | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout
        self._session = OAuth1Session(consumer_key, consumer_secret, signature_type="HEADER")
        if transport is not None:  # e.g. connect.helper.wsgi_transport.WSGIAdapter: no socket
            self._session.mount(self.base_url + "/", transport)

    def close(self) -> None:
        self._session.close()

    def request(self, method: str, path: str, parameters: Mapping[str, Any] | None = None) -> Any:
        """One signed call; ``path`` is relative to the base URL (``accounts/<id>``)."""
        url = f"{self.base_url}/{path.lstrip('/')}"
        form = _form(parameters or {})
        try:
            if method == "POST":
                answer = self._session.post(url, data=form, timeout=self.timeout, allow_redirects=False)
            else:
                answer = self._session.request(
                    method, url, params=form, timeout=self.timeout, allow_redirects=False
                )
        except requests.RequestException as error:
            raise ContextIOError(
                0, f"the sources API at {self.base_url} cannot be reached: {error}"
            ) from None
        try:
            body = answer.json()
        except ValueError:
            body = None
        if not 200 <= answer.status_code < 300:
            message = body.get("value") if isinstance(body, dict) else None
            raise ContextIOError(answer.status_code, message or answer.reason or "request failed")
        if body is None:
            raise ContextIOError(
                answer.status_code, "the sources API answered with something other than JSON"
            )
        return body

    # accounts

    def create_account(self, email: str, **parameters: Any) -> dict[str, Any]:
        """Create an account; with source parameters (``server``, ``password`` …) its first source too."""
        return self.request("POST", "accounts", {"email": email, **parameters})

    def list_accounts(self, **filters: Any) -> list[dict[str, Any]]:
        return self.request("GET", "accounts", filters)

    def get_account(self, account_id: str) -> dict[str, Any]:
        return self.request("GET", f"accounts/{quote(account_id, safe='')}")

    def update_account(self, account_id: str, **parameters: Any) -> dict[str, Any]:
        return self.request("POST", f"accounts/{quote(account_id, safe='')}", parameters)

    def delete_account(self, account_id: str) -> dict[str, Any]:
        return self.request("DELETE", f"accounts/{quote(account_id, safe='')}")

    # sources

    def add_source(self, account_id: str, **parameters: Any) -> dict[str, Any]:
        return self.request("POST", f"accounts/{quote(account_id, safe='')}/sources", parameters)

    def list_sources(self, account_id: str, **filters: Any) -> list[dict[str, Any]]:
        return self.request("GET", f"accounts/{quote(account_id, safe='')}/sources", filters)

    def get_source(self, account_id: str, label: str) -> dict[str, Any]:
        return self.request("GET", self._source_path(account_id, label))

    def update_source(self, account_id: str, label: str, **parameters: Any) -> dict[str, Any]:
        return self.request("POST", self._source_path(account_id, label), parameters)

    def delete_source(self, account_id: str, label: str) -> dict[str, Any]:
        return self.request("DELETE", self._source_path(account_id, label))

    def sync_status(self, account_id: str, label: str | None = None) -> dict[str, Any]:
        return self.request("GET", self._sync_path(account_id, label))

    def sync(self, account_id: str, label: str | None = None) -> dict[str, Any]:
        return self.request("POST", self._sync_path(account_id, label))

    # oauth providers

    def add_oauth_provider(self, type: str, consumer_key: str, consumer_secret: str) -> dict[str, Any]:
        return self.request(
            "POST",
            "oauth_providers",
            {
                "type": type,
                "provider_consumer_key": consumer_key,
                "provider_consumer_secret": consumer_secret,
            },
        )

    def list_oauth_providers(self) -> list[dict[str, Any]]:
        return self.request("GET", "oauth_providers")

    def delete_oauth_provider(self, consumer_key: str) -> dict[str, Any]:
        return self.request("DELETE", f"oauth_providers/{quote(consumer_key, safe='')}")

    # connect tokens

    def create_connect_token(
        self, callback_url: str, account_id: str | None = None, label: str | None = None, **parameters: Any
    ) -> dict[str, Any]:
        return self.request(
            "POST", self._tokens_path(account_id, label), {"callback_url": callback_url, **parameters}
        )

    def get_connect_token(
        self, token: str, account_id: str | None = None, label: str | None = None
    ) -> dict[str, Any]:
        return self.request("GET", f"{self._tokens_path(account_id, label)}/{quote(token, safe='')}")

    def list_connect_tokens(
        self, account_id: str | None = None, label: str | None = None
    ) -> list[dict[str, Any]]:
        return self.request("GET", self._tokens_path(account_id, label))

    def delete_connect_token(
        self, token: str, account_id: str | None = None, label: str | None = None
    ) -> dict:
        return self.request("DELETE", f"{self._tokens_path(account_id, label)}/{quote(token, safe='')}")

    def discover(self, email: str) -> dict[str, Any]:
        return self.request("GET", "discovery", {"source_type": "IMAP", "email": email})

    @staticmethod
    def _source_path(account_id: str, label: str) -> str:
        return f"accounts/{quote(account_id, safe='')}/sources/{quote(label, safe='')}"

    def _sync_path(self, account_id: str, label: str | None) -> str:
        base = (
            self._source_path(account_id, label)
            if label is not None
            else f"accounts/{quote(account_id, safe='')}"
        )
        return f"{base}/sync"

    def _tokens_path(self, account_id: str | None, label: str | None) -> str:
        if label is not None:
            return f"{self._source_path(account_id, label)}/connect_tokens"
        if account_id is not None:
            return f"accounts/{quote(account_id, safe='')}/connect_tokens"
        return "connect_tokens"
