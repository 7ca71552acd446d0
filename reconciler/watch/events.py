"""Watch events as the watcher hands them to predicates and key mappers: plain dicts.

Objects stay the JSON the API server sent (``dict``), never the client's model classes, which
cost far more to build than the whole rest of the hot path. Between events the watcher keeps
only an :class:`OldState` per object (not the object), so an update's predicates can compare
generation, labels and annotations, and an owned object's previous owner still gets its key
when the owner reference moves.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

JsonObj = dict[str, Any]
"""An object as decoded from the API server's JSON."""

ADDED, MODIFIED, DELETED = "ADDED", "MODIFIED", "DELETED"


@dataclass(frozen=True, slots=True)
class OldState:
    """What the watcher remembers of an object: enough for predicates and owner mapping."""

    resource_version: str
    generation: int | None
    labels: dict[str, str]
    annotations_digest: int
    """A digest of the annotations; equal digests mean unchanged annotations."""
    owner: tuple[str, str, str] | None
    """The controller ownerReference as (apiVersion, kind, name), if any."""


@dataclass(frozen=True, slots=True)
class Event:
    """One change: ``type`` is ADDED, MODIFIED or DELETED; ``old`` is set for updates and
    for deletions the watcher had seen before (including those found by a relist)."""

    type: str
    obj: JsonObj
    old: OldState | None = None


def object_key(obj: JsonObj) -> str:
    """The queue key of ``obj``: ``namespace/name``, or ``name`` when cluster-scoped."""
    meta = obj.get("metadata") or {}
    namespace = meta.get("namespace")
    name = str(meta.get("name", ""))
    return f"{namespace}/{name}" if namespace else name


def digest(value: Any) -> int:
    """A process-local digest of a JSON value (for change detection, not for storage)."""
    return hash(json.dumps(value, sort_keys=True, separators=(",", ":"))) if value else 0


def controller_owner(obj: JsonObj) -> tuple[str, str, str] | None:
    """The ownerReference with ``controller: true`` as (apiVersion, kind, name), if any."""
    for ref in (obj.get("metadata") or {}).get("ownerReferences") or ():
        if ref.get("controller"):
            return (str(ref.get("apiVersion", "")), str(ref.get("kind", "")),
                    str(ref.get("name", "")))
    return None


def remember(obj: JsonObj) -> OldState:
    """The :class:`OldState` to keep for ``obj`` until its next event."""
    meta = obj.get("metadata") or {}
    generation = meta.get("generation")
    return OldState(
        resource_version=str(meta.get("resourceVersion", "")),
        generation=generation if isinstance(generation, int) else None,
        labels=dict(meta.get("labels") or {}),
        annotations_digest=digest(meta.get("annotations")),
        owner=controller_owner(obj),
    )


def tombstone_object(key: str, old: OldState) -> JsonObj:
    """A stand-in for an object deleted while the watcher was away: only its metadata."""
    namespace, _, name = key.rpartition("/")
    meta: JsonObj = {"name": name, "resourceVersion": old.resource_version,
                     "labels": dict(old.labels)}
    if namespace:
        meta["namespace"] = namespace
    if old.owner is not None:
        api_version, kind, owner_name = old.owner
        meta["ownerReferences"] = [{"apiVersion": api_version, "kind": kind,
                                    "name": owner_name, "controller": True}]
    return {"metadata": meta}
