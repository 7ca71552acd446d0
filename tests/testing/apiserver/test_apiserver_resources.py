"""Every built-in resource is served; version priority and CRD-derived types."""

from __future__ import annotations

import base64
from typing import Any

import pytest

from reconciler.testing.apiserver import resources

POD_SPEC = {"containers": [{"name": "c", "image": "busybox"}]}
TEMPLATE = {"metadata": {"labels": {"app": "x"}}, "spec": POD_SPEC}
SELECTOR = {"matchLabels": {"app": "x"}}

MINIMAL: dict[str, tuple[str, dict[str, Any]]] = {
    "configmaps": ("/api/v1", {"data": {"a": "b"}}),
    "secrets": ("/api/v1", {"type": "Opaque", "data": {"a": "Yg=="}}),
    "services": ("/api/v1", {"spec": {"ports": [{"port": 80}]}}),
    "serviceaccounts": ("/api/v1", {}),
    "pods": ("/api/v1", {"spec": POD_SPEC}),
    "events": ("/api/v1", {"involvedObject": {"kind": "Pod", "name": "p"}, "reason": "R"}),
    "deployments": ("/apis/apps/v1", {"spec": {"selector": SELECTOR, "template": TEMPLATE}}),
    "statefulsets": ("/apis/apps/v1", {"spec": {"selector": SELECTOR, "template": TEMPLATE,
                                                "serviceName": "x"}}),
    "replicasets": ("/apis/apps/v1", {"spec": {"selector": SELECTOR, "template": TEMPLATE}}),
    "daemonsets": ("/apis/apps/v1", {"spec": {"selector": SELECTOR, "template": TEMPLATE}}),
    "jobs": ("/apis/batch/v1", {"spec": {"template": {
        "spec": {**POD_SPEC, "restartPolicy": "Never"}}}}),
    "leases": ("/apis/coordination.k8s.io/v1", {"spec": {"holderIdentity": "me",
                                                         "leaseDurationSeconds": 15}}),
    "events.k8s.io": ("/apis/events.k8s.io/v1", {"eventTime": "2024-01-01T00:00:00.000000Z",
                                                 "reportingController": "x",
                                                 "reportingInstance": "y", "action": "A",
                                                 "reason": "R", "type": "Normal"}),
}


@pytest.mark.parametrize("resource", sorted(MINIMAL))
def test_every_builtin_resource_round_trips(resource: str, http: Any, namespace: str) -> None:
    """Each built-in namespaced resource can be created, read back, listed and deleted."""
    prefix, body = MINIMAL[resource]
    plural = "events" if resource == "events.k8s.io" else resource
    base = f"{prefix}/namespaces/{namespace}/{plural}"
    code, made = http("POST", base, {"metadata": {"name": "x"}, **body})
    assert code == 201, made
    code, got = http("GET", f"{base}/x")
    assert code == 200 and got["metadata"]["uid"] == made["metadata"]["uid"]
    code, listed = http("GET", base)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["x"]
    assert listed["kind"].endswith("List")
    code, _ = http("DELETE", f"{base}/x")
    assert code == 200


def test_secret_string_data_is_folded_into_data(http: Any, namespace: str) -> None:
    """A Secret's stringData is stored base64-encoded in data and not returned."""
    code, made = http("POST", f"/api/v1/namespaces/{namespace}/secrets",
                      {"metadata": {"name": "s"}, "stringData": {"password": "hunter2"}})
    assert code == 201 and "stringData" not in made
    assert base64.b64decode(made["data"]["password"]) == b"hunter2"


def test_version_priority_orders_like_kubernetes() -> None:
    """GA before beta before alpha, higher numbers first, non-Kubernetes names last."""
    versions = ["v1alpha1", "foo", "v2beta1", "v1", "v1beta2", "v2", "v1beta1"]
    assert sorted(versions, key=resources.version_priority) == [
        "v2", "v1", "v2beta1", "v1beta2", "v1beta1", "v1alpha1", "foo"]


def test_types_for_crd_serves_only_served_versions() -> None:
    """A CRD yields one type per served version, with its scope and status subresource."""
    crd = {"metadata": {"name": "gadgets.example.com"}, "spec": {
        "group": "example.com", "scope": "Cluster",
        "names": {"plural": "gadgets", "kind": "Gadget"},
        "versions": [
            {"name": "v1", "served": True, "storage": True, "subresources": {"status": {}}},
            {"name": "v1beta1", "served": False, "storage": False}]}}
    (gadget,) = resources.types_for_crd(crd)
    assert (gadget.version, gadget.namespaced, gadget.status, gadget.singular) == (
        "v1", False, True, "gadget")
    assert gadget.crd == "gadgets.example.com"


def test_multi_version_crd_shares_objects_across_versions(http: Any, namespace: str,
                                                          widget_crd: dict[str, Any]) -> None:
    """Both served versions list the same objects; the preferred version is the GA one."""
    v1 = widget_crd["spec"]["versions"][0]
    widget_crd["spec"]["versions"] = [{**v1, "name": "v1beta1", "storage": False}, v1]
    code, body = http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
                      widget_crd)
    assert code == 201, body
    try:
        code, group = http("GET", "/apis/example.com")
        assert group["preferredVersion"]["version"] == "v1"
        assert [v["version"] for v in group["versions"]] == ["v1", "v1beta1"]
        http("POST", f"/apis/example.com/v1/namespaces/{namespace}/widgets",
             {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
        code, old = http("GET", f"/apis/example.com/v1beta1/namespaces/{namespace}/widgets/w")
        assert code == 200 and old["apiVersion"] == "example.com/v1beta1"
    finally:
        http("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                       "widgets.example.com")
