"""The sync engine against its ceilings, on a real Dovecot on 127.0.0.1 (SQLite).

- ``initial_sync`` (msg/s) of a mailbox of mixed messages (2–20 KB, multipart, some with
  attachments), and ``initial_sync_ratio`` against plain imapclient sending the same FETCH items
  in the same UID windows and storing nothing: what the engine's parsing and indexing cost;
- ``initial_sync_at_scale_ratio``: the same sync into an index already holding 100,000
  messages (another account's) against the sync into an empty one;
- ``incremental_nochange_median`` and ``_ratio`` against imapclient's login + LIST + STATUS;
- ``manual_sync_latency_p50``: one new message, ``POST accounts/:id/sync``, then a worker
  (in-process, woken at once) until the message is listed by ``GET …/messages``;
  ``incremental_one_new_commands``: the IMAP commands that sync sends, on a folder of the full
  size and on one a tenth of it (they must be equal);
- ``worker_peak_rss`` of a ``flask worker`` process syncing the full mailbox, and
  ``worker_memory_ratio`` against the same for a tenth of it.

The initial sync, the no-change sync and the manual sync run on PostgreSQL too (``_pg``).
Repetitions interleave the engine and its baseline; medians are compared. ``--quick`` runs
every figure at a tiny size, to check that the script works.
"""

from __future__ import annotations

import argparse
import logging
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import IMAPClient  # noqa: E402

from bench.bench_api_data import indexed_inbox, record  # noqa: E402
from bench.bench_push import start_worker, stop, wait_until  # noqa: E402
from connect import storage  # noqa: E402
from connect.sync.folders import FETCH_ITEMS  # noqa: E402
from connect.sync.imap import tls_context  # noqa: E402
from tests.dovecot import message, start_dovecot  # noqa: E402
from tests.mail_world import MailWorld  # noqa: E402
from tests.oauth_provider import OAuthProvider  # noqa: E402
from tests.postgres import start_postgres  # noqa: E402
from tests.tls import make_certificates  # noqa: E402

BATCH = 200
logging.disable(logging.WARNING)
logging.getLogger("connect").setLevel(logging.WARNING)


def mixed(number: int, rng: random.Random) -> bytes:
    """2–20 KB: a text body, and in two of three messages an attachment of random size."""
    size = rng.randint(1_500, 19_000)
    attachments = (
        []
        if number % 3 == 0
        else [(f"file{number}.bin", "application/octet-stream", rng.randbytes(size * 3 // 4))]
    )
    return message(f"Mixed {number}", sender=f"Person {number % 97} <p{number % 97}@people.example>",
                   attachments=attachments, date=1_700_000_000 + number)  # fmt: skip


def fill(dovecot, user: str, count: int) -> None:
    dovecot.add_user(user, "pw")
    rng = random.Random(count)
    for number in range(count):
        dovecot.deliver(user, mixed(number, rng))


def imapclient_initial(dovecot, user: str) -> float:
    """The ceiling: the engine's FETCH items in its UID windows, nothing stored."""
    started = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=dovecot.imaps_port, ssl=True, ssl_context=tls_context(), timeout=60)
    client.login(user, "pw")
    status = client.folder_status("INBOX", ["UIDNEXT"])
    client.select_folder("INBOX", readonly=True)
    for low in range(1, status[b"UIDNEXT"], BATCH):
        uids = client.search(["UID", f"{low}:{low + BATCH - 1}"])
        if uids:
            client.fetch(uids, FETCH_ITEMS)
    client.logout()
    return time.perf_counter() - started


def imapclient_nochange(dovecot, user: str) -> float:
    started = time.perf_counter()
    client = IMAPClient("127.0.0.1", port=dovecot.imaps_port, ssl=True, ssl_context=tls_context(), timeout=60)
    client.login(user, "pw")
    for _, _, name in client.list_folders():
        client.folder_status(name, ["UIDVALIDITY", "UIDNEXT", "MESSAGES", "HIGHESTMODSEQ", "UNSEEN"])
    client.logout()
    return time.perf_counter() - started


def new_world(root: Path, name: str, dovecot, provider, database: str | None = None) -> MailWorld:
    folder = root / name
    folder.mkdir()
    return MailWorld.create(folder, dovecot, provider, database)


def connect_initial(world: MailWorld, user: str) -> tuple[float, str, str]:
    account_id = world.add_account(user)
    label = world.add_source(account_id, user)
    started = time.perf_counter()
    world.sync()
    elapsed = time.perf_counter() - started
    return elapsed, account_id, label


def prefill(world: MailWorld, count: int) -> None:
    """Another account's ``count`` messages in the index, written as the engine writes them."""
    database = world.database
    account_id = world.add_account("elsewhere@bench.example")
    inbox = indexed_inbox(database, account_id, "elsewhere@bench.example")
    now = int(time.time())
    for low in range(0, count, 2000):
        batch = [record(n, now, f"z{n:024x}") for n in range(low, min(low + 2000, count))]
        storage.index_batch(database, account_id, inbox, batch, {"synced_uid": batch[-1]["uid"]})


class CommandCounter(logging.Handler):
    """Counts the commands imapclient sends (its debug log prints each as ``> b'tag …``)."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.commands: list[str] = []

    def emit(self, entry: logging.LogRecord) -> None:
        text = entry.getMessage()
        if text.startswith("> "):
            self.commands.append(text)


def one_new(world: MailWorld, dovecot, user: str, account_id: str, number: int) -> tuple[float, int]:
    """Seconds from ``POST …/sync`` to the new message listed, and the IMAP commands sent."""
    dovecot.deliver(user, message(f"Just arrived {number}"))
    logging.disable(logging.NOTSET)
    counter = CommandCounter()
    imap_log = logging.getLogger("imapclient")
    imap_log.addHandler(counter)
    imap_log.setLevel(logging.DEBUG)
    imap_log.propagate = False  # the counter sees the commands; nothing prints
    started = time.perf_counter()
    try:
        world.signed("POST", f"/2.0/accounts/{account_id}/sync")
        world.sync()
        listed = world.api(f"accounts/{account_id}/messages", subject=f"Just arrived {number}", limit=1)
    finally:
        elapsed = time.perf_counter() - started
        imap_log.removeHandler(counter)
        imap_log.propagate = True
        logging.disable(logging.WARNING)
    assert len(listed) == 1, "the new message is not listed"
    return elapsed, len(counter.commands)


def worker_rss(world: MailWorld, user: str, count: int, folder: Path) -> int:
    """Peak RSS (KiB) of a ``flask worker`` process that syncs the mailbox from scratch."""
    account_id = world.add_account(user)
    world.add_source(account_id, user)
    process = start_worker(world, folder)
    try:
        query = "SELECT count(*) AS n FROM messages WHERE account_id = :account_id"
        wait_until(
            lambda: world.query(query, account_id=account_id)[0]["n"] >= count, 600, "the worker's sync"
        )
        status = Path(f"/proc/{process.pid}/status").read_text()
        return int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:")))
    finally:
        stop(process)


def initial_syncs(root: Path, name: str, dovecot, provider, user: str, repetitions: int, postgres=None):
    """The engine's initial syncs of the mailbox, each into a new index, interleaved with the
    imapclient ceiling; and the first of those worlds, for the syncs that follow."""
    engine, baseline, worlds = [], [], []
    for repetition in range(repetitions):
        baseline.append(imapclient_initial(dovecot, user))
        database = postgres.new_database() if postgres else None
        world = new_world(root, f"{name}-{repetition}", dovecot, provider, database)
        elapsed, account_id, _ = connect_initial(world, user)
        engine.append(elapsed)
        worlds.append((world, account_id))
    return engine, baseline, worlds[0]


def nochange_syncs(world: MailWorld, dovecot, user: str, account_id: str, count: int):
    engine, baseline = [], []
    for _ in range(count):
        baseline.append(imapclient_nochange(dovecot, user))
        world.signed("POST", f"/2.0/accounts/{account_id}/sync")
        started = time.perf_counter()
        world.sync()
        engine.append(time.perf_counter() - started)
    return engine, baseline


def report(suffix: str, size: int, engine, baseline, nochange, nochange_baseline, latencies) -> None:
    initial, ceiling = statistics.median(engine), statistics.median(baseline)
    print(f"initial_sync{suffix}: {size / initial:.0f} msg/s ({size:,} messages)")
    print(f"imapclient_fetch_only{suffix}: {size / ceiling:.0f} msg/s")
    print(f"initial_sync_ratio{suffix}: {ceiling / initial:.2f}")
    print(f"incremental_nochange_median{suffix}: {statistics.median(nochange) * 1000:.1f} ms")
    print(f"imapclient_login_list_status{suffix}: {statistics.median(nochange_baseline) * 1000:.1f} ms")
    ratio = statistics.median(nochange) / statistics.median(nochange_baseline)
    print(f"incremental_nochange_ratio{suffix}: {ratio:.2f}")
    print(f"manual_sync_latency_p50{suffix}: {statistics.median(latencies) * 1000:.0f} ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="every figure at a tiny size")
    quick = parser.parse_args().quick
    size, scale, repetitions = (200, 1_000, 1) if quick else (10_000, 100_000, 2)
    samples = 2 if quick else 11  # no-change and one-new syncs
    small = size // 10
    root = Path(tempfile.mkdtemp(prefix="connect-bench-sync-"))
    os.chmod(root, 0o755)
    certificates = make_certificates(root / "tls")
    os.environ["SSL_CERT_FILE"] = str(certificates.ca_file)
    dovecot = start_dovecot(root / "dovecot", certificates, "http://127.0.0.1:9/introspect")
    provider = OAuthProvider("http://127.0.0.1:9")
    try:
        user, small_user = "big@bench.example", "small@bench.example"
        fill(dovecot, user, size)
        fill(dovecot, small_user, small)
        imapclient_initial(dovecot, user)  # Dovecot builds its own index once, before any timing
        engine, baseline, (world, account_id) = initial_syncs(
            root, "sqlite", dovecot, provider, user, repetitions
        )
        scaled = new_world(root, "scaled", dovecot, provider)
        prefill(scaled, scale)
        at_scale = connect_initial(scaled, user)[0]
        nochange, nochange_baseline = nochange_syncs(world, dovecot, user, account_id, samples)
        latencies, commands = [], 0
        for number in range(samples):
            latency, commands = one_new(world, dovecot, user, account_id, number)
            latencies.append(latency)
        small_world = new_world(root, "small", dovecot, provider)
        _, small_account, _ = connect_initial(small_world, small_user)
        _, small_commands = one_new(small_world, dovecot, small_user, small_account, 0)
        large_world = new_world(root, "rss-large", dovecot, provider)
        rss_large = worker_rss(large_world, user, size, root / "rss-large")
        small_rss_world = new_world(root, "rss-small", dovecot, provider)
        rss_small = worker_rss(small_rss_world, small_user, small, root / "rss-small")

        report("", size, engine, baseline, nochange, nochange_baseline, latencies)
        scaled_ratio = statistics.median(engine) / at_scale
        print(f"initial_sync_at_scale_ratio: {scaled_ratio:.2f} ({scale:,} indexed before)")
        print(f"incremental_one_new_commands: {commands} ({small_commands} on a folder of {small + 1:,})")
        print(
            f"worker_peak_rss: {rss_large / 1024:.0f} MiB ({rss_small / 1024:.0f} MiB for {small:,} messages)"
        )
        print(f"worker_memory_ratio: {rss_large / rss_small:.2f}")

        postgres = start_postgres()
        try:
            engine, baseline, (world, account_id) = initial_syncs(
                root, "pg", dovecot, provider, user, repetitions, postgres
            )
            nochange, nochange_baseline = nochange_syncs(world, dovecot, user, account_id, samples)
            latencies = [one_new(world, dovecot, user, account_id, 100 + n)[0] for n in range(samples)]
            report("_pg", size, engine, baseline, nochange, nochange_baseline, latencies)
        finally:
            postgres.stop()
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
