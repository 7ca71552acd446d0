"""Tests of reconciler.kube.apply: create_or_update against the embedded API server."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest

from reconciler.kube import errors
from reconciler.kube.apply import create_or_update, deep_merge, is_subset
from reconciler.kube.client import KubeClient
from reconciler.kube.refs import ResourceRef


def _cm(name: str, namespace: str | None = None, **data: str) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name}
    if namespace:
        md["namespace"] = namespace
    return {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md, "data": dict(data)}


def _deployment(namespace: str) -> dict[str, Any]:
    return {
        "apiVersion": "apps/v1", "kind": "Deployment",
        "metadata": {"name": "web", "namespace": namespace, "labels": {"app": "web"}},
        "spec": {
            "replicas": 1,
            "selector": {"matchLabels": {"app": "web"}},
            "template": {"metadata": {"labels": {"app": "web"}},
                         "spec": {"containers": [{"name": "web", "image": "nginx:1"}]}},
        },
    }


def test_created_then_unchanged_without_a_write(kube: KubeClient, namespace: str) -> None:
    """A missing object is created; the same desired object again is unchanged, not rewritten."""
    outcome, created = create_or_update(kube, _cm("c", namespace, a="1"))
    assert outcome == "created" and created["data"] == {"a": "1"}
    outcome, live = create_or_update(kube, _cm("c", namespace, a="1"))
    assert outcome == "unchanged"
    assert live["metadata"]["resourceVersion"] == created["metadata"]["resourceVersion"]


def test_server_defaults_are_not_drift(kube: KubeClient, namespace: str) -> None:
    """Fields only the live object has (defaults, also inside list items) do not cause a write.

    The embedded server does no defaulting, so the test writes what a real server would
    default (``strategy``, ``imagePullPolicy``) as a second writer."""
    assert create_or_update(kube, _deployment(namespace))[0] == "created"
    ref = kube.resolve("apps/v1", "Deployment")
    kube.patch(ref, "web", namespace=namespace, kind="strategic", patch={"spec": {
        "strategy": {"type": "RollingUpdate"},
        "template": {"spec": {"containers": [{"name": "web", "imagePullPolicy": "IfNotPresent"}]}},
    }})
    outcome, live = create_or_update(kube, _deployment(namespace))
    assert outcome == "unchanged"
    assert live["spec"]["strategy"] == {"type": "RollingUpdate"}


def test_updated_merges_labels_and_annotations(kube: KubeClient, namespace: str) -> None:
    """A changed field is updated, while labels and annotations set by others are kept."""
    ref = kube.resolve("v1", "ConfigMap")
    first = _cm("u", namespace, a="1")
    first["metadata"]["labels"] = {"mine": "1"}
    create_or_update(kube, first)
    kube.patch(ref, "u", {"metadata": {"labels": {"theirs": "x"},
                                       "annotations": {"note": "kept"}}}, namespace=namespace)
    second = _cm("u", namespace, a="2")
    second["metadata"]["labels"] = {"mine": "2"}
    outcome, live = create_or_update(kube, second)
    assert outcome == "updated"
    assert live["data"] == {"a": "2"}
    assert live["metadata"]["labels"] == {"mine": "2", "theirs": "x"}
    assert live["metadata"]["annotations"] == {"note": "kept"}


def test_owner_reference_and_garbage_collection(
        kube: KubeClient, namespace: str, eventually: Callable[..., Any]) -> None:
    """With an owner, a controller reference is set, the namespace defaulted, and deleting
    the owner (background) garbage-collects the owned object."""
    cm = kube.resolve("v1", "ConfigMap")
    owner = kube.create(cm, _cm("owner", namespace))
    outcome, owned = create_or_update(kube, _cm("owned", None, k="v"), owner=owner)
    assert outcome == "created" and owned["metadata"]["namespace"] == namespace
    assert owned["metadata"]["ownerReferences"] == [{
        "apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
        "uid": owner["metadata"]["uid"], "controller": True, "blockOwnerDeletion": True}]
    assert create_or_update(kube, _cm("owned", None, k="v"), owner=owner)[0] == "unchanged"
    kube.delete(cm, "owner", namespace, propagation="Background")

    def collected() -> bool:
        try:
            kube.get(cm, "owned", namespace)
        except errors.ApiError as err:
            return errors.is_not_found(err)
        return False

    eventually(collected, what="the garbage collector to delete the owned ConfigMap")


def test_owner_in_another_controller_is_refused(kube: KubeClient, namespace: str) -> None:
    """An object already controlled by a different owner is not silently taken over."""
    cm = kube.resolve("v1", "ConfigMap")
    first = kube.create(cm, _cm("o1", namespace))
    second = kube.create(cm, _cm("o2", namespace))
    create_or_update(kube, _cm("x", None), owner=first)
    with pytest.raises(errors.InvalidRequestError, match="already controlled by ConfigMap 'o1'"):
        create_or_update(kube, _cm("x", None), owner=second)


def test_cluster_scoped_object_cannot_have_a_namespaced_owner(
        kube: KubeClient, namespace: str) -> None:
    """A namespaced owner of a cluster-scoped object is refused, as the GC would ignore it."""
    owner = kube.create(kube.resolve("v1", "ConfigMap"), _cm("own", namespace))
    with pytest.raises(errors.InvalidRequestError, match="cannot be owned by the namespaced"):
        create_or_update(kube, {"apiVersion": "v1", "kind": "Namespace",
                                "metadata": {"name": f"{namespace}-child"}}, owner=owner)


def test_concurrent_write_surfaces_as_conflict(kube: KubeClient, namespace: str) -> None:
    """A write between our read and our update makes the update fail with a 409 Conflict."""

    class RacingClient(KubeClient):
        def get(self, ref: ResourceRef, name: str,
                namespace: str | None = None) -> dict[str, Any]:
            live = super().get(ref, name, namespace)
            self.patch(ref, name, {"data": {"other": "writer"}}, namespace=namespace)
            return live  # now stale

    create_or_update(kube, _cm("r", namespace, a="1"))
    racing = RacingClient(kube.api_client, timeout=kube.timeout)
    with pytest.raises(errors.ApiError) as info:
        create_or_update(racing, _cm("r", namespace, a="2"))
    assert errors.is_conflict(info.value) and info.value.status == 409


def test_namespaced_object_needs_a_namespace(kube: KubeClient) -> None:
    """A namespaced object with neither a namespace nor an owner is refused before any write."""
    with pytest.raises(errors.InvalidRequestError, match=r"set metadata\.namespace"):
        create_or_update(kube, _cm("nons"))


def test_subset_and_merge_rules() -> None:
    """Maps compare as subsets and merge recursively; lists compare itemwise and replace."""
    assert is_subset({"a": {"b": 1}}, {"a": {"b": 1, "c": 2}, "d": 3})
    assert is_subset({"l": [{"n": 1}]}, {"l": [{"n": 1, "default": True}]})
    assert not is_subset({"l": [{"n": 1}]}, {"l": [{"n": 1}, {"n": 2}]})
    assert not is_subset({"a": 1}, {})
    assert deep_merge({"m": {"x": 1}, "l": [1, 2]}, {"m": {"y": 2}, "l": [3]}) == {
        "m": {"x": 1, "y": 2}, "l": [3]}
