"""Stopping work whose reader has gone: the check reaches every pool task, and changes no number."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest

import evaluation
from evaluation import Cancelled, Settings, compare, report_to_dict, stop_when
from evaluation._parallel import parallel_map, worker_limit

DEMO = Path(__file__).resolve().parents[2] / "data" / "demo"
SETTINGS = Settings(resamples=2_000, slice_resamples=500)


@pytest.fixture(scope="module")
def demo() -> evaluation.ClassificationData:
    return evaluation.load_classification([DEMO / "base.csv", DEMO / "finetuned.csv"])


def test_a_check_that_never_fires_changes_no_number(demo: evaluation.ClassificationData) -> None:
    plain = report_to_dict(compare(demo, settings=SETTINGS))
    with stop_when(lambda: False):
        checked = report_to_dict(compare(demo, settings=SETTINGS))
    assert checked == plain


def test_a_comparison_stops_soon_after_its_reader_goes(demo: evaluation.ClassificationData) -> None:
    gone = threading.Event()
    calls = []

    def reader_gone() -> bool:
        calls.append(threading.current_thread().name)
        return gone.is_set()

    timer = threading.Timer(0.05, gone.set)
    timer.start()
    started = time.perf_counter()
    with pytest.raises(Cancelled), stop_when(reader_gone):
        compare(demo, settings=Settings(resamples=200_000, slice_resamples=20_000))
    elapsed = time.perf_counter() - started
    timer.cancel()
    full = time.perf_counter()
    compare(demo, settings=Settings(resamples=200_000, slice_resamples=20_000))
    full = time.perf_counter() - full
    assert elapsed < full / 3, (elapsed, full)  # stopped well before the end
    assert len(set(calls)) > 1  # checked on the pool's threads, not only on the caller's


def test_the_check_is_carried_into_nested_pools_and_restored_after() -> None:
    seen: list[str] = []

    def work(item: int) -> int:
        seen.append(threading.current_thread().name)
        return item

    with stop_when(lambda: False), worker_limit(2):
        assert parallel_map(lambda x: parallel_map(work, [x, x + 1]), [0, 10]) == [[0, 1], [10, 11]]
    with stop_when(lambda: True), pytest.raises(Cancelled):
        parallel_map(work, [1, 2, 3])
    assert parallel_map(work, [1]) == [1]  # outside the block nothing is checked
