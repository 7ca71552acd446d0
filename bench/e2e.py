"""End-to-end throughput: the framework's cost per reconcile against a bare Celery task, and
objects converged per second, with 1 and 2 worker processes, measured in one run.

    .venv/bin/python bench/e2e.py [--tasks N] [--objects N]

Part 1, overhead: N no-op reconciles through the whole path (work queue, dispatcher, Celery
task, lease check and heartbeat, atomic finish) against N bare Celery no-op tasks published
by this process, on the same broker and the same worker processes. Ratio = framework seconds
per reconcile / bare seconds per task (goal: at most 1.3).
Part 2, convergence: the WebApp example on the embedded API server (``reconciler demo``'s
workload), objects converged per second.
Uses REDIS_URL, or an embedded server when none answers.
"""

from __future__ import annotations

import contextlib
import os
import statistics
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

from reconciler import redisconn
from reconciler.queue import WorkQueue
from reconciler.testing import redisserver
from reconciler.testing.demo import ensure_namespace, run_demo, warm_up
from reconciler.testing.stack import LocalStack

HERE = Path(__file__).resolve().parent


@contextlib.contextmanager
def worker(url: str, prefix: str, concurrency: int, *, separate_dispatch: bool) -> Iterator[None]:
    """A worker node; with ``separate_dispatch`` it does not dispatch and a ``reconciler
    dispatch`` process does."""
    env = {**os.environ, "BENCH_REDIS_URL": url, "BENCH_PREFIX": prefix,
           "BENCH_NO_DISPATCH": "1" if separate_dispatch else "0",
           "PYTHONPATH": f"{HERE}{os.pathsep}{os.environ.get('PYTHONPATH', '')}"}
    commands = [[sys.executable, "-m", "celery", "-A", "e2e_app", "worker", "-c",
                 str(concurrency), "--without-mingle", "--without-gossip", "-l", "warning"]]
    if separate_dispatch:
        commands.append([sys.executable, "-m", "reconciler", "dispatch", "--app", "e2e_app",
                         "--log-level", "WARNING"])
    procs = [subprocess.Popen(command, cwd=HERE, env=env, stdout=subprocess.DEVNULL,
                              stderr=subprocess.DEVNULL) for command in commands]
    try:
        yield
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(30)


def wait_count(client: object, counter: str, target: int, timeout: float = 300) -> None:
    deadline = time.monotonic() + timeout
    while int(client.get(counter) or 0) < target:  # type: ignore[attr-defined]
        if time.monotonic() > deadline:
            raise TimeoutError(f"only {client.get(counter)} of {target} runs")  # type: ignore[attr-defined]
        time.sleep(0.01)


def overhead(url: str, prefix: str, tasks: int, concurrency: int, *,
             separate_dispatch: bool = False, rounds: int = 3) -> tuple[float, float]:
    """Seconds per bare task and per framework reconcile, with ``concurrency`` processes:
    the medians of ``rounds`` alternating rounds, so noise hits both alike."""
    import e2e_app  # configured by main() through the environment

    client = redisconn.connect(url)
    counter = e2e_app.COUNTER
    queue = WorkQueue(client, "noop", prefix=prefix)
    client.set(counter, 0)
    try:
        with worker(url, prefix, concurrency, separate_dispatch=separate_dispatch):
            e2e_app.bare_noop.delay("warm-up")
            queue.add("warm/up")
            wait_count(client, counter, 2)
            bare, framework = [], []
            for _ in range(rounds):
                client.set(counter, 0)
                started = time.perf_counter()
                with e2e_app.app.producer_or_acquire() as producer:
                    for i in range(tasks):
                        e2e_app.bare_noop.apply_async(args=[f"ns/{i}"], producer=producer)
                wait_count(client, counter, tasks)
                bare.append((time.perf_counter() - started) / tasks)
                client.set(counter, 0)
                started = time.perf_counter()
                queue.add_many([f"ns/obj-{i}" for i in range(tasks)])
                wait_count(client, counter, tasks)
                framework.append((time.perf_counter() - started) / tasks)
    finally:
        client.close()
    return statistics.median(bare), statistics.median(framework)


def convergence(url: str, objects: int, processes: int) -> float:
    """Objects of the WebApp example converged per second with ``processes`` worker
    processes (that many worker nodes of concurrency 1)."""
    from tasks.demo import demo

    with LocalStack(crds=[demo.crd], redis_url=url,
                    extra_env={"WORKER_CONCURRENCY": "1"}) as stack:
        os.environ.update(REDIS_URL=stack.redis_url, RECONCILER_PREFIX=stack.prefix)
        assert stack.processes is not None and stack.kube is not None
        stack.processes.start("watcher")
        stack.processes.start("worker", count=processes)
        ensure_namespace(stack.kube, "demo")
        warm_up(stack.kube, demo, namespace="demo")
        with open(os.devnull, "w") as quiet:
            summary = run_demo(stack.kube, demo, objects=objects, updates=0, deletes=0,
                               out=quiet)
        if summary.converged != objects:
            raise RuntimeError(f"only {summary.converged} of {objects} converged")
        return objects / summary.seconds


def main() -> None:
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--tasks", type=int, default=2000)
    parser.add_argument("--objects", type=int, default=300)
    args = parser.parse_args()
    with redisserver.available() as url:
        prefix = f"bench-{uuid.uuid4().hex[:8]}"
        os.environ.update(BENCH_REDIS_URL=url, BENCH_PREFIX=prefix)
        sys.path.insert(0, str(HERE))
        print(f"redis: {redisconn.redact(url)}, {args.tasks} tasks, {args.objects} objects")
        print(f"{'worker processes':<18}{'dispatch':<10}{'bare task/s':>12}{'reconcile/s':>13}"
              f"{'cost ratio':>12}{'objects/s':>11}")
        try:
            for concurrency in (1, 2):
                for separate in (False, True):
                    bare, framework = overhead(url, prefix, args.tasks, concurrency,
                                               separate_dispatch=separate)
                    objects_per_s = (f"{convergence(url, args.objects, concurrency):,.1f}"
                                     if not separate else "")
                    where = "own proc" if separate else "in worker"
                    print(f"{concurrency:<18}{where:<10}{1 / bare:>12,.0f}"
                          f"{1 / framework:>13,.0f}{framework / bare:>12.2f}"
                          f"{objects_per_s:>11}", flush=True)
        finally:
            cleanup(url, prefix)
        print("cost ratio = framework seconds per no-op reconcile / bare Celery seconds per "
              "no-op task (goal <= 1.3); dispatch: in the worker's main process (default) or "
              "in a `reconciler dispatch` process of its own")
        print("objects/s: the WebApp example on the embedded API server (which shares the "
              "machine's 2 cores)")


def cleanup(url: str, prefix: str) -> None:
    client = redisconn.connect(url)
    redisserver.delete_prefixed(client, prefix)
    client.close()


if __name__ == "__main__":
    main()
