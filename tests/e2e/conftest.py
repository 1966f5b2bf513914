"""Playwright against a real ``streamlit run app.py``: Debian's chromium and a server on a free port."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect

ROOT = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args: dict) -> dict:
    """Debian's chromium (never a downloaded browser); fail, not skip, when it is missing."""
    assert Path(CHROMIUM).exists() or shutil.which("chromium"), (
        "chromium is not installed: apt-get install -y chromium (the browser tests must run, not skip)")
    return {**browser_type_launch_args, "executable_path": CHROMIUM, "args": [
        "--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run", "--disable-quic"]}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict) -> dict:
    """A tall viewport: Streamlit scrolls inside its own container."""
    return {**browser_context_args, "viewport": {"width": 1280, "height": 1800}}


def free_port(address: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((address, 0))
        return int(sock.getsockname()[1])


def _start(port: int, share_db: Path, log: Path, *, address: str = "127.0.0.1",
           environment: dict[str, str] | None = None) -> subprocess.Popen:
    """Start the app on ``address:port`` and wait until its health endpoint answers ``ok``."""
    environment = os.environ | {"MODEL_COMPARE_SHARE_DB": str(share_db)} | (environment or {})
    command = [sys.executable, "-m", "streamlit", "run", "app.py", "--server.headless", "true",
               "--server.address", address, "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    with log.open("ab") as output:  # the child keeps its own copy of the descriptor
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()
        try:
            with urllib.request.urlopen(f"http://{address}:{port}/_stcore/health", timeout=2) as response:
                if response.read().decode() == "ok":
                    return process
        except OSError:
            time.sleep(0.3)
    process.terminate()
    process.wait()
    raise AssertionError(f"streamlit did not start in 60 s:\n{log.read_text()}")


class Server:
    """A running ``streamlit run app.py`` with its own share database; restartable.

    ``address`` is where it listens (a second loopback address stands for a team's network) and
    ``environment`` adds variables such as the public URL or an access token.
    """

    def __init__(self, directory: Path, *, address: str = "127.0.0.1", environment: dict[str, str] | None = None,
                 port: int | None = None) -> None:
        self.directory = directory
        self.address = address
        self.environment = dict(environment or {})
        self.share_db = directory / "shares" / "shares.sqlite3"
        self.port = port or free_port(address)
        self.url = f"http://{address}:{self.port}"
        self.process = self._start()

    def _start(self) -> subprocess.Popen:
        return _start(self.port, self.share_db, self.directory / "server.log", address=self.address,
                      environment=self.environment)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.process = self._start()


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    running = Server(tmp_path_factory.mktemp("server"))
    yield running
    running.stop()


def wait_idle(page: Page, timeout: float = 60_000) -> None:
    """Wait until the script has finished its run and the app is connected."""
    page.wait_for_selector(IDLE, timeout=timeout)


def open_app(page: Page, url: str, timeout: float = 90_000) -> None:
    """Open a URL of the app and wait for its first run to finish."""
    page.goto(url)
    # Before its first run the app is briefly idle too: wait for a page title, then for the run to end.
    expect(page.get_by_test_id("stMain").locator("h1").first).to_be_visible(timeout=timeout)
    wait_idle(page, timeout)
