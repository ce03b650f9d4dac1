"""Micro-batching: concurrent checks share one onnxruntime call.

:class:`BatchingVerifier` wraps the one loaded verifier. The :class:`~guardrail.Guard` calls its ``acall``
(through ``VerifierScorer.acall``), so extraction, policy and verdicts stay the Guard's own; only the scoring
of many requests' items is gathered: the first waiting job starts a batch, which takes every job already
queued and waits at most ``wait_ms`` for more, up to ``max_batch`` items, then runs in a worker thread (never
on the event loop), and the wait ends as soon as every admitted request has joined. While a batch runs, the
next one gathers. :class:`Admission` bounds the items waiting or
in flight: past ``capacity`` a request is refused at once (429), never queued.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from .._types import CheckInput, Opinion
from ._errors import Overloaded

_POLL_S = 0.0002  # while gathering, look for new jobs this often


class Admission:
    """Counts items admitted and not yet finished; refuses a request that would go past ``capacity``."""

    def __init__(self, capacity: int, retry_after: float) -> None:
        self.capacity, self.retry_after = capacity, retry_after
        self.pending = 0

    def acquire(self, n: int = 1) -> None:
        if self.pending + n > self.capacity and self.pending > 0:  # one oversized request alone is let through
            raise Overloaded(
                f"the check queue is full ({self.pending} of {self.capacity} items pending); retry later",
                retry_after=self.retry_after,
            )
        self.pending += n

    def release(self, n: int = 1) -> None:
        self.pending -= n

    @contextlib.contextmanager
    def reserve(self, n: int = 1) -> Iterator[None]:
        self.acquire(n)
        try:
            yield
        finally:
            self.release(n)


@dataclass(slots=True)
class _Job:
    items: Sequence[CheckInput]
    future: asyncio.Future[list[Opinion]]
    queued_at: float = field(default_factory=time.perf_counter)


class BatchingVerifier:
    """A :class:`~guardrail.Verifier` that gathers concurrent ``acall`` s into batches of ``verifier`` calls.

    ``wait_ms=0`` and ``max_batch=1`` turn gathering off (each job is scored alone, still off the loop).
    ``observe(size, seconds)`` is called after each batch (metrics). ``expected()`` (optional) says how many
    items the server has admitted; when every one of them is already gathered or being scored, nobody else is
    on the way and the batch runs at once (a lone request never pays the wait).
    """

    def __init__(
        self, verifier: Any, *, wait_ms: float = 2.0, max_batch: int = 64, workers: int = 1, observe: Any = None,
        expected: Any = None,
    ) -> None:  # fmt: skip
        self.verifier = verifier
        self.name = getattr(verifier, "name", "verifier")
        self.wait_s = max(0.0, wait_ms) / 1000.0
        self.max_batch = max(1, max_batch)
        self.workers = workers
        self._observe = observe
        self._expected = expected
        self._scoring = 0  # items in the worker threads now
        self._jobs: deque[_Job] = deque()
        self._wakeup: asyncio.Event | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._executor: ThreadPoolExecutor | None = None
        self.queued_items = 0

    def __call__(self, items: Sequence[CheckInput]) -> list[Opinion]:
        return self.verifier(items)  # synchronous callers score directly

    def start(self) -> None:
        """Start the gathering loops on the running event loop (once)."""
        if self._tasks:
            return
        self._wakeup = asyncio.Event()
        self._executor = ThreadPoolExecutor(max_workers=self.workers, thread_name_prefix="guardrail-infer")
        self._tasks = [asyncio.create_task(self._run(), name=f"guardrail-batcher-{i}") for i in range(self.workers)]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        while self._jobs:
            job = self._jobs.popleft()
            if not job.future.done():
                job.future.set_exception(RuntimeError("the server is shutting down"))
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None

    async def acall(self, items: Sequence[CheckInput]) -> list[Opinion]:
        if not items:
            return []
        if not self._tasks:
            self.start()
        assert self._wakeup is not None
        job = _Job(items, asyncio.get_running_loop().create_future())
        self._jobs.append(job)
        self.queued_items += len(items)
        self._wakeup.set()
        return await job.future

    async def _run(self) -> None:
        assert self._wakeup is not None
        loop = asyncio.get_running_loop()
        while True:
            while not self._jobs:
                self._wakeup.clear()
                await self._wakeup.wait()
            batch = self._take()
            deadline = loop.time() + self.wait_s
            # a short wait (at most wait_s) for requests already admitted to join, while any are on their way
            while _count(batch) < self.max_batch and self._others_coming(_count(batch)):
                left = deadline - loop.time()
                if left <= 0:
                    break
                await asyncio.sleep(min(_POLL_S, left))
                batch += self._take(self.max_batch - _count(batch))
            jobs = [job for job in batch if not job.future.done()]  # a timed-out request's job is skipped
            if not jobs:
                continue
            items = [item for job in jobs for item in job.items]
            started = time.perf_counter()
            self._scoring += len(items)
            try:
                opinions = await loop.run_in_executor(self._executor, self.verifier, items)
            except Exception as exc:  # the Guard turns this into verifier_error verdicts (fail open/closed)
                for job in jobs:
                    if not job.future.done():
                        job.future.set_exception(exc)
                continue
            finally:
                self._scoring -= len(items)
                if self._observe is not None:
                    self._observe(len(items), time.perf_counter() - started)
            offset = 0
            for job in jobs:
                n = len(job.items)
                if not job.future.done():
                    job.future.set_result(list(opinions[offset : offset + n]))
                offset += n

    def _others_coming(self, gathered: int) -> bool:
        """Whether requests the server admitted are still on their way to the queue (worth waiting for)."""
        if self._expected is None:
            return True
        return self._expected() > gathered + self.queued_items + self._scoring

    def _take(self, limit: int | None = None) -> list[_Job]:
        """Queued jobs up to ``limit`` items (the first job always, even when it alone is larger)."""
        limit = self.max_batch if limit is None else limit
        if limit <= 0:
            return []
        taken: list[_Job] = []
        count = 0
        while self._jobs and (not taken or count + len(self._jobs[0].items) <= limit):
            job = self._jobs.popleft()
            self.queued_items -= len(job.items)
            taken.append(job)
            count += len(job.items)
            if count >= limit:
                break
        return taken


def _count(jobs: list[_Job]) -> int:
    return sum(len(job.items) for job in jobs)
