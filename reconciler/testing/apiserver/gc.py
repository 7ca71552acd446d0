"""The garbage collector and the namespace controller, run on one background thread.

The real control plane does this work asynchronously in kube-controller-manager; so does this
thread, woken by every deletion, every ``deletionTimestamp`` and every object created with
``ownerReferences``. One pass:

* deletes objects all of whose owners are gone (background propagation);
* for an owner deleted with ``Foreground``, deletes its dependents and, once none are left,
  removes the ``foregroundDeletion`` finalizer so the owner goes too;
* for an owner deleted with ``Orphan``, strips the owner reference from its dependents and then
  removes the ``orphan`` finalizer;
* for a terminating namespace, deletes everything in it (objects with finalizers wait for them)
  and removes the namespace once it is empty.

Owners are matched by uid, and a namespaced owner only counts in its dependents' namespace, as in
Kubernetes. Unlike the real collector, ``blockOwnerDeletion`` is not consulted: a foreground
owner waits for all its dependents.
"""

from __future__ import annotations

import copy
import logging
import threading
from typing import Any

from reconciler.testing.apiserver import resources, status, store, watch

JsonObj = dict[str, Any]
log = logging.getLogger(__name__)


class GarbageCollector:
    """Works off ownerReferences, deletion finalizers and terminating namespaces."""

    def __init__(self, objects: store.Store) -> None:
        self.store = objects
        self._wake = threading.Event()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        objects.listeners.append(self._on_change)

    def _on_change(self, change: watch.Change) -> None:
        md = change.obj.get("metadata", {})
        if change.type == "DELETED" or md.get("deletionTimestamp") or (
                change.type == "ADDED" and md.get("ownerReferences")):
            self._wake.set()

    def start(self) -> None:
        """Start the background thread."""
        self._thread = threading.Thread(target=self._run, name="apiserver-gc", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop the background thread and wait for it."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=5)

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait()
            self._wake.clear()
            if self._stop.is_set():
                return
            try:
                while self.run_once():
                    pass
            except Exception:  # the thread must survive anything a pass meets
                log.exception("garbage collection pass failed")

    def _type(self, storage_key: tuple[str, str]) -> resources.ResourceType | None:
        versions = self.store.registry.versions_of(*storage_key)
        return sorted(versions, key=lambda t: resources.version_priority(t.version))[0] \
            if versions else None

    def _delete(self, storage_key: tuple[str, str], obj: JsonObj, policy: str) -> bool:
        rt = self._type(storage_key)
        if rt is None:
            return False
        md = obj["metadata"]
        try:
            self.store.delete(rt, md.get("namespace", ""), md["name"],
                              {"propagationPolicy": policy,
                               "preconditions": {"uid": md["uid"]}})
        except status.ApiError:
            return False
        return True

    def _remove_finalizer(self, storage_key: tuple[str, str], obj: JsonObj, name: str) -> bool:
        rt = self._type(storage_key)
        if rt is None:
            return False
        md = obj["metadata"]
        new = copy.deepcopy(obj)
        new["metadata"]["finalizers"] = [f for f in md.get("finalizers", []) if f != name]
        try:
            self.store.update(rt, md.get("namespace", ""), md["name"], new)
        except status.ApiError:
            return False
        return True

    def run_once(self) -> bool:
        """One collection pass; returns whether it changed anything."""
        changed = False
        objects = self.store.all_objects()
        by_uid = {o["metadata"]["uid"]: (sk, o) for sk, o in objects}
        dependents: dict[str, list[tuple[tuple[str, str], JsonObj]]] = {}
        for sk, obj in objects:
            md = obj["metadata"]
            live = []
            for ref in md.get("ownerReferences") or []:
                owner = by_uid.get(ref.get("uid"))
                if owner is None:
                    continue
                owner_ns = owner[1]["metadata"].get("namespace", "")
                if owner_ns and owner_ns != md.get("namespace", ""):
                    continue
                live.append(owner)
                dependents.setdefault(ref["uid"], []).append((sk, obj))
            if md.get("ownerReferences") and not live and not md.get("deletionTimestamp"):
                changed |= self._delete(sk, obj, "Background")
        for sk, obj in objects:
            md = obj["metadata"]
            if not md.get("deletionTimestamp"):
                continue
            finalizers = md.get("finalizers") or []
            mine = dependents.get(md["uid"], [])
            if "orphan" in finalizers:
                for dsk, dep in mine:
                    changed |= self._orphan(dsk, dep, md["uid"])
                changed |= self._remove_finalizer(sk, obj, "orphan")
            elif "foregroundDeletion" in finalizers:
                pending = [d for d in mine if not d[1]["metadata"].get("deletionTimestamp")]
                for dsk, dep in pending:
                    changed |= self._delete(dsk, dep, "Foreground")
                if not mine:
                    changed |= self._remove_finalizer(sk, obj, "foregroundDeletion")
            if sk == resources.NAMESPACE_KEY:
                changed |= self._drain_namespace(md["name"], objects)
        return changed

    def _orphan(self, storage_key: tuple[str, str], dep: JsonObj, owner_uid: str) -> bool:
        rt = self._type(storage_key)
        if rt is None:
            return False
        new = copy.deepcopy(dep)
        refs = [r for r in new["metadata"].get("ownerReferences", []) if r.get("uid") != owner_uid]
        if refs:
            new["metadata"]["ownerReferences"] = refs
        else:
            new["metadata"].pop("ownerReferences", None)
        try:
            self.store.update(rt, dep["metadata"].get("namespace", ""), dep["metadata"]["name"],
                              new)
        except status.ApiError:
            return False
        return True

    def _drain_namespace(self, name: str,
                         objects: list[tuple[tuple[str, str], JsonObj]]) -> bool:
        inside = [(sk, o) for sk, o in objects if o["metadata"].get("namespace") == name]
        changed = False
        for sk, obj in inside:
            if not obj["metadata"].get("deletionTimestamp"):
                changed |= self._delete(sk, obj, "Background")
        if not inside:
            ns = self.store.find(resources.NAMESPACE_KEY, "", name)
            if ns is not None and (ns.get("spec") or {}).get("finalizers"):
                self.store.finish_namespace(name)
                changed = True
        return changed
