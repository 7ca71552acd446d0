"""``create_or_update``: make one object look like the desired one, and say what it did.

The comparison is a recursive *subset* test: the live object is unchanged when it already
holds every field of the desired one. Fields the server fills in (uid, timestamps, defaults
such as a container's ``imagePullPolicy``) are absent from the desired object and so never
count as drift, which keeps a level-based reconcile from writing on every pass. Lists are
compared element by element and must have the same length.

An update deep-merges the desired object into the live one: maps merge (labels, annotations
and fields owned by others survive), everything else, lists included, is replaced. Fields
removed from the desired object are therefore not removed from the live one (no pruning);
send a patch with ``None`` for that. The update carries the live ``resourceVersion``, so a
concurrent writer makes it fail with 409 Conflict, which propagates for the runtime to retry
on a fresh read.
"""

from __future__ import annotations

import copy
from typing import Any, Literal

from reconciler.kube import errors
from reconciler.kube.client import KubeClient
from reconciler.kube.refs import meta

Outcome = Literal["created", "updated", "unchanged"]
"""What ``create_or_update`` did."""


def create_or_update(client: KubeClient, desired: dict[str, Any], *,
                     owner: dict[str, Any] | None = None) -> tuple[Outcome, dict[str, Any]]:
    """Create ``desired``, or update the live object until it contains ``desired``.

    ``desired`` needs ``apiVersion``, ``kind`` and ``metadata.name``. With ``owner`` (an
    object read from the server, so it has a uid), a controller ownerReference to it is added
    and the namespace defaults to the owner's, so deleting the owner garbage-collects this
    object. Returns the outcome and the object as the server now has it.
    """
    ref = client.resolve_object(desired)
    want = copy.deepcopy(desired)
    md = want.setdefault("metadata", {})
    if owner is not None:
        if ref.namespaced:
            md.setdefault("namespace", meta(owner).get("namespace"))
        elif meta(owner).get("namespace"):
            raise errors.InvalidRequestError(
                f"cluster-scoped {ref.kind} {md.get('name')!r} cannot be owned by the "
                f"namespaced {owner.get('kind')} {meta(owner).get('name')!r}")
        set_controller_reference(want, owner)
    namespace = md.get("namespace") if ref.namespaced else None
    if ref.namespaced and not namespace:
        raise errors.InvalidRequestError(
            f"{ref.kind} {md.get('name')!r} is namespaced: set metadata.namespace or an owner")
    try:
        live = client.get(ref, md.get("name", ""), namespace)
    except errors.ApiError as err:
        if not errors.is_not_found(err):
            raise
        return "created", client.create(ref, want)
    if owner is not None:
        want["metadata"]["ownerReferences"] = _merged_owner_refs(live, want)
    if is_subset(want, live):
        return "unchanged", live
    body = deep_merge(live, want)
    body["metadata"]["resourceVersion"] = meta(live)["resourceVersion"]
    return "updated", client.replace(ref, body)


def set_controller_reference(obj: dict[str, Any], owner: dict[str, Any]) -> None:
    """Make ``owner`` the controller of ``obj`` (in place), as controller-runtime does.

    An object has at most one controller; a different one already set is an error rather
    than a silent takeover. Owners must be in the same namespace (or cluster-scoped): the
    garbage collector ignores cross-namespace references.
    """
    om = meta(owner)
    if not om.get("uid") or not owner.get("apiVersion") or not owner.get("kind"):
        raise errors.InvalidRequestError(
            f"owner {om.get('name')!r} needs apiVersion, kind and metadata.uid (read it from "
            "the server)")
    md = obj.setdefault("metadata", {})
    owner_ns, obj_ns = om.get("namespace"), md.get("namespace")
    if owner_ns and obj_ns and owner_ns != obj_ns:
        raise errors.InvalidRequestError(
            f"owner {owner_ns}/{om['name']} cannot own an object in namespace {obj_ns!r}")
    new = {"apiVersion": owner["apiVersion"], "kind": owner["kind"], "name": om["name"],
           "uid": om["uid"], "controller": True, "blockOwnerDeletion": True}
    refs = [r for r in md.get("ownerReferences", []) if r.get("uid") != om["uid"]]
    for other in refs:
        if other.get("controller"):
            raise errors.InvalidRequestError(
                f"{md.get('name')!r} is already controlled by {other.get('kind')} "
                f"{other.get('name')!r}")
    md["ownerReferences"] = [*refs, new]


def _merged_owner_refs(live: dict[str, Any], want: dict[str, Any]) -> list[dict[str, Any]]:
    """The live owner references, ours replacing any to the same uid in its place (so the
    order stays and an unchanged object compares equal), or appended."""
    ours = {r["uid"]: r for r in want["metadata"]["ownerReferences"]}
    merged: list[dict[str, Any]] = []
    for ref in meta(live).get("ownerReferences", []):
        if ref.get("uid") in ours:
            merged.append(ours.pop(ref["uid"]))
            continue
        if ref.get("controller"):
            raise errors.InvalidRequestError(
                f"{meta(live).get('name')!r} is already controlled by {ref.get('kind')} "
                f"{ref.get('name')!r}")
        merged.append(ref)
    return [*merged, *ours.values()]


def is_subset(want: Any, have: Any) -> bool:
    """True when every field of ``want`` is in ``have`` with an equal (or subset) value."""
    if isinstance(want, dict):
        return isinstance(have, dict) and all(
            k in have and is_subset(v, have[k]) for k, v in want.items())
    if isinstance(want, list):
        return (isinstance(have, list) and len(want) == len(have)
                and all(is_subset(w, h) for w, h in zip(want, have, strict=True)))
    return bool(want == have)


def deep_merge(base: dict[str, Any], overlay: dict[str, Any]) -> dict[str, Any]:
    """A copy of ``base`` with ``overlay`` merged in: maps recursively, other values replaced."""
    out = copy.deepcopy(base)
    for key, value in overlay.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out
