"""The callback receiver under gunicorn against its ceiling, loaded by wrk.

Two gunicorn configurations (``-w 2 --threads 8`` gthread, and ``-w 2`` sync workers), each
serving first a Flask route that reads the same request and answers the same way doing nothing
else (``bench/hello_app.py``), then Connect's receiver, under 64 connections of wrk posting
valid signed callbacks, each with its own token (``bench/load/presigned.lua``), each on
its own connection as behind nginx (HTTP/1.0 upstream). The gthread configuration runs again
on PostgreSQL (lines ending ``_pg``). Repetitions interleave the two servers and the medians
are compared, so the ratios hold on a busy machine. ``--quick`` runs a second of gthread on
each engine, to check that the script works.
"""

from __future__ import annotations

import argparse
import contextlib
import statistics
import sys
import tempfile
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.load.wrk import Load, write_requests, wrk  # noqa: E402
from connect import storage  # noqa: E402
from connect.callbacks.signing import sign_callback  # noqa: E402
from tests.postgres import start_postgres  # noqa: E402
from tests.servers import gunicorn  # noqa: E402

SECRET = "bench-consumer-secret"
CONNECTIONS = 64
CONFIGURATIONS = {
    "gthread": {"threads": 8, "worker_class": "gthread"},
    "sync": {"threads": 1, "worker_class": "sync"},
}


def signed_requests(path: Path, count: int) -> None:
    """``count`` deliveries, each its own token."""
    now = int(time.time())

    def delivery(index: int):
        body, headers = sign_callback(
            SECRET, account_id="acct", source_label="label", timestamp=now,
            token=uuid.uuid4().hex, webhook_id=f"msg_{index}", signed_at=now,
        )  # fmt: skip
        return "POST", "/connect/callbacks/sync", body.decode(), headers

    write_requests(path, (delivery(index) for index in range(count)))


def measure(
    folder: Path, name: str, options: dict, seconds: float, repetitions: int, database: str
) -> tuple[Load, Load, int]:
    """Median loads of the ceiling and of the receiver, and how many callbacks were recorded."""
    environment = {
        "CONNECT_ENV": "production",
        "SECRET_KEY": "bench",
        "CONNECT_DATABASE": database,
        "CONTEXTIO_CONSUMER_SECRET": SECRET,
    }
    hello, receiver = [], []
    for repetition in range(repetitions):
        requests = folder / f"{name}-{repetition}.tsv"
        signed_requests(requests, int(seconds * 12_000) if seconds > 1 else 4000)  # none sent twice
        arguments = ("presigned.lua", (str(requests), "2"))
        for application, results in (("bench.hello_app:app", hello), ("app:create_app()", receiver)):
            with gunicorn(environment, folder / f"{name}.log", workers=2, application=application,
                          keep_alive=0, **options) as base_url:  # fmt: skip
                url = f"{base_url}/connect/callbacks/sync"
                results.append(
                    wrk(
                        url,
                        connections=CONNECTIONS,
                        seconds=seconds,
                        script=arguments[0],
                        script_args=arguments[1],
                    )
                )
    opened = storage.open_database(database)
    recorded = len(storage.completed_syncs(opened))
    opened.close()
    return _median(hello), _median(receiver), recorded


def _median(loads: list[Load]) -> Load:
    return Load(
        rate=statistics.median(load.rate for load in loads),
        p50_ms=statistics.median(load.p50_ms for load in loads),
        p99_ms=statistics.median(load.p99_ms for load in loads),
        requests=sum(load.requests for load in loads),
        errors=sum(load.errors for load in loads),
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "--quick", action="store_true", help="one short run of gthread on each engine, for a smoke test"
    )
    quick = parser.parse_args().quick
    seconds, repetitions = (1, 1) if quick else (5, 2)
    postgres = start_postgres()
    try:
        with tempfile.TemporaryDirectory() as temporary:
            folder = Path(temporary)
            runs = [
                (name, options, str(folder / f"{name}.sqlite3"), "")
                for name, options in CONFIGURATIONS.items()
                if not quick or name == "gthread"
            ]
            runs.append(("gthread", CONFIGURATIONS["gthread"], postgres.new_database(), "_pg"))
            for name, options, database, engine in runs:
                hello, receiver, recorded = measure(
                    folder, name + engine, options, seconds, repetitions, database
                )
                report(("" if name == "gthread" else "_sync_workers") + engine, hello, receiver, recorded)
    finally:
        postgres.stop()


def report(suffix: str, hello: Load, receiver: Load, recorded: int) -> None:
    print(f"hello_world_throughput{suffix}: {hello.rate:.0f} req/s (p99 {hello.p99_ms:.1f} ms)")
    print(f"receiver_throughput{suffix}: {receiver.rate:.0f} req/s")
    print(f"receiver_throughput_ratio{suffix}: {receiver.rate / hello.rate:.2f}")
    print(f"receiver_p99{suffix}: {receiver.p99_ms:.1f} ms")
    print(f"receiver_p99_ratio{suffix}: {receiver.p99_ms / hello.p99_ms:.2f}")
    if receiver.errors or recorded < receiver.requests:
        print(
            f"receiver_errors{suffix}: {receiver.errors} failed, {recorded} of {receiver.requests} recorded"
        )


if __name__ == "__main__":
    with contextlib.suppress(KeyboardInterrupt):
        main()
