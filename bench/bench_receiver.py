"""Callback receiver throughput, against /healthz measured in the same run.

The ratio says what verifying both signatures and recording a sync cost over the cheapest
request the app answers (one database read), independent of how fast the machine is.
"""

from __future__ import annotations

import logging
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app import create_app  # noqa: E402
from connect.callbacks.signing import sign_callback  # noqa: E402

REQUESTS = 2000
logging.disable(logging.INFO)
SECRET = "bench-consumer-secret"


def rate(send, count: int) -> float:
    started = time.perf_counter()
    for index in range(count):
        send(index)
    return count / (time.perf_counter() - started)


def main() -> None:
    with tempfile.TemporaryDirectory() as folder:
        app = create_app(
            {
                "CONNECT_ENV": "development",
                "SECRET_KEY": "bench",
                "CONNECT_DATABASE": f"{folder}/connect.sqlite3",
                "CONTEXTIO_CONSUMER_SECRET": SECRET,
            }
        )
        client = app.test_client()
        now = int(time.time())
        deliveries = [
            sign_callback(
                SECRET,
                account_id="acct",
                source_label="label",
                timestamp=now,
                token=uuid.uuid4().hex,
                webhook_id=f"msg_{index}",
                signed_at=now,
            )
            for index in range(REQUESTS)
        ]

        def healthz(_index: int) -> None:
            assert client.get("/healthz").status_code == 200

        def callback(index: int) -> None:
            body, headers = deliveries[index]
            assert client.post("/connect/callbacks/sync", data=body, headers=headers).status_code == 200

        def retry(index: int) -> None:
            body, headers = deliveries[index]
            answer = client.post("/connect/callbacks/sync", data=body, headers=headers)
            assert answer.json == {"status": "duplicate"}

        rate(healthz, 100)  # warm up
        baseline = rate(healthz, REQUESTS)
        recorded = rate(callback, REQUESTS)
        retried = rate(retry, REQUESTS)

    print(f"healthz_rate: {baseline:.0f} req/s")
    print(f"callback_recorded_rate: {recorded:.0f} req/s")
    print(f"callback_recorded_ratio: {recorded / baseline:.2f}")
    print(f"callback_retry_rate: {retried:.0f} req/s")
    print(f"callback_retry_ratio: {retried / baseline:.2f}")


if __name__ == "__main__":
    main()
