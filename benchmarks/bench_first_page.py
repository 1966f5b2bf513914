"""First page in a real browser: from opening the app to the Overview fully drawn, in Debian's Chromium.

Starts ``streamlit run app.py`` on a free local port and drives Chromium through Playwright (never a
downloaded browser). A page counts as drawn when its expected content is in it (the Overview's title,
the verdict box naming the two models, and every Plotly chart of the Overview with its traces drawn)
while Streamlit's script state is ``notRunning``; the condition is checked in the page on every frame.
Every visit is a new tab (a new Streamlit session). The cases:

- **demo, cold**: the first tab of a new browser context (empty HTTP cache) on a server that has just
  started (nothing cached, the engine's modules not imported yet) — target under 6 s;
- **demo, warm**: a second tab: the server's caches and the browser's HTTP cache are warm;
- **upload, cold**: on the Data page (opened first, not timed), from choosing two prediction files
  (100,000 rows, 10 classes with probabilities, written to a temporary directory) through Compare to
  the Overview drawn: the server's first upload (after the demo's visits, as a visitor's);
- **upload, warm**: the same files again in a new tab (the server's caches may hit) — target under 3 s.

The yardstick, measured in the same run: a one-line Streamlit app (``st.title``) on its own server,
opened cold and warm the same way. Ratios are to it: a cold case to its cold load, a warm one to its
warm load. Every run restarts both servers; the table shows the median, min and max over ``--runs``, and
under each case the medians of its parts: until the server's last message arrived (``server``; for an
upload, ``files checked`` and then ``compare on server``), the drawing after it (``browser after``), and
the CPU time the server process and the tab's renderer process used meanwhile (``server CPU``,
``browser CPU``). On a busy machine the wall times stretch; the CPU times show where the work is.

Usage::

    .venv/bin/python benchmarks/bench_first_page.py                    # 3 runs of every case
    .venv/bin/python benchmarks/bench_first_page.py --runs 5 --json first_page.json
    .venv/bin/python benchmarks/bench_first_page.py --runs 1 --cases demo
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from playwright.sync_api import Browser, BrowserContext, Page, sync_playwright

ROOT = Path(__file__).resolve().parent.parent
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-quic"]
IDLE = '[data-testid="stApp"][data-test-script-state="notRunning"][data-test-connection-state="CONNECTED"]'
OVERVIEW_CHARTS = 3  # headline metric intervals, the differences' forest plot, flips
TIMEOUT = 120_000  # ms: a wait that long is a failure, not a slow run
CASES = ("blank", "demo", "upload")
TARGETS = {"demo, cold": 6.0, "upload, warm": 3.0}
"""Seconds, from the issue: a first visit within 6 s, a warm 100,000-row upload to the Overview within 3 s."""


@dataclass(frozen=True)
class Timing:
    """One timed visit: ``seconds`` from the first action to the page drawn; ``parts`` split it where known."""

    case: str
    seconds: float
    parts: dict[str, float]


# --- data -------------------------------------------------------------------------------------------

def make_files(directory: Path, *, rows: int = 100_000, classes: int = 10, seed: int = 0) -> tuple[Path, Path]:
    """Write a baseline and a better candidate: ``id, label, prediction, prob_0 ... prob_<classes-1>``.

    The candidate's logits favour the true class more, so it is significantly better. Returns the two
    paths (``baseline_<rows>.csv``, ``candidate_<rows>.csv``); the model names are the file stems.
    """
    directory.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(seed)
    y_true = rng.integers(0, classes, rows)
    paths = directory / f"baseline_{rows}.csv", directory / f"candidate_{rows}.csv"
    for path, strength in zip(paths, (1.0, 1.3), strict=True):
        logits = rng.normal(size=(rows, classes))
        logits[np.arange(rows), y_true] += strength
        y_score = np.exp(logits)
        y_score /= y_score.sum(axis=1, keepdims=True)
        frame = pd.DataFrame({"id": np.arange(rows), "label": y_true, "prediction": y_score.argmax(axis=1)})
        for label in range(classes):
            frame[f"prob_{label}"] = y_score[:, label]
        frame.to_csv(path, index=False, float_format="%.6f")
    return paths


# --- server -----------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Server:
    """A running ``streamlit run``: its address and process id."""

    url: str
    pid: int

    def cpu_seconds(self) -> float:
        """CPU time (user and system, all threads) the server has used so far; NaN without Linux's ``/proc``."""
        try:
            fields = Path(f"/proc/{self.pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            return float("nan")
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime and stime, in ticks


def free_port() -> int:
    """A free TCP port on the loopback address."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@contextmanager
def streamlit_server(script: Path, directory: Path) -> Iterator[Server]:
    """Run ``streamlit run script`` (in the project's directory, so with its config) until the block ends.

    Shares go to a database in ``directory``, never the project's; the log is ``directory/<script>.log``.
    """
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    log = directory / f"{script.stem}.log"
    command = [sys.executable, "-m", "streamlit", "run", str(script), "--server.headless", "true",
               "--server.address", "127.0.0.1", "--server.port", str(port), "--browser.gatherUsageStats", "false",
               "--server.fileWatcherType", "none"]
    environment = os.environ | {"MODEL_COMPARE_SHARE_DB": str(directory / "shares.sqlite3")}
    with log.open("ab") as output:
        process = subprocess.Popen(command, cwd=ROOT, env=environment, stdout=output, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"streamlit did not start:\n{log.read_text()}")
            try:
                with urllib.request.urlopen(f"{url}/_stcore/health", timeout=2) as response:
                    if response.read().decode() == "ok":
                        break
            except OSError:
                time.sleep(0.1)
        yield Server(url, process.pid)
    finally:
        process.terminate()
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def blank_app(directory: Path) -> Path:
    """A one-line Streamlit app: the yardstick for Streamlit's own cost of a page."""
    path = directory / "blank.py"
    path.write_text('import streamlit as st\n\nst.title("Blank")\n', encoding="utf-8")
    return path


# --- what "drawn" means -----------------------------------------------------------------------------

# Keeps, in the page, the time of the last WebSocket message from the server (a script run ends with one).
RECORD_LAST_MESSAGE = """
window.__lastMessage = performance.now();
window.WebSocket = class extends window.WebSocket {
    constructor(...args) {
        super(...args);
        this.addEventListener("message", () => { window.__lastMessage = performance.now(); });
    }
};
"""
TITLE_SHOWN = """title => [...document.querySelectorAll('[data-testid="stMain"] h1')]
    .some(heading => heading.textContent.includes(title))"""
FILES_CHECKED = """names => {
    const text = document.querySelector('[data-testid="stMain"]')?.textContent ?? "";
    return names.every(name => text.includes("Model name for " + name));
}"""
OVERVIEW_DRAWN = """([baseline, candidate, charts]) => {
    const main = document.querySelector('[data-testid="stMain"]');
    if (!main || ![...main.querySelectorAll("h1")].some(heading => heading.textContent.includes("Overview"))) return false;
    const verdict = [...main.querySelectorAll('[data-testid="stAlertContainer"]')].some(alert =>
        alert.textContent.includes(candidate) && alert.textContent.includes(baseline)
        && /significantly|no significant|cannot be compared|has no value/.test(alert.textContent));
    const plots = [...main.querySelectorAll(".js-plotly-plot")];  // each with its traces drawn, not just a frame
    return verdict && plots.length === charts && plots.every(plot => plot.querySelector(".main-svg .cartesianlayer g.trace"));
}"""


def wait_drawn(page: Page, condition: str, argument: object) -> float:
    """Wait until ``condition(argument)`` (JavaScript) holds and Streamlit's script is idle, checked on every frame.

    Returns the seconds between the server's last message and that moment: the browser's share of the wait.
    """
    handle = page.wait_for_function(f"""([idle, argument]) => {{
        const drawn = ({condition})(argument) && document.querySelector(idle) !== null;
        return drawn && {{after: (performance.now() - window.__lastMessage) / 1000}};
    }}""", arg=[IDLE, argument], polling="raf", timeout=TIMEOUT)
    return float(handle.json_value()["after"])


def title_drawn(page: Page, title: str) -> float:
    """The page's title is shown and the script has finished."""
    return wait_drawn(page, TITLE_SHOWN, title)


def overview_drawn(page: Page, *, baseline: str, candidate: str) -> float:
    """The Overview of ``candidate`` against ``baseline``: its verdict box and every chart drawn, and idle."""
    return wait_drawn(page, OVERVIEW_DRAWN, [baseline, candidate, OVERVIEW_CHARTS])


# --- timed visits -----------------------------------------------------------------------------------

@contextmanager
def browser_context(browser: Browser) -> Iterator[BrowserContext]:
    """A new browser context (an empty HTTP cache) whose pages record the server's messages."""
    context = browser.new_context(viewport={"width": 1280, "height": 1800})
    context.add_init_script(RECORD_LAST_MESSAGE)
    try:
        yield context
    finally:
        context.close()


class Meter:
    """Reads, together, the wall clock, the server's CPU time and the CPU time of a tab's renderer process.

    On a busy machine the wall times stretch; the CPU times say how much work each side did.
    """

    def __init__(self, page: Page, server: Server) -> None:
        self.server = server
        self.devtools = page.context.new_cdp_session(page)
        self.devtools.send("Performance.enable")

    def read(self) -> tuple[float, float, float]:
        """``(wall, server CPU, browser CPU)`` in seconds, each from its own origin: subtract two readings."""
        metrics = self.devtools.send("Performance.getMetrics")["metrics"]
        browser = next((metric["value"] for metric in metrics if metric["name"] == "ProcessTime"), float("nan"))
        return time.perf_counter(), self.server.cpu_seconds(), browser


def visit(context: BrowserContext, server: Server, drawn: Callable[[Page], float]) -> tuple[float, dict[str, float]]:
    """Seconds from opening the app in a new tab (a new Streamlit session) to ``drawn(page)``, and its parts:
    until the server's last message arrived (``server``), the drawing after it (``browser after``), and the
    CPU time used meanwhile by the server and by the tab's renderer (``server CPU``, ``browser CPU``)."""
    page = context.new_page()
    try:
        meter = Meter(page, server)
        start, server_start, browser_start = meter.read()
        page.goto(server.url, timeout=TIMEOUT)
        after = drawn(page)
        end, server_end, browser_end = meter.read()
    finally:
        page.close()
    seconds = end - start
    return seconds, {"server": seconds - after, "browser after": after, "server CPU": server_end - server_start,
                     "browser CPU": browser_end - browser_start}


def upload(context: BrowserContext, server: Server, files: Sequence[Path]) -> tuple[float, dict[str, float]]:
    """Open the Data page in a new tab (not timed), then time choosing ``files`` -> their checks shown -> Compare
    -> Overview drawn.

    Returns the seconds in all, and its parts: until the files' checks are shown (``files checked``), from
    Compare until the server's last message (``compare on server``), the drawing after it (``browser after``),
    and the CPU time used in all by the server and by the tab's renderer (``server CPU``, ``browser CPU``).
    """
    page = context.new_page()
    try:
        page.goto(f"{server.url}/data", timeout=TIMEOUT)
        title_drawn(page, "Data")
        meter = Meter(page, server)
        start, server_start, browser_start = meter.read()
        page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files([str(path) for path in files],
                                                                          timeout=TIMEOUT)
        wait_drawn(page, FILES_CHECKED, [path.name for path in files])
        checked = time.perf_counter()
        page.get_by_role("button", name="Compare", exact=True).click(timeout=TIMEOUT)
        after = overview_drawn(page, baseline=files[0].stem, candidate=files[1].stem)
        end, server_end, browser_end = meter.read()
    finally:
        page.close()
    return end - start, {"files checked": checked - start, "compare on server": end - checked - after,
                         "browser after": after, "server CPU": server_end - server_start,
                         "browser CPU": browser_end - browser_start}


def run_once(browser: Browser, directory: Path, files: Sequence[Path], cases: Sequence[str]) -> list[Timing]:
    """One run of every case: the yardstick's server, then the app's, each started afresh and visited from a
    new browser context (the cold visit is its first tab, later visits are new tabs sharing its HTTP cache)."""
    timings = []
    if "blank" in cases:
        with streamlit_server(blank_app(directory), directory) as server, browser_context(browser) as context:
            for warmth in ("cold", "warm"):
                seconds, parts = visit(context, server, lambda page: title_drawn(page, "Blank"))
                timings.append(Timing(f"blank, {warmth}", seconds, parts))
    if "demo" in cases or "upload" in cases:
        with streamlit_server(ROOT / "app.py", directory) as server, browser_context(browser) as context:
            for warmth in ("cold", "warm") if "demo" in cases else ():  # the uploads follow, as a visitor's do
                seconds, parts = visit(context, server, lambda page: overview_drawn(page, baseline="base",
                                                                                    candidate="finetuned"))
                timings.append(Timing(f"demo, {warmth}", seconds, parts))
            if "upload" in cases:
                for warmth in ("cold", "warm"):
                    seconds, parts = upload(context, server, files)
                    timings.append(Timing(f"upload, {warmth}", seconds, parts))
    return timings


# --- report -----------------------------------------------------------------------------------------

def summarise(timings: Sequence[Timing]) -> dict[str, dict[str, float]]:
    """Median, min and max of each case (and of each of its parts) over the runs."""
    by_case: dict[str, list[Timing]] = {}
    for timing in timings:
        by_case.setdefault(timing.case, []).append(timing)
    summary = {}
    for case, runs in by_case.items():
        seconds = [run.seconds for run in runs]
        row = {"median": statistics.median(seconds), "min": min(seconds), "max": max(seconds), "runs": len(runs)}
        for part in runs[0].parts:
            row[f"median {part}"] = statistics.median(run.parts[part] for run in runs)
        summary[case] = row
    return summary


def print_table(summary: dict[str, dict[str, float]], *, runs: int, rows: int) -> None:
    """The table: each case's median/min/max, its ratio to the yardstick and whether it meets its target."""
    print(f"\n{'case':<16} {'median':>7} {'min':>7} {'max':>7}  {'ratio':>6}  target")
    for case, row in summary.items():
        warmth = case.rsplit(", ", 1)[-1]
        yardstick = summary.get(f"blank, {warmth}")
        ratio = f"{row['median'] / yardstick['median']:5.1f}x" if yardstick and not case.startswith("blank") else ""
        target = TARGETS.get(case)
        verdict = "" if target is None else f"< {target:.0f} s: {'met' if row['median'] < target else 'MISSED'}"
        print(f"{case:<16} {row['median']:6.2f}s {row['min']:6.2f}s {row['max']:6.2f}s  {ratio:>6}  {verdict}")
        parts = {key.removeprefix("median "): value for key, value in row.items() if key.startswith("median ")}
        if parts:
            print(" " * 18 + ", ".join(f"{part} {value:.2f}s" for part, value in parts.items()))
    print(f"\nseconds over {runs} run(s); upload: {rows:,} rows per file; ratio: a cold case to the blank page's "
          "cold load, a warm one to its warm load")


def main(argv: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Run the benchmark; print the table and return the summary (also written to ``--json``)."""
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs of every case, each on freshly started servers")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of each uploaded file")
    parser.add_argument("--classes", type=int, default=10)
    parser.add_argument("--cases", nargs="+", choices=CASES, default=list(CASES))
    parser.add_argument("--json", type=Path, help="also write the summary and every timing to this file")
    args = parser.parse_args(argv)
    if not Path(CHROMIUM).exists():
        raise SystemExit(f"{CHROMIUM} is missing: apt-get install -y chromium (never `playwright install`)")

    timings: list[Timing] = []
    with tempfile.TemporaryDirectory(prefix="bench_first_page_") as temporary, sync_playwright() as playwright:
        directory = Path(temporary)
        files = make_files(directory / "data", rows=args.rows, classes=args.classes) if "upload" in args.cases else ()
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        try:
            for run in range(args.runs):
                this_run = run_once(browser, directory, files, args.cases)
                print(f"run {run + 1}/{args.runs}: " + ", ".join(f"{t.case} {t.seconds:.2f}s" for t in this_run),
                      flush=True)
                timings += this_run
        finally:
            browser.close()
    summary = summarise(timings)
    print_table(summary, runs=args.runs, rows=args.rows)
    if args.json:
        document = {"rows": args.rows, "classes": args.classes, "runs": args.runs, "targets": TARGETS,
                    "summary": summary, "timings": [asdict(timing) for timing in timings]}
        args.json.write_text(json.dumps(document, indent=2) + "\n", encoding="utf-8")
    return summary


if __name__ == "__main__":
    main()
