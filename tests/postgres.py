"""A PostgreSQL server for the tests: a fresh cluster in a temporary folder, on a free loopback
port, started once per session and removed at its end. Each test gets a database of its own."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
import uuid
from dataclasses import dataclass
from pathlib import Path

from connect.storage import Database, upgrade
from tests.servers import free_port

USER = "connect"
TEMPLATE = "connect_template"  # upgraded once; each test's database is a copy


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run scripts/install-system-packages")
    return Path(found[-1]).parent


def _as_postgres(*command: str) -> list[str]:
    return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else list(command)


@dataclass
class Postgres:
    root: Path
    port: int

    @property
    def admin_url(self) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/postgres"

    def url(self, name: str) -> str:
        return f"postgresql+psycopg://{USER}@127.0.0.1:{self.port}/{name}"

    def new_database(self, *, empty: bool = False, name: str | None = None) -> str:
        """A new database, at this release's schema (as after `flask db upgrade`) unless
        ``empty``; its CONNECT_DATABASE URL."""
        name = name or f"t_{uuid.uuid4().hex[:16]}"
        template = ["-T", "template0"] if empty else ["-T", TEMPLATE]
        subprocess.run(
            [
                str(postgres_bin() / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                USER,
                *template,
                name,
            ],
            check=True,
            capture_output=True,
        )
        return self.url(name)

    def stop(self) -> None:
        subprocess.run(
            _as_postgres(
                str(postgres_bin() / "pg_ctl"), "-D", str(self.root / "data"), "-m", "immediate", "stop"
            ),
            capture_output=True,
        )
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> Postgres:
    root = Path(tempfile.mkdtemp(prefix="connect-postgres-"))
    os.chmod(root, 0o755)
    data = root / "data"
    if os.geteuid() == 0:
        shutil.chown(root, "postgres", "postgres")
    port = free_port()
    binaries = postgres_bin()
    subprocess.run(
        _as_postgres(str(binaries / "initdb"), "-D", str(data), "-A", "trust", "-U", USER, "--no-sync"),
        check=True,
        capture_output=True,
    )
    options = f"-p {port} -k {root} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=500"
    subprocess.run(
        _as_postgres(
            str(binaries / "pg_ctl"),
            "-D",
            str(data),
            "-o",
            options,
            "-l",
            str(root / "postgres.log"),
            "-w",
            "start",
        ),
        check=True,
        capture_output=True,
    )
    server = Postgres(root, port)
    database = Database(server.new_database(empty=True, name=TEMPLATE))
    upgrade(database)
    database.close()
    return server
