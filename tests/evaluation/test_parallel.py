"""Stopping work whose reader has gone: the check reaches every pool task, and changes no number."""

from __future__ import annotations

import contextlib
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


def test_cores_are_the_cpus_this_process_may_use(monkeypatch: pytest.MonkeyPatch) -> None:
    import os

    from evaluation._parallel import cores

    monkeypatch.setattr(os, "cpu_count", lambda: 64)
    monkeypatch.setattr(os, "sched_getaffinity", lambda pid: {0, 3}, raising=False)  # taskset -c 0,3
    assert cores() == 2
    monkeypatch.delattr(os, "sched_getaffinity")  # macOS, Windows: the machine's count
    assert cores() == 64
    monkeypatch.setattr(os, "cpu_count", lambda: None)
    assert cores() == 1


def _count_pools(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """Replace the comparison's pool by one that records how many comparison pools are open at each opening."""
    import concurrent.futures

    import evaluation._compare

    lock, open_now, seen = threading.Lock(), [0], []

    class CountedPool(concurrent.futures.ThreadPoolExecutor):
        def __enter__(self) -> CountedPool:
            with lock:
                open_now[0] += 1
                seen.append(open_now[0])
            return self

        def __exit__(self, *exc: object) -> None:
            super().__exit__(*exc)
            with lock:
                open_now[0] -= 1

    monkeypatch.setattr(evaluation._compare, "ThreadPoolExecutor", CountedPool)
    return seen


def test_comparisons_at_once_take_turns_for_the_cores(demo: evaluation.ClassificationData,
                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    from evaluation._parallel import MAX_CONCURRENT_COMPARISONS

    alone = report_to_dict(compare(demo, settings=SETTINGS))
    seen = _count_pools(monkeypatch)
    callers = MAX_CONCURRENT_COMPARISONS + 2  # more dashboard sessions than slots, all pressing Compare at once
    start = threading.Barrier(callers)
    results: list[dict] = []

    def session() -> None:
        start.wait()
        results.append(report_to_dict(compare(demo, settings=SETTINGS)))

    threads = [threading.Thread(target=session) for _ in range(callers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(seen) == callers and max(seen) <= MAX_CONCURRENT_COMPARISONS
    assert results == [alone] * callers  # taking turns changes no number


def test_a_comparison_waiting_for_its_turn_stops_when_its_reader_goes(demo: evaluation.ClassificationData) -> None:
    from evaluation._parallel import MAX_CONCURRENT_COMPARISONS, comparison_slot

    with contextlib.ExitStack() as held:
        for _ in range(MAX_CONCURRENT_COMPARISONS):  # every slot busy with other sessions' comparisons
            held.enter_context(comparison_slot())
        gone = threading.Timer(0.1, lambda: None)
        gone.start()
        started = time.perf_counter()
        with pytest.raises(Cancelled), stop_when(lambda: not gone.is_alive()):
            compare(demo, settings=SETTINGS)
        assert time.perf_counter() - started < 5
