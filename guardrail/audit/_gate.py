"""The Claude judge's budget and concurrency, bounded across the whole cluster.

One named Ray actor (:class:`JudgeGate`, no CPU) holds the request budget and the concurrency slots of an
audit; every audit actor's :class:`~guardrail.ClaudeJudge` gets proxies to it in place of its own
:class:`~guardrail.CallBudget` and concurrency limit, so ``--judge-budget`` and ``--judge-concurrency`` hold
for the audit as a whole, whatever the number of actors. A slot whose holder died (a killed actor) is
reclaimed after ``lease_s``. The judge's circuit breaker and cache stay per actor.
"""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from typing import Any

from .._resilience import CallBudget

LEASE_S = 300.0  # a slot held longer than this is taken to belong to a dead actor (the judge's deadline is 60 s)


class JudgeGate:
    """Budget and concurrency slots for one audit. Run as an async Ray actor (see :func:`create_gate`)."""

    def __init__(self, budget: int | None, concurrency: int, lease_s: float = LEASE_S) -> None:
        self.budget, self.concurrency, self.lease_s = budget, concurrency, lease_s
        self.used = 0
        self.peak = 0
        self._held: dict[str, float] = {}
        self._freed: asyncio.Event | None = None

    async def try_spend(self) -> bool:
        if self.budget is not None and self.used >= self.budget:
            return False
        self.used += 1
        return True

    async def remaining(self) -> int | None:
        return None if self.budget is None else max(0, self.budget - self.used)

    async def acquire(self) -> str:
        if self._freed is None:
            self._freed = asyncio.Event()
        while True:
            now = time.monotonic()
            for token in [t for t, since in self._held.items() if now - since > self.lease_s]:
                del self._held[token]
            if len(self._held) < self.concurrency:
                token = uuid.uuid4().hex
                self._held[token] = now
                self.peak = max(self.peak, len(self._held))
                return token
            self._freed.clear()
            try:
                await asyncio.wait_for(self._freed.wait(), timeout=1.0)
            except asyncio.TimeoutError:
                pass

    async def release(self, token: str) -> None:
        self._held.pop(token, None)
        if self._freed is not None:
            self._freed.set()

    async def stats(self) -> dict[str, Any]:
        return {"used": self.used, "budget": self.budget, "held": len(self._held), "peak": self.peak}


def create_gate(name: str, budget: int | None, concurrency: int) -> Any:
    """Start the gate actor ``name`` (kept alive by the returned handle and by its name)."""
    import ray

    actor = ray.remote(num_cpus=0, max_restarts=0)(JudgeGate)
    return actor.options(name=name, max_concurrency=1000).remote(budget, concurrency)


class ClusterBudget(CallBudget):
    """A :class:`CallBudget` whose count lives in the gate (one request budget for every actor)."""

    def __init__(self, gate: Any) -> None:
        super().__init__(None)
        self._gate = gate

    @property
    def remaining(self) -> int | None:  # type: ignore[override]
        import ray

        return ray.get(self._gate.remaining.remote())

    def try_spend(self) -> bool:
        import ray

        return bool(ray.get(self._gate.try_spend.remote()))


class _SyncSlot:
    """``with slot:`` holds one of the gate's slots (per thread: the judge's worker threads share it)."""

    def __init__(self, gate: Any) -> None:
        self._gate = gate
        self._local = threading.local()

    def __enter__(self) -> None:
        import ray

        self._local.token = ray.get(self._gate.acquire.remote())

    def __exit__(self, *exc: object) -> None:
        import ray

        # Waited for: a release still in flight when the task returns leaves the slot held for others (and for
        # a worker that exits right after, until the gate reclaims it minutes later).
        ray.get(self._gate.release.remote(self._local.token))


class _AsyncSlot:
    def __init__(self, gate: Any) -> None:
        self._gate = gate
        self._token: str | None = None

    async def __aenter__(self) -> None:
        self._token = await self._gate.acquire.remote()

    async def __aexit__(self, *exc: object) -> None:
        await self._gate.release.remote(self._token)  # waited for, as in the sync slot


class ClusterLimit:
    """Stands in for the judge's ``ConcurrencyLimit``: the same ``limit`` / ``sync`` / ``for_running_loop()``,
    with the slots held in the gate."""

    def __init__(self, gate: Any, limit: int) -> None:
        self.limit = limit
        self.sync = _SyncSlot(gate)
        self._gate = gate

    def for_running_loop(self) -> _AsyncSlot:
        return _AsyncSlot(self._gate)


def cluster_judge(gate_name: str, concurrency: int, **judge_options: Any) -> Any:
    """A :class:`~guardrail.ClaudeJudge` from the environment whose budget and slots are the gate's."""
    import ray

    from .._judge import ClaudeJudge

    gate = ray.get_actor(gate_name)
    judge = ClaudeJudge.from_env(max_concurrency=concurrency, budget=ClusterBudget(gate), **judge_options)
    judge.limit = ClusterLimit(gate, concurrency)
    return judge
