"""Prometheus metrics of one app (its own registry, so several apps in one process do not collide)."""

from __future__ import annotations

from typing import Any

from .._types import Verdict, reason_code

_LATENCY_BUCKETS = (0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2, 0.5, 1.0, 2.0, 5.0, 10.0, 30.0)
_BATCH_BUCKETS = (1, 2, 4, 8, 16, 32, 64, 128, 256)


class Metrics:
    """Counters, histograms and gauges of ``guardrail serve``; :meth:`render` gives the text format."""

    def __init__(self) -> None:
        from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram

        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.requests = Counter(
            "guardrail_http_requests", "HTTP requests by route and status", ["route", "status"], registry=r
        )
        self.request_seconds = Histogram(
            "guardrail_http_request_seconds", "HTTP request latency by route", ["route"],
            buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.verdicts = Counter("guardrail_verdicts", "verdicts by action and route", ["action", "route"], registry=r)
        self.check_seconds = Histogram(
            "guardrail_check_seconds", "time to a verdict (queue, batching and scoring)", ["route"],
            buckets=_LATENCY_BUCKETS, registry=r,
        )  # fmt: skip
        self.batch_size = Histogram(
            "guardrail_batch_size", "items per verifier call (micro-batches)", buckets=_BATCH_BUCKETS, registry=r
        )
        self.batch_seconds = Histogram(
            "guardrail_batch_seconds", "verifier time per micro-batch", buckets=_LATENCY_BUCKETS, registry=r
        )
        self.queue_depth = Gauge("guardrail_queue_depth", "items admitted and not yet checked", registry=r)
        self.judge_escalations = Counter(
            "guardrail_judge_escalations", "verdicts the judge was asked about", registry=r
        )
        self.judge_failures = Counter("guardrail_judge_failures", "judge escalations that failed", registry=r)
        self.upstream_errors = Counter(
            "guardrail_upstream_errors", "upstream failures by provider and kind", ["provider", "kind"], registry=r
        )
        self.rejected = Counter("guardrail_rejected", "requests refused, by reason", ["reason"], registry=r)

    def observe_batch(self, size: int, seconds: float) -> None:
        self.batch_size.observe(size)
        self.batch_seconds.observe(seconds)

    def observe_verdict(self, verdict: Verdict, route: str) -> None:
        self.verdicts.labels(action=verdict.action.value, route=route).inc()
        judged = verdict.opinions[1:]  # the cascade records the primary's opinion, then the judge's when asked
        if judged:
            self.judge_escalations.inc()
            codes = {reason_code(reason) for reason in verdict.reasons}
            if "judge_unavailable" in codes or any(o.error or o.consistency is None for o in judged):
                self.judge_failures.inc()

    def render(self) -> tuple[bytes, str]:
        from prometheus_client import CONTENT_TYPE_LATEST, generate_latest

        return generate_latest(self.registry), CONTENT_TYPE_LATEST

    def set_queue_depth(self, value: Any) -> None:
        self.queue_depth.set_function(value)
