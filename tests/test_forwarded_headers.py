"""Forged X-Forwarded-* headers are believed only from the configured proxies, under gunicorn."""

from __future__ import annotations

import pytest
import requests

from tests.servers import gunicorn


@pytest.mark.parametrize(("proxies", "secure"), [("0", False), ("1", True)])
def test_a_forwarded_https_claim_counts_only_behind_a_trusted_proxy(tmp_path, proxies, secure):
    environment = {
        "CONNECT_ENV": "production",
        "SECRET_KEY": "forwarded-test-key",
        "CONNECT_DATABASE": str(tmp_path / "connect.sqlite3"),
        "CONTEXTIO_CONSUMER_SECRET": "unused",
        "CONNECT_TRUSTED_PROXIES": proxies,
    }
    with gunicorn(environment, tmp_path / "gunicorn.log", workers=1, threads=2) as base_url:
        answer = requests.get(
            f"{base_url}/connect/",
            headers={"X-Forwarded-Proto": "https", "X-Forwarded-Host": "evil.example"},
            allow_redirects=False,
            timeout=10,
        )
    cookie = answer.headers.get("Set-Cookie", "")
    assert "session=" in cookie
    assert ("Secure" in cookie) is secure
