"""One task run against a real Redis queue: the lease check, the outcome, the release."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

import pytest
from kubernetes.client.exceptions import ApiException
from redis import Redis

from reconciler.queue import Lease, WorkQueue
from reconciler.reconcile import ReconcileFunc, Request, Result, TerminalError
from reconciler.worker.execute import Execution, execute
from reconciler.worker.heartbeat import Heartbeats

HEARTBEATS = Heartbeats()


def run(queue: WorkQueue, lease: Lease, reconcile: ReconcileFunc,
        make_context: Callable[[Request], object] = lambda req: None) -> Execution:
    return execute(queue, lease, reconcile, make_context, controller="c", heartbeats=HEARTBEATS)


@pytest.fixture
def queue(real_redis: Redis, key_prefix: str) -> WorkQueue:
    return WorkQueue(real_redis, "exec", prefix=key_prefix, lease_seconds=5)


def leased(queue: WorkQueue, key: str = "ns/a"):  # type: ignore[no-untyped-def]
    queue.add(key)
    lease = queue.get(timeout=1)
    assert lease is not None
    return lease


pytestmark = pytest.mark.integration


def test_success_forgets_and_releases(queue: WorkQueue) -> None:
    """A reconcile that returns None is a success: backoff reset, lease released."""
    seen: list[tuple[object, Request]] = []
    lease = leased(queue)
    queue.add_rate_limited("ns/a")
    done = run(queue, lease, lambda ctx, req: seen.append((ctx, req)),
               lambda req: f"ctx for {req}")
    assert done.outcome is not None and done.outcome.label == "success" and done.released
    assert seen == [("ctx for ns/a", Request("ns", "a"))]
    assert queue.num_requeues("ns/a") == 0 and queue.stats().leased == 0


def test_exception_requeues_with_backoff(queue: WorkQueue) -> None:
    """A reconcile that raises is requeued after the key's backoff."""
    def boom(ctx: object, req: Request) -> None:
        raise RuntimeError("boom")

    done = run(queue, leased(queue), boom)
    assert done.outcome is not None and done.outcome.label == "error"
    assert queue.num_requeues("ns/a") == 1 and queue.stats().delayed == 1


def test_terminal_error_is_not_requeued(queue: WorkQueue) -> None:
    """A TerminalError ends the key's retries."""
    def invalid(ctx: object, req: Request) -> None:
        raise TerminalError("spec.replicas must be >= 0")

    done = run(queue, leased(queue), invalid)
    assert done.outcome is not None and done.outcome.terminal
    assert queue.stats().pending == 0 and queue.stats().leased == 0


def test_requeue_after_schedules_the_next_run(queue: WorkQueue) -> None:
    """Result(requeue_after=60) puts the key in the delayed set for a minute."""
    done = run(queue, leased(queue), lambda ctx, req: Result(requeue_after=60))
    assert done.outcome is not None and done.outcome.label == "requeue_after"
    delayed_until = queue.inspect("ns/a").delayed_until
    assert delayed_until is not None


def test_stale_lease_skips_the_run(queue: WorkQueue) -> None:
    """A redelivered task whose lease was given away does not call reconcile."""
    lease = leased(queue)
    assert queue.done(lease)
    called = threading.Event()
    done = run(queue, lease, lambda ctx, req: called.set())
    assert done.outcome is None and not called.is_set()


def test_conflicts_are_logged_quietly(queue: WorkQueue, caplog: pytest.LogCaptureFixture) -> None:
    """A 409 from the API server is retried and logged at INFO without a traceback."""
    def conflict(ctx: object, req: Request) -> None:
        raise ApiException(status=409, reason="Conflict: the object has been modified")

    with caplog.at_level(logging.INFO, logger="reconciler.worker"):
        run(queue, leased(queue), conflict)
    records = [r for r in caplog.records if "conflict" in r.getMessage()]
    assert records and records[0].levelno == logging.INFO and records[0].exc_info is None
    assert queue.num_requeues("ns/a") == 1


def test_heartbeat_keeps_a_long_run_leased(real_redis: Redis, key_prefix: str) -> None:
    """A run longer than the lease keeps its key: no other getter can take it meanwhile."""
    queue = WorkQueue(real_redis, "long", prefix=key_prefix, lease_seconds=0.3)
    lease = leased(queue)
    other = WorkQueue(real_redis, "long", prefix=key_prefix, lease_seconds=0.3)
    stolen: list[object] = []

    def slow(ctx: object, req: Request) -> None:
        queue.add("ns/a")  # make sure a steal would find the key ready if the lease lapsed
        stolen.append(other.get(timeout=1.0))  # waits over three lease durations

    done = run(queue, lease, slow)
    assert stolen == [None], "the key was leased to another holder during the run"
    assert done.released
