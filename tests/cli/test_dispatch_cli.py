"""``reconciler dispatch`` moves keys into tasks for workers that do not dispatch themselves."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from redis import Redis

from reconciler.cli import main
from reconciler.queue import WorkQueue
from reconciler.testing.waiting import wait_until

WORKER_APP = Path(__file__).parents[1] / "worker"


@pytest.mark.integration
@pytest.mark.slow
def test_a_dispatch_process_feeds_non_dispatching_workers(
    redis_url: str, real_redis: Redis, key_prefix: str
) -> None:
    """Keys wait while no one dispatches; a dispatch process gets them all reconciled."""
    env = {**os.environ, "SAMPLE_REDIS_URL": redis_url, "SAMPLE_PREFIX": key_prefix,
           "SAMPLE_DISPATCH_IN_WORKERS": "0",
           "PYTHONPATH": f"{WORKER_APP}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    worker = subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "sampleapp", "worker", "-c", "2",
         "--without-mingle", "--without-gossip", "-l", "warning"], cwd=WORKER_APP, env=env)
    dispatcher = None
    try:
        queue = WorkQueue(real_redis, "sample", prefix=key_prefix)
        queue.add_many([f"ns/obj-{i}" for i in range(10)])
        assert queue.get_batch(1, max_leased=8) != []  # nobody else took anything
        dispatcher = subprocess.Popen(
            [sys.executable, "-m", "reconciler", "dispatch", "--app", "sampleapp"],
            cwd=WORKER_APP, env=env)
        finished = f"{key_prefix}:test:finished"
        wait_until(lambda: real_redis.llen(finished) >= 9, timeout=60,
                   what="the dispatch process to feed the workers")
        dispatcher.send_signal(signal.SIGTERM)
        assert dispatcher.wait(15) == 0
    finally:
        for proc in (worker, dispatcher):
            if proc is not None and proc.poll() is None:
                proc.terminate()
                proc.wait(15)


def test_an_app_that_is_not_a_reconciler_celery_app_is_refused(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """--app naming anything else exits 2 with a message naming it."""
    assert main(["dispatch", "--app", "json"]) == 2
    assert "json.app is not a Celery app made by reconciler" in capsys.readouterr().err
