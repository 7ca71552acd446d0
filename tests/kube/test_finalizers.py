"""Tests of reconciler.kube.finalizers: add/remove and the deletion-aware flow."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler.kube import errors
from reconciler.kube.client import KubeClient
from reconciler.kube.finalizers import (
    add_finalizer,
    handle_finalizer,
    has_finalizer,
    is_being_deleted,
    remove_finalizer,
)

FIN = "example.com/cleanup"


def _create(kube: KubeClient, namespace: str, name: str,
            finalizers: list[str] | None = None) -> dict[str, Any]:
    md: dict[str, Any] = {"name": name, "namespace": namespace}
    if finalizers:
        md["finalizers"] = finalizers
    return kube.create(kube.resolve("v1", "ConfigMap"),
                       {"apiVersion": "v1", "kind": "ConfigMap", "metadata": md})


def _gone(kube: KubeClient, namespace: str, name: str) -> bool:
    try:
        kube.get(kube.resolve("v1", "ConfigMap"), name, namespace)
    except errors.ApiError as err:
        return errors.is_not_found(err)
    return False


def test_add_and_remove_keep_other_finalizers(kube: KubeClient, namespace: str) -> None:
    """Adding and removing our finalizer leaves another controller's finalizer in place."""
    obj = _create(kube, namespace, "f", ["other.io/keep"])
    added = add_finalizer(kube, obj, FIN)
    assert added["metadata"]["finalizers"] == ["other.io/keep", FIN] and has_finalizer(added, FIN)
    removed = remove_finalizer(kube, added, FIN)
    assert removed["metadata"]["finalizers"] == ["other.io/keep"]


def test_noops_send_nothing(kube: KubeClient, namespace: str) -> None:
    """Adding a present finalizer or removing an absent one returns the object unwritten."""
    obj = _create(kube, namespace, "n", [FIN])
    assert add_finalizer(kube, obj, FIN) is obj
    assert remove_finalizer(kube, obj, "absent.io/x") is obj


def test_stale_object_is_a_conflict(kube: KubeClient, namespace: str) -> None:
    """A finalizer write from a stale read fails with 409 rather than overwrite the list."""
    obj = _create(kube, namespace, "s")
    add_finalizer(kube, obj, "other.io/first")
    with pytest.raises(errors.ApiError) as info:
        add_finalizer(kube, obj, FIN)
    assert errors.is_conflict(info.value)


def test_handle_finalizer_adds_it_while_alive(kube: KubeClient, namespace: str) -> None:
    """On a live object, handle_finalizer ensures the finalizer and says to go on (False)."""
    obj = _create(kube, namespace, "alive")
    assert handle_finalizer(kube, obj, FIN, lambda _: pytest.fail("no cleanup yet")) is False
    live = kube.get(kube.resolve("v1", "ConfigMap"), "alive", namespace)
    assert has_finalizer(live, FIN) and not is_being_deleted(live)


def test_failed_cleanup_keeps_finalizer_and_object(kube: KubeClient, namespace: str) -> None:
    """A cleanup that raises keeps the finalizer and the object; a later success releases it."""
    ref = kube.resolve("v1", "ConfigMap")
    _create(kube, namespace, "d", [FIN])
    kube.delete(ref, "d", namespace)
    doomed = kube.get(ref, "d", namespace)
    assert is_being_deleted(doomed)

    def failing(_: dict[str, Any]) -> None:
        raise RuntimeError("the external system is down")

    with pytest.raises(RuntimeError, match="external system is down"):
        handle_finalizer(kube, doomed, FIN, failing)
    still = kube.get(ref, "d", namespace)
    assert has_finalizer(still, FIN) and is_being_deleted(still)
    cleaned: list[str] = []
    assert handle_finalizer(kube, still, FIN, lambda o: cleaned.append(o["metadata"]["name"]))
    assert cleaned == ["d"]
    assert _gone(kube, namespace, "d")


def test_deleting_without_our_finalizer_stops(kube: KubeClient, namespace: str) -> None:
    """An object being deleted that lacks our finalizer needs no cleanup: True, nothing run."""
    ref = kube.resolve("v1", "ConfigMap")
    _create(kube, namespace, "o", ["other.io/hold"])
    kube.delete(ref, "o", namespace)
    doomed = kube.get(ref, "o", namespace)
    assert handle_finalizer(kube, doomed, FIN, lambda _: pytest.fail("not ours")) is True
    assert kube.get(ref, "o", namespace)["metadata"]["finalizers"] == ["other.io/hold"]
