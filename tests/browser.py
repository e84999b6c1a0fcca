"""Debian's Chromium, driven by Playwright (never a downloaded browser)."""

from __future__ import annotations

import os
from pathlib import Path

CHROMIUM = "/usr/lib/chromium/chromium"  # /usr/bin/chromium is a shell wrapper
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
ARGUMENTS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def launch(playwright):
    return playwright.chromium.launch(executable_path=CHROMIUM, args=ARGUMENTS, headless=True)


def screenshot(page, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def available() -> bool:
    return os.access(CHROMIUM, os.X_OK)
