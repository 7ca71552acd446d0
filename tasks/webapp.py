"""The example controller: a WebApp is a Deployment, a Service and a ConfigMap.

Its reconcile shows each part of the controller API once:

* it owns the three objects (controller ownerReferences: deleting the WebApp deletes them);
* it reports a ``Ready`` condition with ``observedGeneration``;
* it posts Events (``Reconciled``, ``InvalidSpec``, ``Unregistered``);
* a finalizer removes the WebApp from an external registry (:mod:`tasks.registry`) before the
  WebApp may be deleted;
* it returns ``requeue_after`` for a periodic check of the registry entry;
* an invalid spec gets a Warning event, ``Ready=False`` and a retry with backoff.

The annotation ``demo.reconciler.dev/simulate-latency: "0.5"`` makes each run wait that long,
standing in for a slow external call (the demo and the tests use it to kill a worker mid-run).

It is level-based and idempotent: every run computes the whole desired state from the spec
and applies it; a run that finds everything in place changes nothing.
"""

from __future__ import annotations

import hashlib
import json
import time
from typing import Any

from reconciler.reconcile import Request, Result
from reconciler.worker.context import Context
from tasks import registry

FINALIZER = "demo.reconciler.dev/registry"
#: Annotation: seconds each reconcile waits, standing in for a slow external call.
SIMULATED_LATENCY = "demo.reconciler.dev/simulate-latency"
PERIODIC_CHECK = 300.0
Obj = dict[str, Any]


class InvalidSpecError(ValueError):
    """The WebApp's spec cannot be realised; retried with backoff until it is edited."""


def validate(spec: Obj) -> list[str]:
    """What is wrong with ``spec``, field by field (empty when it is valid)."""
    problems = []
    if not isinstance(spec.get("image"), str) or not spec.get("image"):
        problems.append("spec.image must be a non-empty string")
    replicas = spec.get("replicas", 1)
    if not isinstance(replicas, int) or replicas < 0:
        problems.append(f"spec.replicas must be an integer >= 0, got {replicas!r}")
    port = spec.get("port", 8080)
    if not isinstance(port, int) or not 1 <= port <= 65535:
        problems.append(f"spec.port must be an integer from 1 to 65535, got {port!r}")
    return problems


def _labels(name: str) -> dict[str, str]:
    return {"app.kubernetes.io/name": name, "app.kubernetes.io/managed-by": "reconciler"}


def config_map(name: str, spec: Obj) -> Obj:
    """The ConfigMap holding the page the web server serves."""
    return {
        "apiVersion": "v1",
        "kind": "ConfigMap",
        "metadata": {"name": name, "labels": _labels(name)},
        "data": {"index.html": spec.get("message", f"Hello from {name}")},
    }


def deployment(name: str, spec: Obj, content: Obj) -> Obj:
    """The Deployment; a hash of the content rolls the pods when the page changes."""
    digest = hashlib.sha256(json.dumps(content["data"], sort_keys=True).encode()).hexdigest()
    port = spec.get("port", 8080)
    return {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": name, "labels": _labels(name)},
        "spec": {
            "replicas": spec.get("replicas", 1),
            "selector": {"matchLabels": _labels(name)},
            "template": {
                "metadata": {
                    "labels": _labels(name),
                    "annotations": {"demo.reconciler.dev/content-hash": digest[:16]},
                },
                "spec": {
                    "containers": [{
                        "name": "web",
                        "image": spec["image"],
                        "ports": [{"containerPort": port, "name": "http"}],
                        "volumeMounts": [{"name": "content", "mountPath": "/srv"}],
                    }],
                    "volumes": [{"name": "content",
                                 "configMap": {"name": content["metadata"]["name"]}}],
                },
            },
        },
    }


def service(name: str, spec: Obj) -> Obj:
    """The Service in front of the pods."""
    port = spec.get("port", 8080)
    return {
        "apiVersion": "v1",
        "kind": "Service",
        "metadata": {"name": name, "labels": _labels(name)},
        "spec": {
            "selector": _labels(name),
            "ports": [{"name": "http", "port": port, "targetPort": port}],
        },
    }


def _ready(webapp: Obj, message: str, url: str) -> bool:
    """Whether the status already says exactly this (then no patch is sent)."""
    status = webapp.get("status") or {}
    generation = webapp["metadata"].get("generation")
    ready = next((c for c in status.get("conditions") or [] if c.get("type") == "Ready"), {})
    return (
        status.get("observedGeneration") == generation
        and ready.get("status") == "True"
        and ready.get("message") == message
        and ready.get("observedGeneration") == generation
        and status.get("url") == url
    )


def reconcile(ctx: Context, request: Request) -> Result | None:
    """Bring one WebApp's owned objects, registry entry and status in line with its spec."""
    webapp = ctx.object
    if webapp is None:
        return None  # deleted: the garbage collector removes what it owned
    if ctx.handle_finalizer(FINALIZER, lambda obj: _cleanup(ctx, obj)):
        return None
    webapp = ctx.object or webapp
    spec = webapp.get("spec") or {}
    problems = validate(spec)
    if problems:
        message = "; ".join(problems)
        ctx.events.warning(webapp, "InvalidSpec", message)
        ctx.patch_status(conditions=[{"type": "Ready", "status": "False",
                                      "reason": "InvalidSpec", "message": message}])
        raise InvalidSpecError(f"{request.key}: {message}")

    latency = (webapp["metadata"].get("annotations") or {}).get(SIMULATED_LATENCY)
    if latency:
        time.sleep(min(float(latency), 10.0))
    name = request.name
    content = config_map(name, spec)
    changes = [
        ctx.create_or_update(content),
        ctx.create_or_update(deployment(name, spec, content)),
        ctx.create_or_update(service(name, spec)),
    ]
    url = f"http://{name}.{request.namespace}.svc:{spec.get('port', 8080)}"
    registry.register(request.key, url)
    message = f"{spec.get('replicas', 1)} replicas of {spec['image']}"
    if not _ready(webapp, message, url):
        ctx.patch_status({"replicas": spec.get("replicas", 1), "url": url},
                         conditions=[{"type": "Ready", "status": "True",
                                      "reason": "Reconciled", "message": message}])
    if any(change != "unchanged" for change in changes):
        ctx.events.normal(webapp, "Reconciled", f"{message}; objects {changes}")
    return Result(requeue_after=PERIODIC_CHECK)


def _cleanup(ctx: Context, webapp: Obj) -> None:
    registry.unregister(ctx.request.key)
    ctx.events.normal(webapp, "Unregistered", f"removed {ctx.request.key} from the registry")
