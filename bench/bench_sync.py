"""Sync engine figures against a real Dovecot on 127.0.0.1.

- initial sync throughput (messages per second);
- peak Python memory while indexing 4N messages against N (a ratio near 1 means memory
  stays flat as the mailbox grows: the engine streams in UID windows);
- a no-change re-sync against the initial sync of the same mailbox (the STATUS-only check).
"""

from __future__ import annotations

import logging
import os
import shutil
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.dovecot import start_dovecot  # noqa: E402
from tests.mail_world import MailWorld  # noqa: E402
from tests.oauth_provider import OAuthProvider  # noqa: E402
from tests.tls import make_certificates  # noqa: E402

SMALL = 400
LARGE = 4 * SMALL
logging.disable(logging.WARNING)


def timed_sync(world: MailWorld, account_id: str, label: str, *, force: bool = False) -> tuple[float, int]:
    if force:
        world.update_source(account_id, label, force_status_check=1)
    tracemalloc.start()
    started = time.perf_counter()
    world.sync()
    elapsed = time.perf_counter() - started
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return elapsed, peak


def main() -> None:
    root = Path(tempfile.mkdtemp(prefix="connect-bench-"))
    os.chmod(root, 0o755)
    certificates = make_certificates(root / "tls")
    os.environ["SSL_CERT_FILE"] = str(certificates.ca_file)
    dovecot = start_dovecot(root / "dovecot", certificates, "http://127.0.0.1:9/introspect")
    try:
        provider = OAuthProvider("http://127.0.0.1:9")
        results = {}
        for size in (SMALL, LARGE):
            user = f"bench-{size}@example.com"
            dovecot.add_user(user, "pw")
            dovecot.fill(user, size, "Bench message")
            folder = root / f"world-{size}"
            folder.mkdir()
            world = MailWorld.create(folder, dovecot, provider)
            account_id = world.add_account(user)
            label = world.add_source(account_id, user)
            initial, peak = timed_sync(world, account_id, label)
            again, _ = timed_sync(world, account_id, label, force=True)
            indexed = world.query("SELECT count(*) AS n FROM messages")[0]["n"]
            assert indexed == size, f"indexed {indexed} of {size}"
            results[size] = (initial, peak, again)
        small, large = results[SMALL], results[LARGE]
        print(f"sync_initial_rate: {LARGE / large[0]:.0f} msg/s")
        print(f"sync_peak_memory_small: {small[1] / 1024:.0f} KiB")
        print(f"sync_peak_memory_large: {large[1] / 1024:.0f} KiB")
        print(f"sync_peak_memory_ratio: {large[1] / small[1]:.2f}")
        print(f"sync_nochange_time: {large[2] * 1000:.1f} ms")
        print(f"sync_nochange_ratio: {large[2] / large[0]:.3f}")
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
