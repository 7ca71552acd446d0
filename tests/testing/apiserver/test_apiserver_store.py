"""Object CRUD through the typed client: metadata, concurrency, status, lists and paging."""

from __future__ import annotations

import json
from http.client import HTTPConnection
from typing import Any

import pytest
from kubernetes import client

from reconciler.testing.apiserver import ApiServer

DEPLOYMENT: dict[str, Any] = {
    "metadata": {"name": "web"},
    "spec": {
        "selector": {"matchLabels": {"app": "web"}},
        "template": {"metadata": {"labels": {"app": "web"}},
                     "spec": {"containers": [{"name": "web", "image": "nginx"}]}},
    },
}


def test_create_assigns_uid_timestamp_and_increasing_resource_versions(
        core: client.CoreV1Api, namespace: str) -> None:
    """Create sets uid and creationTimestamp; every write gets a larger global resourceVersion."""
    a = core.create_namespaced_config_map(namespace, {"metadata": {"name": "a"}})
    b = core.create_namespaced_config_map(namespace, {"metadata": {"name": "b"}})
    assert a.metadata.uid and a.metadata.uid != b.metadata.uid
    assert a.metadata.creation_timestamp is not None
    assert int(b.metadata.resource_version) > int(a.metadata.resource_version)
    listed = core.list_namespaced_config_map(namespace)
    assert int(listed.metadata.resource_version) >= int(b.metadata.resource_version)


def test_generate_name_appends_a_random_suffix(core: client.CoreV1Api, namespace: str) -> None:
    """generateName yields a unique name made of the prefix and five characters."""
    made = {core.create_namespaced_config_map(
        namespace, {"metadata": {"generateName": "job-"}}).metadata.name for _ in range(3)}
    assert len(made) == 3
    assert all(n.startswith("job-") and len(n) == 9 for n in made)


def test_create_of_existing_name_is_409_already_exists(core: client.CoreV1Api,
                                                       namespace: str) -> None:
    """Creating a taken name is refused with 409 AlreadyExists."""
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "dup"}})
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map(namespace, {"metadata": {"name": "dup"}})
    assert err.value.status == 409 and '"reason":"AlreadyExists"' in err.value.body


def test_update_with_stale_resource_version_is_409_conflict(core: client.CoreV1Api,
                                                            namespace: str) -> None:
    """An update carrying an old resourceVersion is refused with 409 Conflict."""
    cm = core.create_namespaced_config_map(namespace, {"metadata": {"name": "c"}})
    cm.data = {"a": "1"}
    core.replace_namespaced_config_map("c", namespace, cm)
    cm.data = {"a": "2"}
    with pytest.raises(client.ApiException) as err:
        core.replace_namespaced_config_map("c", namespace, cm)
    assert err.value.status == 409 and '"reason":"Conflict"' in err.value.body
    assert "the object has been modified" in err.value.body


def test_get_missing_object_is_404_not_found(core: client.CoreV1Api, namespace: str) -> None:
    """Reading a name that does not exist is 404 NotFound naming the object."""
    with pytest.raises(client.ApiException) as err:
        core.read_namespaced_config_map("missing", namespace)
    assert err.value.status == 404 and 'configmaps \\"missing\\" not found' in err.value.body


def test_create_in_missing_namespace_is_404(core: client.CoreV1Api) -> None:
    """Objects can only be created in an existing namespace."""
    with pytest.raises(client.ApiException) as err:
        core.create_namespaced_config_map("no-such-ns", {"metadata": {"name": "x"}})
    assert err.value.status == 404 and "namespaces" in err.value.body


def test_generation_moves_on_spec_changes_only(api: client.ApiClient, namespace: str) -> None:
    """generation starts at 1 and is bumped by spec changes, not metadata or status writes."""
    apps = client.AppsV1Api(api)
    dep = apps.create_namespaced_deployment(namespace, DEPLOYMENT)
    assert dep.metadata.generation == 1
    dep = apps.patch_namespaced_deployment("web", namespace, {"metadata": {"labels": {"x": "y"}}})
    assert dep.metadata.generation == 1
    dep = apps.patch_namespaced_deployment_status("web", namespace,
                                                  {"status": {"observedGeneration": 1}})
    assert dep.metadata.generation == 1 and dep.status.observed_generation == 1
    dep = apps.patch_namespaced_deployment("web", namespace, {"spec": {"replicas": 4}})
    assert dep.metadata.generation == 2


def test_status_written_through_main_resource_is_ignored(api: client.ApiClient,
                                                         namespace: str) -> None:
    """With a status subresource, status in a main-resource write is dropped; /status sets it."""
    apps = client.AppsV1Api(api)
    apps.create_namespaced_deployment(namespace, {**DEPLOYMENT, "status": {"replicas": 9}})
    dep = apps.patch_namespaced_deployment("web", namespace, {"status": {"replicas": 5}})
    assert dep.status is None or dep.status.replicas is None
    dep = apps.patch_namespaced_deployment_status("web", namespace, {"status": {"replicas": 5},
                                                                     "spec": {"replicas": 7}})
    assert dep.status.replicas == 5 and dep.spec.replicas is None


def test_noop_update_keeps_the_resource_version(core: client.CoreV1Api, namespace: str) -> None:
    """An update that changes nothing does not bump the resourceVersion."""
    cm = core.create_namespaced_config_map(namespace, {"metadata": {"name": "same"},
                                                       "data": {"a": "1"}})
    again = core.patch_namespaced_config_map("same", namespace, {"data": {"a": "1"}})
    assert again.metadata.resource_version == cm.metadata.resource_version


def test_list_pages_with_limit_and_continue(core: client.CoreV1Api, namespace: str) -> None:
    """limit/continue return every object exactly once, in name order."""
    for n in range(7):
        core.create_namespaced_config_map(namespace, {"metadata": {"name": f"p{n}"}})
    names: list[str] = []
    token = None
    pages = 0
    while True:
        page = core.list_namespaced_config_map(namespace, limit=3, _continue=token)
        names += [i.metadata.name for i in page.items]
        pages += 1
        token = page.metadata._continue
        if not token:
            break
        assert page.metadata.remaining_item_count == 7 - len(names)
    assert names == [f"p{n}" for n in range(7)] and pages == 3


def test_list_across_namespaces(core: client.CoreV1Api, namespace: str) -> None:
    """Listing without a namespace returns objects of every namespace."""
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "everywhere"}})
    items = core.list_config_map_for_all_namespaces().items
    assert any(i.metadata.namespace == namespace and i.metadata.name == "everywhere"
               for i in items)


def test_custom_objects_api_round_trip(api: client.ApiClient, namespace: str,
                                       widgets: dict[str, Any]) -> None:
    """A custom resource can be created, read, patched, status-patched, listed and deleted."""
    custom = client.CustomObjectsApi(api)
    args = ("example.com", "v1", namespace, "widgets")
    made = custom.create_namespaced_custom_object(
        *args, {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"},
                "spec": {"size": 2}, "status": {"phase": "ignored"}})
    assert made["metadata"]["generation"] == 1 and "status" not in made
    patched = custom.patch_namespaced_custom_object(*args, "w", {"spec": {"size": 3}})
    assert patched["spec"]["size"] == 3 and patched["metadata"]["generation"] == 2
    status = custom.patch_namespaced_custom_object_status(*args, "w",
                                                          {"status": {"phase": "Ready"}})
    assert status["status"] == {"phase": "Ready"} and status["metadata"]["generation"] == 2
    listed = custom.list_namespaced_custom_object(*args)
    assert [i["metadata"]["name"] for i in listed["items"]] == ["w"]
    custom.delete_namespaced_custom_object(*args, "w")
    with pytest.raises(client.ApiException) as err:
        custom.get_namespaced_custom_object(*args, "w")
    assert err.value.status == 404


def test_deleting_a_crd_removes_its_objects(api: client.ApiClient, namespace: str,
                                            widgets: dict[str, Any], http: Any) -> None:
    """Deleting the CRD stops serving its resource and drops its objects."""
    custom = client.CustomObjectsApi(api)
    custom.create_namespaced_custom_object(
        "example.com", "v1", namespace, "widgets",
        {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}})
    client.ApiextensionsV1Api(api).delete_custom_resource_definition("widgets.example.com")
    code, body = http("GET", f"/apis/example.com/v1/namespaces/{namespace}/widgets")
    assert code == 404 and body["reason"] == "NotFound"


def test_wrong_method_is_405(http: Any, namespace: str) -> None:
    """POST to a named object is 405 MethodNotAllowed."""
    code, body = http("POST", f"/api/v1/namespaces/{namespace}/configmaps/x", {})
    assert code == 405 and body["reason"] == "MethodNotAllowed"


def test_malformed_json_is_400(http: Any, namespace: str) -> None:
    """A body that is not JSON is a 400 BadRequest, not a 500."""
    code, body = http("POST", f"/api/v1/namespaces/{namespace}/configmaps", b"{nope")
    assert code == 400 and body["reason"] == "BadRequest"


def test_delete_preconditions_are_checked(core: client.CoreV1Api, namespace: str) -> None:
    """A delete whose uid precondition does not match is 409 Conflict."""
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "pre"}})
    with pytest.raises(client.ApiException) as err:
        core.delete_namespaced_config_map("pre", namespace, body=client.V1DeleteOptions(
            preconditions=client.V1Preconditions(uid="not-the-uid")))
    assert err.value.status == 409


def test_dry_run_create_stores_nothing(http: Any, namespace: str,
                                       widget_crd: dict[str, Any]) -> None:
    """dryRun=All answers as a create would but stores nothing (a CRD is not served)."""
    code, body = http("POST", f"/api/v1/namespaces/{namespace}/configmaps?dryRun=All",
                      {"metadata": {"name": "dry"}})
    assert code == 201 and body["metadata"]["name"] == "dry"
    assert http("GET", f"/api/v1/namespaces/{namespace}/configmaps/dry")[0] == 404
    code, _ = http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions"
                           "?dryRun=All", widget_crd)
    assert code == 201
    assert http("GET", "/apis/example.com/v1")[0] == 404


def test_delete_answers_status_or_the_pending_object(http: Any, namespace: str) -> None:
    """An immediate delete answers a Success Status; a delete held by finalizers the object."""
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    _, made = http("POST", base, {"metadata": {"name": "now"}})
    code, body = http("DELETE", f"{base}/now")
    assert code == 200 and body["kind"] == "Status" and body["status"] == "Success"
    assert body["details"]["uid"] == made["metadata"]["uid"]
    http("POST", base, {"metadata": {"name": "later", "finalizers": ["x.io/y"]}})
    code, body = http("DELETE", f"{base}/later")
    assert code == 200 and body["kind"] == "ConfigMap"
    assert body["metadata"]["deletionTimestamp"]


def test_custom_resource_update_requires_resource_version(http: Any, namespace: str,
                                                          widgets: dict[str, Any]) -> None:
    """A PUT of a custom resource without resourceVersion is 422, as in Kubernetes."""
    base = f"/apis/example.com/v1/namespaces/{namespace}/widgets"
    body = {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w"}}
    http("POST", base, body)
    code, err = http("PUT", f"{base}/w", {**body, "spec": {"size": 2}})
    assert code == 422 and err["details"]["causes"][0]["field"] == "metadata.resourceVersion"


def test_watch_of_custom_resource_ends_when_crd_is_deleted(
        api: client.ApiClient, http: Any, namespace: str, widgets: dict[str, Any]) -> None:
    """Deleting the CRD sends DELETED for its objects and ends open watches on them."""
    base = f"/apis/example.com/v1/namespaces/{namespace}/widgets"
    http("POST", base, {"apiVersion": "example.com/v1", "kind": "Widget",
                        "metadata": {"name": "w"}})
    resp = client.CustomObjectsApi(api).list_namespaced_custom_object(
        "example.com", "v1", namespace, "widgets", watch=True, timeout_seconds=20,
        _preload_content=False)
    first = resp.readline()
    assert b'"ADDED"' in first
    client.ApiextensionsV1Api(api).delete_custom_resource_definition("widgets.example.com")
    rest = resp.read().splitlines()  # returns because the server ends the stream
    assert len(rest) == 1 and b'"DELETED"' in rest[0]


def test_continue_token_older_than_history_is_410(server: ApiServer, http: Any,
                                                  namespace: str) -> None:
    """A continue token from before a compaction is refused with 410 Expired."""
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    for n in range(3):
        http("POST", base, {"metadata": {"name": f"c{n}"}})
    _, page = http("GET", f"{base}?limit=1")
    http("POST", base, {"metadata": {"name": "later"}})
    server.faults.compact()
    code, body = http("GET", f"{base}?limit=1&continue={page['metadata']['continue']}")
    assert code == 410 and body["reason"] == "Expired"


def test_thousands_of_objects_list_and_page(server: ApiServer, namespace: str) -> None:
    """Two thousand objects are all listed, by one list and by pages of 300."""
    conn = HTTPConnection("127.0.0.1", server.port, timeout=30)
    base = f"/api/v1/namespaces/{namespace}/configmaps"
    for n in range(2000):
        conn.request("POST", base, body=json.dumps({"metadata": {"name": f"o{n:04}"}}),
                     headers={"Content-Type": "application/json"})
        resp = conn.getresponse()
        assert resp.status == 201, resp.read()
        resp.read()
    conn.request("GET", base)
    assert len(json.loads(conn.getresponse().read())["items"]) == 2000
    seen, token = 0, ""
    while True:
        conn.request("GET", f"{base}?limit=300&continue={token}")
        page = json.loads(conn.getresponse().read())
        seen += len(page["items"])
        token = page["metadata"].get("continue", "")
        if not token:
            break
    conn.close()
    assert seen == 2000
