"""``reconciler demo``: the whole system on one machine, with nothing pre-installed.

It starts Redis (``REDIS_URL`` if one answers, else an embedded server), the embedded API
server with the example's CRD, the Procfile's watchers and Celery workers (and Flower with
``--flower``), then creates ``--objects`` custom resources, changes some and deletes some,
shows convergence, and prints a summary. Exit code 0 only when every object converged and no
work is left in the queue; Ctrl-C stops everything cleanly.
"""

from __future__ import annotations

import argparse
import importlib
import math
import os
import signal
import sys
import threading
from typing import Any

from reconciler import errors, redisconn
from reconciler.queue import WorkQueue
from reconciler.testing.demo import DemoSpec, Summary, ensure_namespace, run_demo, warm_up
from reconciler.testing.stack import LocalStack


def register(subparsers: Any) -> None:
    """Add the ``demo`` subcommand."""
    parser = subparsers.add_parser(
        "demo", help="run the whole system locally against a generated workload",
        description=__doc__.split("\n\n")[1] if __doc__ else None,
    )
    parser.add_argument("--app", default="tasks", help="application module (default: tasks)")
    parser.add_argument("--objects", type=int, default=200, help="objects to create (200)")
    parser.add_argument("--updates", type=int, default=None,
                        help="objects to change after creating them (default: 20%%)")
    parser.add_argument("--deletes", type=int, default=None,
                        help="objects to delete (default: 10%%)")
    parser.add_argument("--workers", type=int, default=2, help="Celery worker nodes (2)")
    parser.add_argument("--watchers", type=int, default=1,
                        help="watcher replicas; one leads, the others stand by (1)")
    parser.add_argument("--flower", action="store_true", help="also run Flower on :5555")
    parser.add_argument("--timeout", type=float, default=300.0,
                        help="seconds to wait for convergence (300)")
    parser.set_defaults(func=run)


def _check(args: argparse.Namespace) -> tuple[int, int]:
    if args.objects < 1:
        raise errors.ConfigError(f"--objects must be >= 1, got {args.objects}")
    if args.workers < 1 or args.watchers < 1:
        raise errors.ConfigError("--workers and --watchers must be >= 1")
    updates = args.updates if args.updates is not None else args.objects // 5
    deletes = args.deletes if args.deletes is not None else args.objects // 10
    if not (0 <= updates <= args.objects and 0 <= deletes <= args.objects):
        raise errors.ConfigError("--updates and --deletes must be between 0 and --objects")
    return updates, deletes


def _load(module_name: str) -> tuple[DemoSpec, str]:
    module = importlib.import_module(module_name)
    demo = importlib.import_module(f"{module_name}.demo").demo
    application = module.application
    return demo, application.controllers[0].name


def run(args: argparse.Namespace) -> int:
    """Run the demo; returns the exit code."""
    updates, deletes = _check(args)
    spec, controller = _load(args.app)
    out = sys.stderr
    interrupted = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: interrupted.set())
    with LocalStack(crds=[spec.crd]) as stack:
        # This process reads the example's registry too: point it where the children look.
        os.environ.update(REDIS_URL=stack.redis_url, RECONCILER_PREFIX=stack.prefix)
        for key, value in stack.describe().items():
            print(f"{key:>11}: {value}", file=out)
        assert stack.processes is not None and stack.kube is not None
        stack.processes.start("watcher", count=args.watchers)
        stack.processes.start("worker", count=args.workers)
        if args.flower:
            stack.processes.start("flower")
            print("     flower: http://127.0.0.1:5555", file=out)
        queue = WorkQueue(redisconn.connect(stack.redis_url), controller, prefix=stack.prefix)
        try:
            ensure_namespace(stack.kube, "demo")
            print("waiting for a leading watcher and ready workers (one warm-up object)",
                  file=out)
            warm = warm_up(stack.kube, spec, namespace="demo", interrupted=interrupted)
            print(f"ready after {warm:.1f}s; creating {args.objects}, then changing {updates} "
                  f"and deleting {deletes} {spec.kind} objects", file=out)
            summary = run_demo(
                stack.kube, spec, objects=args.objects, updates=updates, deletes=deletes,
                timeout=args.timeout, queue_stats=lambda: (queue.stats(), queue.results()),
                interrupted=interrupted,
            )
        except TimeoutError as exc:
            print(f"error: {exc}\n{stack.processes.logs()}", file=out)
            return 1
        if interrupted.is_set():
            print("\ninterrupted: stopping every process", file=out)
            return 130
        _report(summary)
        if not summary.ok:
            print(f"not converged: {summary.pending[:20]}", file=out)
            print(stack.processes.logs(), file=out)
        return 0 if summary.ok else 1


def _report(summary: Summary) -> None:
    results = summary.results
    reconciles = sum(results.values())
    retries = results.get("error", 0) + results.get("requeue", 0)
    p50, p99 = summary.percentile(0.50), summary.percentile(0.99)
    queue = summary.queue
    lines = [
        f"objects converged: {summary.converged}/{summary.live} live, "
        f"{summary.gone}/{summary.deleted} deleted and gone",
        f"time to converge:  {summary.seconds:.1f}s",
        f"reconciles:        {reconciles} ({reconciles / summary.seconds:.1f}/s) "
        f"{dict(sorted(results.items()))}",
        "change-to-ready latency: "
        + ("n/a" if math.isnan(p50) else f"p50 {p50 * 1000:.0f} ms, p99 {p99 * 1000:.0f} ms")
        + f" over {len(summary.latencies)} changes",
        f"retries:           {retries}",
    ]
    if queue is not None:
        lines.append(
            f"work queue:        ready {queue.ready}, leased {queue.leased}, dirty "
            f"{queue.dirty}, delayed {queue.delayed} (periodic checks), expired leases "
            f"{queue.expired_leases}"
        )
    lines.append("result:            " + ("OK" if summary.ok else "NOT CONVERGED"))
    print("\n".join(lines))
