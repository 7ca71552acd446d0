"""What ``reconciler demo`` does with the WebApp example: the objects it creates and changes,
the owned objects it expects, and when a WebApp counts as converged."""

from __future__ import annotations

from typing import Any

from reconciler.testing.demo import DemoSpec
from tasks import CRD_PATH, registry

Obj = dict[str, Any]


def make(name: str, i: int) -> Obj:
    """A WebApp with a few replicas of a small web server."""
    return {
        "apiVersion": "demo.reconciler.dev/v1",
        "kind": "WebApp",
        "metadata": {"name": name, "labels": {"demo.reconciler.dev/batch": str(i // 100)}},
        "spec": {"image": "nginx:1.27", "replicas": 1 + i % 3, "port": 8080,
                 "message": f"Hello from {name}"},
    }


def change(current: Obj) -> Obj:
    """Scale up by one and change the page: a new generation."""
    replicas = int(current["spec"].get("replicas", 1))
    return {"spec": {"replicas": replicas + 1, "message": f"updated to {replicas + 1}"}}


def converged(obj: Obj) -> bool:
    """The status reports this generation and Ready=True."""
    generation = obj["metadata"].get("generation")
    status = obj.get("status") or {}
    ready = [c for c in status.get("conditions") or [] if c.get("type") == "Ready"]
    return (
        status.get("observedGeneration") == generation
        and bool(ready) and ready[0].get("status") == "True"
        and ready[0].get("observedGeneration") == generation
    )


def unregistered(namespace: str, name: str) -> bool:
    """The finalizer removed the WebApp from the external registry."""
    return f"{namespace}/{name}" not in registry.entries()


demo = DemoSpec(
    crd=CRD_PATH,
    api_version="demo.reconciler.dev/v1",
    kind="WebApp",
    make=make,
    change=change,
    owned=(("apps/v1", "Deployment"), ("v1", "Service"), ("v1", "ConfigMap")),
    converged=converged,
    extra_gone=unregistered,
)
