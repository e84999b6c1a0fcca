"""The benchmarks' ``--quick`` modes run and print every figure their issue pins (timings are
never asserted here: only that the scripts still work and say what they measure)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PINNED = {
    "bench_sync.py": (
        "initial_sync", "initial_sync_ratio", "initial_sync_at_scale_ratio", "incremental_nochange_median",
        "incremental_nochange_ratio", "manual_sync_latency_p50", "incremental_one_new_commands",
        "worker_peak_rss", "worker_memory_ratio", "initial_sync_pg", "incremental_nochange_ratio_pg",
    ),
    "bench_receiver.py": (
        "receiver_throughput", "receiver_throughput_ratio", "receiver_p99", "receiver_p99_ratio",
        "receiver_throughput_pg", "receiver_p99_ratio_pg",
    ),
    "bench_api_data.py": ("api_thread_median", "api_contacts_median"),
    "bench_api_messages.py": (
        "api_messages_p50", "api_messages_p99", "api_messages_ratio", "api_cpu_per_page_ms",
        "api_messages_p50_pg", "api_cpu_per_page_ms_pg",
    ),
}  # fmt: skip


@pytest.fixture(scope="module")
def quick_runs() -> dict[str, str]:
    """Every script at once (they share nothing but the machine)."""
    running = {
        script: subprocess.Popen(
            [sys.executable, str(ROOT / "bench" / script), "--quick"],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )  # fmt: skip
        for script in PINNED
    }
    return {script: process.communicate(timeout=240)[0] for script, process in running.items()}


@pytest.mark.slow
@pytest.mark.parametrize("script", sorted(PINNED))
def test_a_benchmark_prints_each_of_its_figures(quick_runs, script):
    printed = {line.split(":", 1)[0] for line in quick_runs[script].splitlines() if ": " in line}
    missing = [name for name in PINNED[script] if name not in printed]
    assert not missing, quick_runs[script]


@pytest.mark.slow
def test_one_new_message_costs_the_same_commands_whatever_the_folders_size(quick_runs):
    [line] = [
        line for line in quick_runs["bench_sync.py"].splitlines() if line.startswith("incremental_one_new")
    ]
    figures = [word.strip("(") for word in line.split() if word.strip("(").isdigit()]
    assert figures[0] == figures[1], line
