"""The Celery application of a reconciler deployment: one task per controller, named
``reconcile.<controller>`` (so Flower shows which controller and key ran), and a dispatcher per
controller in every worker node.

A worker node's main process runs the dispatchers (a Celery bootstep, one thread per
controller); its pool processes run the tasks. Each pool process opens its own Redis
connection after the fork. Task arguments are JSON: the key and its lease's fencing token.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from celery import Celery, bootsteps

from reconciler import errors, redisconn
from reconciler.dispatch import Dispatcher
from reconciler.queue import Lease, RateLimiter, WorkQueue
from reconciler.reconcile import ReconcileFunc
from reconciler.worker import settings
from reconciler.worker.execute import ContextFactory, execute
from reconciler.worker.heartbeat import Heartbeats

log = logging.getLogger("reconciler.worker")


class ControllerLike(Protocol):
    """What the worker needs of a controller declaration."""

    @property
    def name(self) -> str: ...

    @property
    def reconcile(self) -> ReconcileFunc: ...


@dataclass(frozen=True)
class WorkerOptions:
    """How one controller's reconciles run. Times in seconds."""

    max_in_flight: int = 100
    """Keys of this controller leased at once, across all hosts: the broker never holds more."""
    soft_time_limit: float = settings.DEFAULT_SOFT_TIME_LIMIT
    time_limit: float = settings.DEFAULT_TIME_LIMIT
    lease_seconds: float = 30.0
    rate_limiter: RateLimiter = field(default_factory=RateLimiter)

    def __post_init__(self) -> None:
        if not 0 < self.soft_time_limit < self.time_limit:
            raise errors.ConfigError(
                f"soft_time_limit ({self.soft_time_limit}) must be positive and shorter than "
                f"time_limit ({self.time_limit})"
            )


ContextBuilder = Callable[[ControllerLike, WorkQueue], ContextFactory]
"""Makes, once per pool process and controller, the function that builds a reconcile's context."""


def _no_context(controller: ControllerLike, queue: WorkQueue) -> ContextFactory:
    return lambda request: None


class Runtime:
    """Per-process state of a worker: a Redis client opened after the fork, and the queues."""

    def __init__(
        self,
        controllers: Sequence[ControllerLike],
        *,
        redis_url: str,
        prefix: str,
        options: dict[str, WorkerOptions],
        context_builder: ContextBuilder,
    ) -> None:
        self.controllers = {c.name: c for c in controllers}
        self.redis_url = redis_url
        self.prefix = prefix
        self.options = options
        self.context_builder = context_builder
        self._pid = -1
        self._queues: dict[str, WorkQueue] = {}
        self._contexts: dict[str, ContextFactory] = {}
        self._heartbeats = Heartbeats()
        self._lock = threading.Lock()

    def queue(self, name: str) -> WorkQueue:
        """This process's handle on controller ``name``'s queue."""
        with self._lock:
            if self._pid != os.getpid():  # forked since: never share a connection
                self._pid = os.getpid()
                self._queues.clear()
                self._contexts.clear()
                self._heartbeats = Heartbeats()
            if name not in self._queues:
                opts = self.options[name]
                self._queues[name] = WorkQueue(
                    redisconn.connect(self.redis_url, check=False),
                    name,
                    prefix=self.prefix,
                    lease_seconds=opts.lease_seconds,
                    rate_limiter=opts.rate_limiter,
                )
            return self._queues[name]

    def context_factory(self, name: str) -> ContextFactory:
        """This process's context factory for controller ``name``."""
        queue = self.queue(name)
        with self._lock:
            if name not in self._contexts:
                self._contexts[name] = self.context_builder(self.controllers[name], queue)
            return self._contexts[name]

    def run(self, name: str, key: str, token: int) -> str:
        """The body of task ``reconcile.<name>``; returns the outcome's label."""
        controller = self.controllers[name]
        run = execute(
            self.queue(name),
            Lease(key=key, token=int(token), waited=0.0),
            controller.reconcile,
            self.context_factory(name),
            controller=name,
            heartbeats=self._heartbeats,
        )
        return run.outcome.label if run.outcome else "skipped"


def task_name(controller: str) -> str:
    """The Celery task name of a controller: what Flower shows."""
    return f"reconcile.{controller}"


def create_celery_app(
    controllers: Sequence[ControllerLike],
    *,
    redis_url: str,
    broker_url: str | None = None,
    prefix: str = "reconciler",
    options: dict[str, WorkerOptions] | None = None,
    context_builder: ContextBuilder = _no_context,
    dispatch: bool = True,
    main: str = "reconciler",
) -> Celery:
    """A Celery app that reconciles ``controllers``: ``celery -A <module> worker`` runs it.

    ``broker_url`` defaults to ``redis_url``. With ``dispatch`` (the default) every worker node
    also moves ready keys from the work queues into tasks."""
    names = [c.name for c in controllers]
    if len(set(names)) != len(names):
        raise errors.ConfigError(f"controller names must be unique, got {names}")
    opts = {name: (options or {}).get(name, WorkerOptions()) for name in names}
    longest = max((o.time_limit for o in opts.values()), default=settings.DEFAULT_TIME_LIMIT)
    lease = max((o.lease_seconds for o in opts.values()), default=30.0)
    app = Celery(main)
    app.conf.update(
        settings.celery_settings(
            broker_url=broker_url or redis_url,
            prefix=prefix,
            longest_time_limit=longest,
            lease_seconds=lease,
        )
    )
    runtime = Runtime(
        controllers, redis_url=redis_url, prefix=prefix, options=opts,
        context_builder=context_builder,
    )
    app.reconciler_runtime = runtime
    for name in names:
        _register_task(app, runtime, name, opts[name])
    if dispatch:
        app.steps["worker"].add(_dispatch_step(runtime))
    return app


def _register_task(app: Celery, runtime: Runtime, name: str, opts: WorkerOptions) -> None:
    def reconcile_task(key: str, token: int) -> str:
        return runtime.run(name, key, token)

    reconcile_task.__doc__ = f"Reconcile one object of controller {name!r}."
    app.task(
        name=task_name(name),
        shared=False,  # bound to this app only: another app in the process keeps its own
        acks_late=True,
        reject_on_worker_lost=True,
        ignore_result=True,
        soft_time_limit=opts.soft_time_limit,
        time_limit=opts.time_limit,
    )(reconcile_task)


def celery_publisher(app: Celery, controller: str) -> Callable[[Sequence[Lease]], None]:
    """Publishes one ``reconcile.<controller>`` task per lease through one producer."""
    name = task_name(controller)

    def publish(leases: Sequence[Lease]) -> None:
        with app.producer_or_acquire() as producer:
            for lease in leases:
                app.send_task(name, args=[lease.key, lease.token], producer=producer)

    return publish


def _dispatch_step(runtime: Runtime) -> type[bootsteps.StartStopStep]:
    class DispatchStep(bootsteps.StartStopStep):  # type: ignore[misc]
        """Runs one dispatcher thread per controller in the worker's main process."""

        requires = {"celery.worker.components:Pool"}

        def __init__(self, parent: Any, **kwargs: Any) -> None:
            super().__init__(parent, **kwargs)
            self.stop_event = threading.Event()
            self.threads: list[threading.Thread] = []

        def start(self, parent: Any) -> None:
            for name in runtime.controllers:
                dispatcher = Dispatcher(
                    runtime.queue(name),
                    celery_publisher(parent.app, name),
                    max_in_flight=runtime.options[name].max_in_flight,
                )
                thread = threading.Thread(
                    target=dispatcher.run, args=(self.stop_event,),
                    name=f"dispatch {name}", daemon=True,
                )
                thread.start()
                self.threads.append(thread)
            log.info("dispatching for %s", ", ".join(runtime.controllers))

        def stop(self, parent: Any) -> None:
            self.stop_event.set()
            for thread in self.threads:
                thread.join(timeout=5)

    return DispatchStep
