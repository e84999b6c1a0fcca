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


AXE = Path(__file__).resolve().parent.parent / "node_modules" / "axe-core" / "axe.min.js"


def accessibility_violations(page) -> list[str]:
    """axe-core's findings on the page as it is now, in light and in dark mode: one line each.

    axe runs through the DevTools protocol (``evaluate``), which the pages' CSP doesn't apply to."""
    if not AXE.exists():
        raise RuntimeError(f"{AXE} is missing: `make test` installs it (npm ci)")
    found = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        if not page.evaluate("typeof window.axe !== 'undefined'"):
            page.evaluate(AXE.read_text())
        results = page.evaluate("axe.run(document)")
        # A contrast axe couldn't decide (no background it can see) counts: it is a guess.
        undecided = [r for r in results["incomplete"] if r["id"] == "color-contrast"]
        for violation in results["violations"] + undecided:
            targets = [" ".join(node["target"]) for node in violation["nodes"]][:3]
            found.append(f"{scheme}: {violation['id']} ({violation['impact']}): {', '.join(targets)}")
    page.emulate_media(color_scheme="light")
    return found
