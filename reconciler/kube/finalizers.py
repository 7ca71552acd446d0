"""Finalizers: hold an object's deletion until the controller has cleaned up after it.

A finalizer is a name in ``metadata.finalizers``; the API server only marks such an object
for deletion (``deletionTimestamp``) and removes it once the list is empty. That gives a
controller a chance to release what lives outside Kubernetes (a DNS record, a bucket) and to
release the object only after that succeeded.

Writes are JSON merge patches of the whole list. They carry the object's
``resourceVersion`` as a precondition: another controller may add or remove its own finalizer
concurrently, and replacing the list from a stale read would silently undo that, so a stale
read fails with 409 Conflict instead (retried by the runtime on a fresh read).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from reconciler.kube.client import KubeClient
from reconciler.kube.refs import meta


def has_finalizer(obj: dict[str, Any], name: str) -> bool:
    """True when ``name`` is in the object's ``metadata.finalizers``."""
    return name in (meta(obj).get("finalizers") or [])


def is_being_deleted(obj: dict[str, Any]) -> bool:
    """True once deletion was requested (``deletionTimestamp`` set) and finalizers hold it."""
    return bool(meta(obj).get("deletionTimestamp"))


def add_finalizer(client: KubeClient, obj: dict[str, Any], name: str) -> dict[str, Any]:
    """Add ``name`` to the object's finalizers; returns the updated object (``obj`` if it
    already had it). ``obj`` needs ``apiVersion``/``kind`` and its ``resourceVersion``."""
    if has_finalizer(obj, name):
        return obj
    return _write(client, obj, [*(meta(obj).get("finalizers") or []), name])


def remove_finalizer(client: KubeClient, obj: dict[str, Any], name: str) -> dict[str, Any]:
    """Remove ``name`` from the object's finalizers; returns what the server answered.

    Removing the last finalizer of an object being deleted lets the server delete it; the
    answer is then the object's final state."""
    if not has_finalizer(obj, name):
        return obj
    return _write(client, obj, [f for f in meta(obj).get("finalizers") or [] if f != name])


def handle_finalizer(client: KubeClient, obj: dict[str, Any], name: str,
                     cleanup: Callable[[dict[str, Any]], None]) -> bool:
    """The deletion-aware finalizer step of a reconcile; True means "stop reconciling".

    * Being deleted and holding ``name``: run ``cleanup(obj)``; only when it returns without
      raising is the finalizer removed, so a failed cleanup (its exception propagates, and the
      runtime retries) keeps both the finalizer and the object. Returns True.
    * Being deleted without ``name``: nothing of ours to clean up. Returns True.
    * Otherwise: make sure ``name`` is present before the reconcile creates anything that
      would need cleaning up. Returns False.
    """
    if is_being_deleted(obj):
        if has_finalizer(obj, name):
            cleanup(obj)
            remove_finalizer(client, obj, name)
        return True
    add_finalizer(client, obj, name)
    return False


def _write(client: KubeClient, obj: dict[str, Any], finalizers: list[str]) -> dict[str, Any]:
    md = meta(obj)
    ref = client.resolve_object(obj)
    patch = {"metadata": {"finalizers": finalizers, "resourceVersion": md["resourceVersion"]}}
    return client.patch(ref, md["name"], patch,
                        namespace=md.get("namespace") if ref.namespaced else None)
