"""bench/ws_load.py's client processes: each runs one shard (an event loop of candidates,
_ws_load_clients.py) and reports through one queue (`Shards`); `merge` adds up what they return.
"""

import multiprocessing as mp
import queue
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from multiprocessing.process import BaseProcess
from typing import Any

Result = dict[str, Any]


def _shard_main(
    out: "mp.Queue[tuple[str, int, Any]]", index: int, target: Callable[[], Result]
) -> None:
    try:
        out.put(("result", index, target()))
    except BaseException:
        out.put(("failed", index, traceback.format_exc()))


class Shards:
    """Client processes (forked: targets need not pickle) reporting through one queue."""

    def __init__(self) -> None:
        self.ctx = mp.get_context("fork")
        self.queue: mp.Queue[tuple[str, int, Any]] = self.ctx.Queue()
        self.release = self.ctx.Event()
        self.procs: list[BaseProcess] = []

    def start(self, targets: Sequence[Callable[[], Result]]) -> None:
        for i, target in enumerate(targets):
            proc = self.ctx.Process(target=_shard_main, args=(self.queue, i, target), daemon=True)
            proc.start()
            self.procs.append(proc)

    def opened_callback(self, index: int) -> Callable[[int], None]:
        return lambda count: self.queue.put(("opened", index, count))

    def collect(
        self,
        deadline: float,
        tick: Callable[[], None],
        on_message: Callable[[str, int, Any], None] | None = None,
    ) -> list[Result]:
        results: dict[int, Result] = {}
        while len(results) < len(self.procs):
            if time.monotonic() > deadline:
                raise TimeoutError("client processes did not finish in time")
            try:
                kind, index, payload = self.queue.get(timeout=0.25)
            except queue.Empty:
                tick()
                dead = [
                    p for i, p in enumerate(self.procs) if i not in results and not p.is_alive()
                ]
                if dead and self.queue.empty():
                    time.sleep(0.5)
                    if self.queue.empty():
                        raise RuntimeError(
                            f"client process died: exit {dead[0].exitcode}"
                        ) from None
                continue
            if kind == "result":
                results[index] = payload
            elif kind == "failed":
                raise RuntimeError(f"client process {index} failed:\n{payload}")
            elif on_message is not None:
                on_message(kind, index, payload)
            tick()
        for proc in self.procs:
            proc.join(timeout=10)
        return [results[i] for i in range(len(self.procs))]

    def stop(self) -> None:
        for proc in self.procs:
            if proc.is_alive():
                proc.terminate()
            proc.join(timeout=5)


def merge(results: list[Result]) -> Result:
    merged: Result = {"extra": [r["extra"] for r in results], "shards": len(results)}
    for result in results:
        for key, value in result.items():
            if key == "extra":
                continue
            if isinstance(value, list):
                merged.setdefault(key, []).extend(value)
            elif isinstance(value, dict):
                bucket = merged.setdefault(key, Counter())
                bucket.update(value)
            elif key == "wall_s":
                merged[key] = max(merged.get(key, 0.0), value)
            else:
                merged[key] = merged.get(key, 0) + value
    merged["errors"] = dict(merged.get("errors", {}))
    return merged
