"""The receiver under gunicorn (several processes, several threads) with concurrent retries."""

from __future__ import annotations

import json
import random
import uuid
from concurrent.futures import ThreadPoolExecutor

import requests

from connect import storage
from tests.conftest import CONSUMER_SECRET, signed_delivery
from tests.servers import gunicorn

SENDERS = 8
REQUESTS_PER_SENDER = 50
DUPLICATE_SHARE = 0.2


def test_concurrent_deliveries_with_retries_are_each_recorded_once(tmp_path):
    database = tmp_path / "connect.sqlite3"
    environment = {
        "CONNECT_ENV": "production",
        "SECRET_KEY": "gunicorn-test-key",
        "CONNECT_DATABASE": str(database),
        "CONTEXTIO_CONSUMER_SECRET": CONSUMER_SECRET,
    }
    total = SENDERS * REQUESTS_PER_SENDER
    unique = [signed_delivery(token=uuid.uuid4().hex) for _ in range(int(total * (1 - DUPLICATE_SHARE)))]
    rng = random.Random(4)
    deliveries = unique + [rng.choice(unique) for _ in range(total - len(unique))]
    rng.shuffle(deliveries)
    batches = [deliveries[i::SENDERS] for i in range(SENDERS)]

    with gunicorn(environment, tmp_path / "gunicorn.log") as base_url:

        def send(batch):
            answers = []
            with requests.Session() as session:
                for body, headers in batch:
                    answer = session.post(
                        f"{base_url}/connect/callbacks/sync", data=body, headers=headers, timeout=30
                    )
                    answers.append((answer.status_code, answer.json()["status"]))
            return answers

        with ThreadPoolExecutor(SENDERS) as pool:
            answers = [answer for batch in pool.map(send, batches) for answer in batch]

    assert len(answers) == total
    assert {status for status, _ in answers} == {200}
    assert sum(1 for _, outcome in answers if outcome == "recorded") == len(unique)
    assert sum(1 for _, outcome in answers if outcome == "duplicate") == total - len(unique)
    opened = storage.open_database(str(database))
    rows = storage.completed_syncs(opened)
    opened.close()
    assert sorted(row["token"] for row in rows) == sorted(json.loads(body)["token"] for body, _ in unique)
    assert "Traceback" not in (tmp_path / "gunicorn.log").read_text()
