"""The Celery app that bench/e2e.py runs in real worker processes: a bare Celery no-op task
(the baseline) and a reconciler controller whose reconcile is the same no-op. Both count
their runs in Redis, so the benchmark knows when a batch is done."""

from __future__ import annotations

import os
from dataclasses import dataclass

from reconciler import redisconn
from reconciler.reconcile import ReconcileFunc, Request
from reconciler.worker.celeryapp import WorkerOptions, create_celery_app

REDIS_URL = os.environ["BENCH_REDIS_URL"]
PREFIX = os.environ["BENCH_PREFIX"]
COUNTER = f"{PREFIX}:bench:runs"
_redis = redisconn.connect(REDIS_URL, check=False)


@dataclass(frozen=True)
class NoopController:
    name: str
    reconcile: ReconcileFunc


def count_run(ctx: object, request: Request) -> None:
    """The reconcile: do nothing but count."""
    _redis.incr(COUNTER)


app = create_celery_app(
    [NoopController("noop", count_run)],
    redis_url=REDIS_URL,
    prefix=PREFIX,
    options={"noop": WorkerOptions(max_in_flight=64)},
    dispatch=os.environ.get("BENCH_NO_DISPATCH") != "1",
)


@app.task(name="bench.bare_noop", ignore_result=True, acks_late=True)
def bare_noop(key: str) -> None:
    """The baseline: a plain Celery task that only counts."""
    _redis.incr(COUNTER)
