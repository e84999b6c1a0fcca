"""Push figures against a real Dovecot on 127.0.0.1, with a `flask worker` process.

- ``push_latency_p50`` / ``_p99``: from an APPEND returning to the webhook POST arriving at a
  receiver on loopback, over 200 messages spread across 20 sources;
- ``idle_baseline_p50``: in the same run, a bare imapclient IDLE session on each of the same
  folders, timing when it hears of the same APPENDs (Dovecot waits about half a second before
  it tells an idling client: the floor);
- ``push_overhead_p50`` / ``_p99``: push minus baseline, message by message;
- ``idle_sources_held`` / ``idle_worker_rss``: one worker process holding IDLE on 500
  sources (established sessions counted from the kernel's socket table), and its memory.
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from imapclient import IMAPClient  # noqa: E402

from tests.dovecot import Dovecot, message, start_dovecot  # noqa: E402
from tests.mail_world import MailWorld  # noqa: E402
from tests.oauth_provider import OAuthProvider  # noqa: E402
from tests.servers import free_port  # noqa: E402
from tests.tls import make_certificates  # noqa: E402

SOURCES, MESSAGES, HELD = 20, 200, 500
SPACING = 0.05  # seconds between two APPENDs (to different sources, round-robin)
logging.disable(logging.WARNING)


class Arrivals:
    """When each subject arrived at the webhook receiver (monotonic seconds)."""

    def __init__(self) -> None:
        self.times: dict[str, float] = {}
        self.lock = threading.Lock()
        arrivals = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                at = time.monotonic()
                subject = json.loads(body)["message_data"]["subject"]
                with arrivals.lock:
                    arrivals.times.setdefault(subject, at)
                self.send_response(200)
                self.send_header("content-length", "0")
                self.end_headers()

            def log_message(self, *args) -> None:
                pass

        self.port = free_port()
        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/webhook"


class BareIdle(threading.Thread):
    """A plain imapclient session idling on a user's INBOX: when it hears of each message."""

    def __init__(self, dovecot: Dovecot, user: str) -> None:
        super().__init__(daemon=True)
        self.client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False, timeout=30)
        self.client.login(user, dovecot.users[user])
        self.start_count = self.client.select_folder("INBOX")[b"EXISTS"]
        self.heard: dict[int, float] = {}  # message count → when it was announced
        self.stopping = threading.Event()

    def run(self) -> None:
        self.client.idle()
        while not self.stopping.is_set():
            for response in self.client.idle_check(timeout=0.5):
                if len(response) > 1 and response[1] == b"EXISTS":
                    self.heard.setdefault(response[0] - self.start_count, time.monotonic())


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def start_worker(world: MailWorld, folder: Path, **environment: str) -> subprocess.Popen:
    log = open(folder / "worker.log", "wb")  # noqa: SIM115 (the process owns it)
    return subprocess.Popen(
        [sys.executable, "-m", "flask", "--app", "app", "worker", "--concurrency", "4"],
        cwd=Path(__file__).resolve().parent.parent,
        env={**world.worker_environment(), **environment},
        stdout=log,
        stderr=subprocess.STDOUT,
    )


def stop(process: subprocess.Popen) -> None:
    process.terminate()
    try:
        process.wait(timeout=30)
    except subprocess.TimeoutExpired:
        process.kill()


def wait_until(condition, seconds: float, what: str) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError(f"{what} not within {seconds:g} s")
        time.sleep(0.1)


def synced_world(folder: Path, dovecot: Dovecot, users: list[str]) -> tuple[MailWorld, list[str]]:
    world = MailWorld.create(folder, dovecot, OAuthProvider("http://127.0.0.1:9"))
    accounts = []
    for user in users:
        account_id = world.add_account(user)
        world.add_source(account_id, user)
        accounts.append(account_id)
    while world.sync()["jobs"]:
        pass
    return world, accounts


def measure_latency(root: Path, dovecot: Dovecot) -> None:
    users = [f"push-{n}@example.com" for n in range(SOURCES)]
    for user in users:
        dovecot.add_user(user, "pw")
    folder = root / "latency"
    folder.mkdir()
    world, accounts = synced_world(folder, dovecot, users)
    arrivals = Arrivals()
    world.signed("POST", "/2.0/webhooks", callback_url=arrivals.url)
    worker = start_worker(world, folder)
    bare = [BareIdle(dovecot, user) for user in users]
    for watcher in bare:
        watcher.start()
    appenders = []
    for user in users:
        client = IMAPClient("127.0.0.1", port=dovecot.imap_port, ssl=False, timeout=30)
        client.login(user, dovecot.users[user])
        appenders.append(client)
    try:
        wait_until(
            lambda: world.query("SELECT count(*) AS n FROM idle_holders")[0]["n"] == SOURCES, 60, "IDLE held"
        )
        time.sleep(2)  # the sessions are established, not only claimed
        appended: dict[str, tuple[float, int, int]] = {}
        for number in range(MESSAGES):
            source = number % SOURCES
            subject = f"push-{number}"
            appenders[source].append("INBOX", message(subject))
            appended[subject] = (time.monotonic(), source, number // SOURCES + 1)
            time.sleep(SPACING)
        wait_until(lambda: len(arrivals.times) >= MESSAGES, 120, "every webhook")
    finally:
        stop(worker)
        for watcher in bare:
            watcher.stopping.set()
        arrivals.server.shutdown()
    push, baseline, overhead = [], [], []
    for subject, (sent, source, count) in appended.items():
        heard = bare[source].heard.get(count)
        push.append((arrivals.times[subject] - sent) * 1000)
        if heard is not None:
            baseline.append((heard - sent) * 1000)
            overhead.append((arrivals.times[subject] - heard) * 1000)
    print(f"push_latency_p50: {statistics.median(push):.0f} ms")
    print(f"push_latency_p99: {percentile(push, 0.99):.0f} ms")
    print(f"idle_baseline_p50: {statistics.median(baseline):.0f} ms")
    print(f"push_overhead_p50: {statistics.median(overhead):.0f} ms")
    print(f"push_overhead_p99: {percentile(overhead, 0.99):.0f} ms")


def established_sessions(pid: int, port: int) -> int:
    """The process's TCP connections to ``port`` that are established, from /proc."""
    inodes = set()
    for entry in os.listdir(f"/proc/{pid}/fd"):
        try:
            target = os.readlink(f"/proc/{pid}/fd/{entry}")
        except OSError:
            continue
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    count = 0
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        with open(table) as lines:
            next(lines)
            for line in lines:
                fields = line.split()
                remote_port = int(fields[2].split(":")[1], 16)
                if fields[3] == "01" and remote_port == port and fields[9] in inodes:
                    count += 1
    return count


def rss_mib(pid: int) -> float:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure_held(root: Path, dovecot: Dovecot, count: int) -> None:
    users = [f"held-{n}@example.com" for n in range(count)]
    for user in users:
        dovecot.add_user(user, "pw")
    folder = root / "held"
    folder.mkdir()
    world, _ = synced_world(folder, dovecot, users)
    worker = start_worker(world, folder)
    try:
        sessions = lambda: established_sessions(worker.pid, dovecot.imaps_port)  # noqa: E731
        wait_until(lambda: sessions() >= count, 180, "every session")
        time.sleep(5)  # settled: nothing connecting, every session idling
        held = sessions()
        rss = rss_mib(worker.pid)
    finally:
        stop(worker)
    print(f"idle_sources_held: {held}")
    print(f"idle_worker_rss: {rss:.0f} MiB")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--quick", action="store_true", help="50 sources held, for a smoke run")
    quick = parser.parse_args().quick
    root = Path(tempfile.mkdtemp(prefix="connect-bench-push-"))
    os.chmod(root, 0o755)
    certificates = make_certificates(root / "tls")
    os.environ["SSL_CERT_FILE"] = str(certificates.ca_file)
    dovecot = start_dovecot(root / "dovecot", certificates, "http://127.0.0.1:9/introspect")
    try:
        measure_latency(root, dovecot)
        measure_held(root, dovecot, 50 if quick else HELD)
    finally:
        dovecot.stop()
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
