"""A Redis server for the tests: on a free loopback port, nothing saved, stopped at the end."""

from __future__ import annotations

import subprocess
import time
from dataclasses import dataclass

import redis

from tests.servers import free_port


@dataclass
class RedisServer:
    process: subprocess.Popen
    port: int

    def url(self, number: int = 0) -> str:
        return f"redis://127.0.0.1:{self.port}/{number}"

    def client(self, number: int = 0) -> redis.Redis:
        return redis.Redis(host="127.0.0.1", port=self.port, db=number)

    def stop(self) -> None:
        self.process.terminate()
        self.process.wait(timeout=10)


def start_redis() -> RedisServer:
    port = free_port()
    process = subprocess.Popen(
        ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    server = RedisServer(process, port)
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            if server.client().ping():
                return server
        except redis.ConnectionError:
            time.sleep(0.05)
    process.kill()
    raise RuntimeError("redis-server did not start")
