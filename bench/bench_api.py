"""Sources API throughput, against /healthz measured in the same run.

Every /2.0 request verifies an OAuth 1.0a signature (oauthlib), decrypts the client's secret
and records its nonce; the ratio says what that costs over the cheapest request the app
answers.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from oauthlib.oauth1 import Client  # noqa: E402

from app import create_app  # noqa: E402
from connect import storage  # noqa: E402
from connect.domain import clients  # noqa: E402

REQUESTS = 1000
logging.disable(logging.WARNING)


def rate(send, count: int) -> float:
    started = time.perf_counter()
    for _ in range(count):
        send()
    return count / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {"CONNECT_ENV": "development", "SECRET_KEY": "bench", "CONNECT_DATABASE": f"{folder}/c.sqlite3"}
        )
        with app.app_context():
            keys = clients.create_client(storage.get_db(), app.extensions["connect.vault"], "bench")
        signer = Client(keys.consumer_key, client_secret=keys.consumer_secret)
        http = app.test_client()

        def healthz() -> None:
            assert http.get("/healthz").status_code == 200

        def signed_get() -> None:
            uri, headers, _ = signer.sign("http://localhost/2.0/accounts")
            assert http.get("/2.0/accounts", headers=headers).status_code == 200

        def create_account() -> None:
            body = "email=bench%40example.com"
            uri, headers, body = signer.sign(
                "http://localhost/2.0/accounts",
                http_method="POST",
                body=body,
                headers={"Content-Type": "application/x-www-form-urlencoded"},
            )
            assert http.post("/2.0/accounts", data=body, headers=headers).status_code == 200

        rate(healthz, 100)
        baseline = rate(healthz, REQUESTS)
        reads = rate(signed_get, REQUESTS // 4)  # the list grows below, so read first
        writes = rate(create_account, REQUESTS // 4)
    print(f"api_healthz_rate: {baseline:.0f} req/s")
    print(f"api_signed_get_rate: {reads:.0f} req/s")
    print(f"api_signed_get_ratio: {reads / baseline:.2f}")
    print(f"api_create_account_rate: {writes:.0f} req/s")
    print(f"api_create_account_ratio: {writes / baseline:.2f}")


if __name__ == "__main__":
    main()
