"""A Celery application for the worker tests, run by real ``celery worker`` processes.

Its reconcile function records every run in Redis under the test's prefix: a per-key counter
of runs in progress (an overlap is recorded when it exceeds 1) and a log of finished runs.
Special keys: ``*/slow-*`` take a while; ``*/self-change-*`` add themselves to the queue on
their first run (a change arriving during the run); ``*/crash-*`` SIGKILL their own worker
process on the first run; ``*/fail-*`` raise on the first two runs.
"""

from __future__ import annotations

import os
import signal
import time
from dataclasses import dataclass

from reconciler import redisconn
from reconciler.queue import RateLimiter, WorkQueue
from reconciler.reconcile import ReconcileFunc, Request
from reconciler.worker.celeryapp import WorkerOptions, create_celery_app

REDIS_URL = os.environ["SAMPLE_REDIS_URL"]
PREFIX = os.environ["SAMPLE_PREFIX"]
_redis = redisconn.connect(REDIS_URL, check=False)


@dataclass(frozen=True)
class SampleController:
    name: str
    reconcile: ReconcileFunc


def reconcile(ctx: object, request: Request) -> None:
    key = request.key
    active = f"{PREFIX}:test:active:{key}"
    if _redis.incr(active) > 1:
        _redis.sadd(f"{PREFIX}:test:overlaps", key)
    try:
        runs = _redis.hincrby(f"{PREFIX}:test:started", key, 1)
        if request.name.startswith("slow-"):
            time.sleep(0.3)
        if request.name.startswith("self-change-") and runs == 1:
            WorkQueue(_redis, "sample", prefix=PREFIX).add(key)
        if request.name.startswith("crash-") and runs == 1:
            _redis.decr(active)
            os.kill(os.getpid(), signal.SIGKILL)
        if request.name.startswith("fail-") and runs <= 2:
            raise RuntimeError(f"simulated failure {runs} of {key}")
    finally:
        _redis.decr(active)
    _redis.rpush(f"{PREFIX}:test:finished", key)


app = create_celery_app(
    [SampleController("sample", reconcile)],
    redis_url=REDIS_URL,
    prefix=PREFIX,
    options={"sample": WorkerOptions(
        max_in_flight=8, lease_seconds=3, rate_limiter=RateLimiter(base_delay=0.05)
    )},
    dispatch=os.environ.get("SAMPLE_DISPATCH_IN_WORKERS", "1") != "0",
)
