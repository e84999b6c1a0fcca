"""Load from Debian's wrk: a request rate and latency percentiles, from wrk's own report."""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

SCRIPTS = Path(__file__).resolve().parent
_UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0}


@dataclass(frozen=True)
class Load:
    rate: float  # requests per second
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int  # non-2xx answers, socket errors and timeouts


def wrk(url: str, *, connections: int, seconds: float, threads: int = 2, script: str | None = None,
        script_args: tuple[str, ...] = ()) -> Load:  # fmt: skip
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is missing: scripts/install-system-packages --bench installs it")
    command = ["wrk", "--latency", "-t", str(threads), "-c", str(connections), "-d", f"{seconds}s"]
    if script:
        command += ["-s", str(SCRIPTS / script)]
    command += [url]
    if script_args:
        command += ["--", *script_args]
    report = subprocess.run(command, capture_output=True, text=True, check=True, timeout=seconds + 60).stdout
    return Load(
        rate=float(_field(r"Requests/sec:\s+([\d.]+)", report)),
        p50_ms=_latency("50%", report),
        p99_ms=_latency("99%", report),
        requests=int(_field(r"(\d+) requests in", report)),
        errors=_errors(report),
    )


def _field(pattern: str, report: str) -> str:
    found = re.search(pattern, report)
    if found is None:
        raise RuntimeError(f"wrk's report has no {pattern!r}:\n{report}")
    return found.group(1)


def _latency(percentile: str, report: str) -> float:
    found = re.search(rf"^\s+{percentile}\s+([\d.]+)(us|ms|s)\s*$", report, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk's report has no {percentile} latency:\n{report}")
    return float(found.group(1)) * _UNITS[found.group(2)]


def _errors(report: str) -> int:
    total = 0
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", report)
    total += int(non_2xx.group(1)) if non_2xx else 0
    socket = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", report)
    total += sum(int(n) for n in socket.groups()) if socket else 0
    return total


def write_requests(path: Path, requests) -> None:
    """Pre-signed requests, one a line as ``presigned.lua`` reads them: (method, path, body,
    headers) each; no field may hold a tab or a newline."""
    with path.open("w") as lines:
        for method, target, body, headers in requests:
            fields = [method, target, body, *(f"{name}: {value}" for name, value in headers.items())]
            lines.write("\t".join(fields) + "\n")
