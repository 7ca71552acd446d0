"""Discovery documents, read by the official client and over raw HTTP."""

from __future__ import annotations

from typing import Any

from kubernetes import client, dynamic


def test_version_reports_a_kubernetes_release(api: client.ApiClient) -> None:
    """/version answers with major/minor and a gitVersion the client can parse."""
    info = client.VersionApi(api).get_code()
    assert (info.major, info.minor) == ("1", "30")
    assert info.git_version.startswith("v1.30.")


def test_core_group_lists_builtin_resources_with_verbs_and_short_names(http: Any) -> None:
    """/api/v1 lists core resources with kind, scope, verbs, shortNames and subresources."""
    code, doc = http("GET", "/api/v1")
    assert code == 200 and doc["kind"] == "APIResourceList" and doc["groupVersion"] == "v1"
    by_name = {r["name"]: r for r in doc["resources"]}
    for name in ("namespaces", "configmaps", "secrets", "services", "serviceaccounts", "pods",
                 "events"):
        assert name in by_name, name
    assert by_name["configmaps"]["namespaced"] is True
    assert by_name["configmaps"]["kind"] == "ConfigMap"
    assert by_name["configmaps"]["shortNames"] == ["cm"]
    assert sorted(by_name["configmaps"]["verbs"]) == sorted(
        ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"])
    assert by_name["namespaces"]["namespaced"] is False
    assert "deletecollection" not in by_name["namespaces"]["verbs"]
    assert by_name["pods/status"]["verbs"] == ["get", "patch", "update"]


def test_api_groups_have_preferred_versions(http: Any) -> None:
    """/apis lists every built-in group, and /apis/{group} describes one."""
    code, doc = http("GET", "/apis")
    assert code == 200 and doc["kind"] == "APIGroupList"
    names = {g["name"] for g in doc["groups"]}
    assert {"apps", "batch", "coordination.k8s.io", "events.k8s.io",
            "apiextensions.k8s.io"} <= names
    code, apps = http("GET", "/apis/apps")
    assert code == 200 and apps["preferredVersion"] == {"groupVersion": "apps/v1",
                                                        "version": "v1"}
    code, resources = http("GET", "/apis/apps/v1")
    assert {r["name"] for r in resources["resources"]} >= {
        "deployments", "statefulsets", "replicasets", "daemonsets", "deployments/status"}


def test_unknown_group_is_a_404_status(http: Any) -> None:
    """A group that is not served answers 404 with a NotFound Status."""
    code, doc = http("GET", "/apis/nope.example.com/v1")
    assert code == 404 and doc["reason"] == "NotFound"


def test_crd_appears_in_and_leaves_discovery(http: Any, widgets: dict[str, Any],
                                             eventually: Any) -> None:
    """A created CRD is listed at once with its scope, short names and status subresource."""
    code, doc = http("GET", "/apis/example.com/v1")
    assert code == 200
    by_name = {r["name"]: r for r in doc["resources"]}
    assert by_name["widgets"]["kind"] == "Widget"
    assert by_name["widgets"]["namespaced"] is True
    assert by_name["widgets"]["shortNames"] == ["wd"]
    assert "widgets/status" in by_name
    code, _ = http("DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                             "widgets.example.com")
    assert code == 200
    code, _ = http("GET", "/apis/example.com/v1")
    assert code == 404


def test_dynamic_client_resolves_builtin_and_custom_kinds(api: client.ApiClient,
                                                          widgets: dict[str, Any]) -> None:
    """The dynamic client's discovery finds built-in kinds and a just-created CRD's kind."""
    dyn = dynamic.DynamicClient(api)
    assert dyn.resources.get(api_version="apps/v1", kind="Deployment").name == "deployments"
    widget = dyn.resources.get(api_version="example.com/v1", kind="Widget")
    assert widget.namespaced and widget.name == "widgets"
