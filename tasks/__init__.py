"""The bundled example: the WebApp controller and the Celery app that runs it.

``celery -A tasks worker`` runs reconciles (this module's ``app``);
``reconciler watch --app tasks:application`` runs the leader-elected watcher.
Settings come from the environment: ``REDIS_URL``, ``CELERY_BROKER_URL``, ``KUBECONFIG``,
``RECONCILER_PREFIX``.
"""

from __future__ import annotations

import os
from pathlib import Path

from reconciler.controller import Application, Controller, Resource
from reconciler.watch import generation_changed
from reconciler.worker.application import celery_app
from tasks import webapp

#: The WebApp CustomResourceDefinition, applied by ``reconciler demo`` (and by you).
CRD_PATH = Path(__file__).with_name("webapp-crd.yaml")

application = Application(
    "webapp-demo",
    [
        Controller(
            "webapp",
            Resource("demo.reconciler.dev/v1", "WebApp", predicate=generation_changed()),
            webapp.reconcile,
            owns=(
                Resource("apps/v1", "Deployment"),
                Resource("v1", "Service"),
                Resource("v1", "ConfigMap"),
            ),
            options={
                "max_in_flight": 64,
                "soft_time_limit": 60.0,
                "time_limit": 90.0,
                # How soon a key comes back when its worker dies without a word (tests shorten it).
                "lease_seconds": float(os.environ.get("WEBAPP_LEASE_SECONDS", "30")),
            },
        ),
    ],
)

app = celery_app(application)
