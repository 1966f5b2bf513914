"""Take the README's screenshot: the dashboard's Overview page on the bundled demo data.

Starts ``streamlit run app.py`` on a local port, opens it in Debian's chromium through Playwright
(never a downloaded browser), waits until the script has finished and a chart is drawn, saves
``docs/images/overview.png`` and stops the server. Shares go to a temporary database, never the
project's.

Usage::

    .venv/bin/python scripts/screenshot.py [--port 8599] [--out docs/images/overview.png]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"]'


def wait_until_healthy(url: str, process: subprocess.Popen, *, timeout: float = 60) -> None:
    """Return once ``url`` answers ``ok``; raise if the server exits or does not answer in time."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"streamlit exited with status {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.read().decode() == "ok":
                    return
        except OSError:
            pass
        time.sleep(0.3)
    raise SystemExit(f"streamlit did not answer {url} within {timeout:.0f} s")


def screenshot(url: str, out: Path, *, width: int = 1280, height: int = 900) -> None:
    """Open ``url`` in chromium and save the visible part of the page as a PNG."""
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(url)
            page.wait_for_selector(IDLE, timeout=120_000)
            page.wait_for_selector(".js-plotly-plot", timeout=60_000)
            page.wait_for_selector(IDLE, timeout=60_000)  # charts drawn, nothing left running
            page.wait_for_timeout(1_000)  # let Plotly finish its layout transitions
            out.parent.mkdir(parents=True, exist_ok=True)
            page.screenshot(path=str(out))
        finally:
            browser.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--port", type=int, default=8599)
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "images" / "overview.png")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as directory:
        environment = os.environ | {"MODEL_COMPARE_SHARE_DB": str(Path(directory) / "shares.sqlite3")}
        command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
                   "--server.address", "127.0.0.1", "--server.port", str(args.port),
                   "--browser.gatherUsageStats", "false", "--server.fileWatcherType", "none"]
        with (Path(directory) / "streamlit.log").open("wb") as log:
            server = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=log, stderr=subprocess.STDOUT)
        try:
            base = f"http://127.0.0.1:{args.port}"
            wait_until_healthy(f"{base}/_stcore/health", server)
            screenshot(base, args.out)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()
                server.wait()
    print(f"wrote {args.out} ({args.out.stat().st_size / 1024:.0f} KB)")


if __name__ == "__main__":
    main()
