"""The three patch formats, as functions and over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from reconciler.testing.apiserver import ApiError, patch


def test_merge_patch_merges_objects_and_null_deletes() -> None:
    """RFC 7386: nested objects merge, null removes a key, lists are replaced."""
    doc = {"a": {"b": 1, "c": 2}, "l": [1, 2]}
    assert patch.merge_patch(doc, {"a": {"b": None, "d": 3}, "l": [3]}) == {
        "a": {"c": 2, "d": 3}, "l": [3]}


def test_json_patch_operations() -> None:
    """RFC 6902 add, replace, remove, move, copy and test apply in order."""
    doc = {"a": [1, 2], "b": {"c": 1}}
    ops = [{"op": "add", "path": "/a/-", "value": 3},
           {"op": "replace", "path": "/b/c", "value": 2},
           {"op": "copy", "from": "/b/c", "path": "/d"},
           {"op": "move", "from": "/d", "path": "/e"},
           {"op": "remove", "path": "/a/0"},
           {"op": "test", "path": "/e", "value": 2}]
    assert patch.json_patch(doc, ops) == {"a": [2, 3], "b": {"c": 2}, "e": 2}


def test_failed_json_patch_test_is_422() -> None:
    """A failing test operation refuses the patch with 422."""
    with pytest.raises(ApiError) as err:
        patch.json_patch({"a": 1}, [{"op": "test", "path": "/a", "value": 2}])
    assert err.value.code == 422


def test_strategic_merge_merges_containers_and_env_by_name() -> None:
    """Containers and env entries merge by name; unmentioned ones stay."""
    pod = {"spec": {"containers": [
        {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"}]},
        {"name": "b", "image": "b:1"}]}}
    out = patch.strategic_merge_patch(pod, {"spec": {"containers": [
        {"name": "a", "env": [{"name": "Y", "value": "2"}]}]}})
    assert out["spec"]["containers"] == [
        {"name": "a", "image": "a:1", "env": [{"name": "X", "value": "1"},
                                               {"name": "Y", "value": "2"}]},
        {"name": "b", "image": "b:1"}]


def test_strategic_merge_ports_volumes_mounts_and_delete_directive() -> None:
    """Ports merge by containerPort, volumes by name, mounts by mountPath; $patch deletes."""
    spec = {"volumes": [{"name": "v1"}, {"name": "v2"}],
            "containers": [{"name": "c", "ports": [{"containerPort": 80}],
                            "volumeMounts": [{"mountPath": "/a", "name": "v1"}]}]}
    out = patch.strategic_merge_patch(spec, {
        "volumes": [{"name": "v2", "$patch": "delete"}, {"name": "v3"}],
        "containers": [{"name": "c", "ports": [{"containerPort": 443}],
                        "volumeMounts": [{"mountPath": "/a", "readOnly": True}]}]})
    assert out["volumes"] == [{"name": "v1"}, {"name": "v3"}]
    assert out["containers"][0]["ports"] == [{"containerPort": 80}, {"containerPort": 443}]
    assert out["containers"][0]["volumeMounts"] == [{"mountPath": "/a", "name": "v1",
                                                     "readOnly": True}]


def test_strategic_merge_service_ports_by_port_and_finalizers_union() -> None:
    """Service ports merge by port; finalizers merge as a set; other lists are replaced."""
    svc = {"metadata": {"finalizers": ["a"]},
           "spec": {"ports": [{"port": 80, "name": "http"}], "tolerations": [{"key": "x"}]}}
    out = patch.strategic_merge_patch(svc, {
        "metadata": {"finalizers": ["b"]},
        "spec": {"ports": [{"port": 80, "targetPort": 8080}], "tolerations": [{"key": "y"}]}})
    assert out["metadata"]["finalizers"] == ["a", "b"]
    assert out["spec"]["ports"] == [{"port": 80, "name": "http", "targetPort": 8080}]
    assert out["spec"]["tolerations"] == [{"key": "y"}]


def test_patch_types_over_http(core: client.CoreV1Api, http: Any, namespace: str) -> None:
    """Merge, JSON and strategic patches all apply through PATCH with their content types."""
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "p"},
                                                  "data": {"a": "1"}})
    path = f"/api/v1/namespaces/{namespace}/configmaps/p"
    code, body = http("PATCH", path, {"data": {"b": "2"}},
                      content_type="application/merge-patch+json")
    assert code == 200 and body["data"] == {"a": "1", "b": "2"}
    code, body = http("PATCH", path, [{"op": "remove", "path": "/data/a"}],
                      content_type="application/json-patch+json")
    assert code == 200 and body["data"] == {"b": "2"}
    code, body = http("PATCH", path, {"data": {"c": "3"}},
                      content_type="application/strategic-merge-patch+json")
    assert code == 200 and body["data"] == {"b": "2", "c": "3"}


def test_server_side_apply_and_unknown_patch_types_are_415(http: Any, namespace: str) -> None:
    """Apply patches and unknown media types get 415 with a message saying what is accepted."""
    http("POST", f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": "p"}})
    path = f"/api/v1/namespaces/{namespace}/configmaps/p"
    code, body = http("PATCH", path, b"data: {}", content_type="application/apply-patch+yaml")
    assert code == 415 and "server-side apply is not implemented" in body["message"]
    code, body = http("PATCH", path, {}, content_type="text/plain")
    assert code == 415 and "application/merge-patch+json" in body["message"]


def test_strategic_merge_on_custom_resource_is_415(http: Any, namespace: str,
                                                   widgets: dict[str, Any]) -> None:
    """Custom resources refuse strategic merge patch, as the real server does."""
    base = f"/apis/example.com/v1/namespaces/{namespace}/widgets"
    http("POST", base, {"apiVersion": "example.com/v1", "kind": "Widget",
                        "metadata": {"name": "w"}})
    code, body = http("PATCH", f"{base}/w", {"spec": {"size": 2}},
                      content_type="application/strategic-merge-patch+json")
    assert code == 415 and body["reason"] == "UnsupportedMediaType"


def test_patch_carrying_stale_resource_version_conflicts(http: Any, namespace: str) -> None:
    """A patch that names an old resourceVersion is a 409 Conflict."""
    _, made = http("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                   {"metadata": {"name": "p"}})
    path = f"/api/v1/namespaces/{namespace}/configmaps/p"
    http("PATCH", path, {"data": {"a": "1"}}, content_type="application/merge-patch+json")
    code, body = http("PATCH", path, {"metadata": {
        "resourceVersion": made["metadata"]["resourceVersion"]}, "data": {"a": "2"}},
        content_type="application/merge-patch+json")
    assert code == 409 and body["reason"] == "Conflict"
