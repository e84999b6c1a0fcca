"""Real servers on loopback for the tests that need HTTP to cross a socket."""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from pathlib import Path

import requests

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_until_healthy(url: str, process: subprocess.Popen, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode} before answering {url}")
        with contextlib.suppress(requests.ConnectionError, requests.Timeout):
            if requests.get(url, timeout=5).status_code == 200:
                return
        time.sleep(0.1)
    raise TimeoutError(f"{url} did not answer within {timeout} s")


@contextlib.contextmanager
def gunicorn(
    environment: Mapping[str, str],
    log_path: Path,
    *,
    workers: int = 2,
    threads: int = 4,
    port: int | None = None,
    application: str = "app:create_app()",
    worker_class: str = "gthread",
    keep_alive: int = 0,
) -> Iterator[str]:
    """``gunicorn 'app:create_app()'`` (or another ``application``) on a loopback port (a free one
    by default); yields its base URL.

    Each request gets its own connection (``--keep-alive 0``), as behind the nginx of
    deploy/nginx.conf, which speaks HTTP/1.0 to the app: gthread's kept-alive connections can
    be reset under heavy load as a client reuses them, which no deployment here relies on.
    """
    port = port or free_port()
    command = [
        sys.executable,
        "-m",
        "gunicorn",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        str(workers),
        "--threads",
        str(threads),
        "--graceful-timeout",
        "5",
        "--worker-class",
        worker_class,
        "--keep-alive",
        str(keep_alive),
        application,
    ]
    with open(log_path, "wb") as log:
        process = subprocess.Popen(
            command, cwd=ROOT, env={**os.environ, **environment}, stdout=log, stderr=subprocess.STDOUT
        )
        try:
            base_url = f"http://127.0.0.1:{port}"
            wait_until_healthy(f"{base_url}/healthz", process)
            yield base_url
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=5)
