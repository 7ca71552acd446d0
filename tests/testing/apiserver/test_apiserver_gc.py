"""Deletion semantics: finalizers, ownerReference garbage collection and namespace deletion."""

from __future__ import annotations

from typing import Any

from kubernetes import client


def _exists(core: client.CoreV1Api, namespace: str, name: str) -> bool:
    try:
        core.read_namespaced_config_map(name, namespace)
    except client.ApiException as err:
        if err.status == 404:
            return False
        raise
    return True


def _owned(core: client.CoreV1Api, namespace: str, name: str, owner: Any) -> None:
    core.create_namespaced_config_map(namespace, {"metadata": {"name": name, "ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": owner.metadata.name,
         "uid": owner.metadata.uid, "blockOwnerDeletion": True}]}})


def test_finalizer_holds_object_until_removed(core: client.CoreV1Api, namespace: str) -> None:
    """Delete sets deletionTimestamp; the object goes when its last finalizer is removed."""
    core.create_namespaced_config_map(namespace, {"metadata": {
        "name": "f", "finalizers": ["example.com/cleanup"]}})
    core.delete_namespaced_config_map("f", namespace)
    held = core.read_namespaced_config_map("f", namespace)
    assert held.metadata.deletion_timestamp is not None
    core.patch_namespaced_config_map("f", namespace, {"metadata": {"finalizers": None}})
    assert not _exists(core, namespace, "f")


def test_background_deletion_removes_dependents(core: client.CoreV1Api, namespace: str,
                                                eventually: Any) -> None:
    """Deleting an owner (background) makes the garbage collector delete its dependents."""
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner"}})
    _owned(core, namespace, "child", owner)
    core.delete_namespaced_config_map("owner", namespace)
    eventually(lambda: not _exists(core, namespace, "child"), what="dependent to be collected")


def test_foreground_deletion_waits_for_dependents(core: client.CoreV1Api, namespace: str,
                                                  eventually: Any) -> None:
    """Foreground: the owner stays (foregroundDeletion) until its dependents are gone."""
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner"}})
    core.create_namespaced_config_map(namespace, {"metadata": {
        "name": "child", "finalizers": ["example.com/hold"], "ownerReferences": [
            {"apiVersion": "v1", "kind": "ConfigMap", "name": "owner",
             "uid": owner.metadata.uid}]}})
    core.delete_namespaced_config_map("owner", namespace, propagation_policy="Foreground")
    eventually(lambda: core.read_namespaced_config_map("child", namespace)
               .metadata.deletion_timestamp, what="dependent to be marked for deletion")
    held = core.read_namespaced_config_map("owner", namespace)
    assert "foregroundDeletion" in held.metadata.finalizers
    core.patch_namespaced_config_map("child", namespace, {"metadata": {"finalizers": None}})
    eventually(lambda: not _exists(core, namespace, "owner"), what="owner to go")


def test_orphan_deletion_keeps_dependents_and_strips_references(
        core: client.CoreV1Api, namespace: str, eventually: Any) -> None:
    """Orphan: the owner goes, dependents stay without the owner reference."""
    owner = core.create_namespaced_config_map(namespace, {"metadata": {"name": "owner"}})
    _owned(core, namespace, "child", owner)
    core.delete_namespaced_config_map("owner", namespace, propagation_policy="Orphan")
    eventually(lambda: not _exists(core, namespace, "owner"), what="owner to go")
    child = core.read_namespaced_config_map("child", namespace)
    assert not child.metadata.owner_references


def test_object_whose_owner_never_existed_is_collected(core: client.CoreV1Api, namespace: str,
                                                       eventually: Any) -> None:
    """A dependent created with a dangling owner reference is garbage collected."""
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "stray",
                                                               "ownerReferences": [
        {"apiVersion": "v1", "kind": "ConfigMap", "name": "ghost",
         "uid": "00000000-0000-0000-0000-000000000000"}]}})
    eventually(lambda: not _exists(core, namespace, "stray"), what="stray to be collected")


def test_namespace_deletion_removes_its_contents(core: client.CoreV1Api, namespace: str,
                                                 eventually: Any) -> None:
    """A deleted namespace is Terminating, refuses new objects, empties, then disappears."""
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "inside",
                                                               "finalizers": ["x.io/y"]}})
    core.delete_namespace(namespace)
    assert core.read_namespace(namespace).status.phase == "Terminating"
    try:
        core.create_namespaced_config_map(namespace, {"metadata": {"name": "late"}})
        raise AssertionError("create in a terminating namespace succeeded")
    except client.ApiException as err:
        assert err.status == 403
    eventually(lambda: core.read_namespaced_config_map("inside", namespace)
               .metadata.deletion_timestamp, what="contents to be marked for deletion")
    core.patch_namespaced_config_map("inside", namespace, {"metadata": {"finalizers": None}})

    def namespace_gone() -> bool:
        try:
            core.read_namespace(namespace)
        except client.ApiException as err:
            return err.status == 404
        return False

    eventually(namespace_gone, what="namespace to be removed")


def test_delete_collection_honours_selectors(core: client.CoreV1Api, namespace: str) -> None:
    """deletecollection deletes exactly the objects matching its label selector."""
    for name, app in (("a", "x"), ("b", "x"), ("c", "y")):
        core.create_namespaced_config_map(namespace, {"metadata": {"name": name,
                                                                   "labels": {"app": app}}})
    core.delete_collection_namespaced_config_map(namespace, label_selector="app=x")
    assert [i.metadata.name for i in core.list_namespaced_config_map(namespace).items] == ["c"]


def test_orphan_dependents_false_answers_202(http: Any, namespace: str) -> None:
    """orphanDependents=false on a held delete answers 202 Accepted, as the real server does."""
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    http("POST", base, {"metadata": {"name": "held", "finalizers": ["x.io/y"]}})
    code, body = http("DELETE", f"{base}/held?orphanDependents=false")
    assert code == 202 and body["metadata"]["deletionTimestamp"]
