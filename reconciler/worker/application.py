"""The Celery app of an :class:`~reconciler.controller.Application`: the bridge from the
declarations to :func:`~reconciler.worker.celeryapp.create_celery_app`.

Settings come from arguments or the environment: ``REDIS_URL`` (work queues and cache),
``CELERY_BROKER_URL`` (defaults to ``REDIS_URL``), ``RECONCILER_PREFIX`` (key prefix, default
``reconciler``), ``RECONCILER_DISPATCH_IN_WORKERS`` (``0`` when ``reconciler dispatch`` runs
as processes of its own), and the Kubernetes connection from in-cluster config or
``KUBECONFIG``.
Per-controller worker settings live in ``Controller(options={...})``: ``max_in_flight``,
``soft_time_limit``, ``time_limit``, ``lease_seconds``, ``rate_limiter``.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Callable
from typing import Any

from celery import Celery

from reconciler import errors, kube, redisconn
from reconciler.controller import Application, Controller
from reconciler.queue import WorkQueue
from reconciler.watch import CacheReader
from reconciler.worker import celeryapp
from reconciler.worker.context import context_builder
from reconciler.worker.execute import ContextFactory

_OPTION_NAMES = frozenset(f.name for f in dataclasses.fields(celeryapp.WorkerOptions))


def worker_options(controller: Controller) -> celeryapp.WorkerOptions:
    """The controller's ``options`` as WorkerOptions; unknown names are refused by name."""
    unknown = sorted(set(controller.options) - _OPTION_NAMES)
    if unknown:
        raise errors.ConfigError(
            f"controller {controller.name!r}: field 'options': unknown {unknown}; "
            f"known: {sorted(_OPTION_NAMES)}"
        )
    return celeryapp.WorkerOptions(**controller.options)


def celery_app(
    application: Application,
    *,
    redis_url: str | None = None,
    broker_url: str | None = None,
    prefix: str | None = None,
    kube_client: Callable[[], kube.KubeClient] = kube.KubeClient.from_env,
    dispatch: bool | None = None,
) -> Celery:
    """The Celery app running ``application``'s controllers (``celery -A module worker``)."""
    redis_url = redis_url or os.environ.get("REDIS_URL", redisconn.DEFAULT_URL)
    broker_url = broker_url or os.environ.get("CELERY_BROKER_URL") or redis_url
    prefix = prefix or os.environ.get("RECONCILER_PREFIX", "reconciler")
    if dispatch is None:
        dispatch = os.environ.get("RECONCILER_DISPATCH_IN_WORKERS", "1") != "0"
    controllers = application.controllers
    options = {c.name: worker_options(c) for c in controllers}

    def build(controller: Any, queue: WorkQueue) -> ContextFactory:
        def reader(client: kube.KubeClient) -> Callable[[str], dict[str, Any] | None]:
            return CacheReader(queue.redis, client.api_client, controller, prefix=prefix).get

        return context_builder(kube_client, reader, controller=controller.name)

    return celeryapp.create_celery_app(
        controllers,
        redis_url=redis_url,
        broker_url=broker_url,
        prefix=prefix,
        options=options,
        context_builder=build,
        dispatch=dispatch,
        main=application.name,
    )
