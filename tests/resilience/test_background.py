"""The per-process background thread and the batches on it (question cache counters and
offers): the caller never waits for the write, items are merged and flushed together, a
reader waits only for what was queued before it asked, and nothing wedges on a failure."""

import threading
from collections.abc import Iterator

import pytest

from resilience.background import BackgroundWorker, Batch
from tests.waiting import wait_for


@pytest.fixture
def worker() -> Iterator[BackgroundWorker]:
    worker = BackgroundWorker("test-background")
    yield worker
    assert worker.drain(10), "a test left a job blocked"


def test_batch__merges_by_key_and_flushes_once_without_the_caller_waiting(
    worker: BackgroundWorker,
) -> None:
    release = threading.Event()
    flushed: list[dict[str, int]] = []

    def flush(items: dict[str, int]) -> None:
        assert release.wait(10)
        flushed.append(items)

    batch: Batch[str, int] = Batch(worker, flush, delay=0.05, merge=lambda a, b: a + b)
    for key in ["hits", "misses", "hits", "hits"]:
        assert batch.add(key, 1)  # returns at once although the flush is blocked
    assert flushed == []

    release.set()
    assert batch.drain(10)
    assert flushed == [{"hits": 3, "misses": 1}]


def test_batch__without_merge_the_first_item_of_a_key_stays(worker: BackgroundWorker) -> None:
    flushed: list[dict[str, str]] = []
    batch: Batch[str, str] = Batch(worker, flushed.append, delay=0.01)
    batch.add("q", "first")
    batch.add("q", "second")
    assert batch.drain(10)
    assert flushed == [{"q": "first"}]


def test_batch__beyond_max_items_new_keys_are_dropped_not_waited_for(
    worker: BackgroundWorker, caplog: pytest.LogCaptureFixture
) -> None:
    busy = threading.Event()
    worker.submit(busy.wait, timeout=10)  # the thread is busy: nothing is flushed meanwhile
    flushed: list[dict[int, int]] = []
    batch: Batch[int, int] = Batch(worker, flushed.append, delay=0.0, max_items=2)

    assert batch.add(1, 1)
    assert batch.add(2, 2)
    assert batch.add(1, 5), "a key already pending is not a new item"
    assert not batch.add(99, 99)
    assert "2 items pending, dropping one" in caplog.text

    busy.set()
    assert batch.drain(10)
    assert flushed == [{1: 1, 2: 2}]


def test_batch__a_failing_flush_is_logged_and_the_next_batch_still_lands(
    worker: BackgroundWorker, caplog: pytest.LogCaptureFixture
) -> None:
    flushed: list[dict[str, int]] = []

    def flush(items: dict[str, int]) -> None:
        if "bad" in items:
            raise RuntimeError("store down")
        flushed.append(items)

    batch: Batch[str, int] = Batch(worker, flush, delay=0.0)
    batch.add("bad", 1)
    assert batch.drain(10)
    batch.add("good", 1)
    assert batch.drain(10)

    assert flushed == [{"good": 1}]
    assert "store down" in caplog.text


def test_drain__waits_for_jobs_queued_before_it_not_for_later_ones(
    worker: BackgroundWorker,
) -> None:
    first, later = threading.Event(), threading.Event()
    worker.submit(first.wait, timeout=10)
    assert not worker.drain(0.05), "the first job is still running"

    drained: list[bool] = []
    reader = threading.Thread(target=lambda: drained.append(worker.drain(5)))
    reader.start()
    wait_for(lambda: worker._queue.qsize() >= 2, 10, "the reader's marker behind the stale one")
    worker.submit(later.wait, timeout=30)  # queued after the reader asked
    first.set()
    reader.join(10)

    assert drained == [True], "the reader did not wait for the job queued after it"
    later.set()


def test_drain__in_a_process_that_never_submitted_starts_no_thread() -> None:
    idle = BackgroundWorker("test-idle")
    assert idle.drain(5)
    assert not any(thread.name == "test-idle" for thread in threading.enumerate())
