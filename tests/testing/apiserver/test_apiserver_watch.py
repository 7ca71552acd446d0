"""Watches over real HTTP: order, resume, 410 Expired, bookmarks, timeouts and selectors."""

from __future__ import annotations

import json
import queue
import threading
from typing import Any

import pytest
from kubernetes import client, dynamic, watch

from reconciler.testing.apiserver import ApiServer


def _collect(core: client.CoreV1Api, namespace: str, out: queue.Queue[Any], **kw: Any) -> None:
    """Stream configmap events of one namespace into ``out`` (ends with a None)."""
    try:
        for ev in watch.Watch().stream(core.list_namespaced_config_map, namespace, **kw):
            out.put(ev)
    except Exception as exc:
        out.put(exc)
    out.put(None)


def _take(out: queue.Queue[Any], n: int) -> list[Any]:
    events = []
    for _ in range(n):
        try:
            events.append(out.get(timeout=5))
        except queue.Empty:
            pytest.fail(f"timed out waiting for watch event {len(events) + 1} of {n}: {events}")
    return events


def test_watch_delivers_added_modified_deleted_in_order(core: client.CoreV1Api,
                                                        namespace: str) -> None:
    """A watch from a list's resourceVersion sees each later write once, in order."""
    rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "w"}})
    core.patch_namespaced_config_map("w", namespace, {"data": {"a": "1"}})
    core.delete_namespaced_config_map("w", namespace)
    out: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_collect, args=(core, namespace, out),
                     kwargs={"resource_version": rv, "timeout_seconds": 2}, daemon=True).start()
    events = _take(out, 3)
    assert [e["type"] for e in events] == ["ADDED", "MODIFIED", "DELETED"]
    rvs = [int(e["object"].metadata.resource_version) for e in events]
    assert rvs == sorted(rvs) and len(set(rvs)) == 3


def test_watch_without_resource_version_starts_with_current_objects(core: client.CoreV1Api,
                                                                     namespace: str) -> None:
    """A watch with no resourceVersion first sends ADDED for every existing object."""
    for name in ("a", "b"):
        core.create_namespaced_config_map(namespace, {"metadata": {"name": name}})
    out: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_collect, args=(core, namespace, out),
                     kwargs={"timeout_seconds": 2}, daemon=True).start()
    events = _take(out, 2)
    assert [(e["type"], e["object"].metadata.name) for e in events] == [
        ("ADDED", "a"), ("ADDED", "b")]


def test_watch_timeout_seconds_ends_the_stream(core: client.CoreV1Api, namespace: str) -> None:
    """timeoutSeconds closes the stream cleanly after that many seconds."""
    out: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_collect, args=(core, namespace, out),
                     kwargs={"timeout_seconds": 1, "resource_version": "1"},
                     daemon=True).start()
    assert _take(out, 1) == [None]


def test_too_old_resource_version_gets_410_error_event(server: ApiServer, http: Any,
                                                       namespace: str) -> None:
    """After compaction, a watch from an older resourceVersion gets the real 410 ERROR event."""
    code, doc = http("GET", f"/api/v1/namespaces/{namespace}/configmaps")
    old_rv = doc["metadata"]["resourceVersion"]
    http("POST", f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": "x"}})
    server.faults.compact()
    code, raw = http("GET", f"/api/v1/namespaces/{namespace}/configmaps?watch=true"
                            f"&resourceVersion={old_rv}&timeoutSeconds=2")
    assert code == 200
    event = raw if isinstance(raw, dict) else json.loads(raw.splitlines()[0])
    assert event["type"] == "ERROR"
    obj = event["object"]
    assert {k: obj[k] for k in ("kind", "apiVersion", "status", "reason", "code")} == {
        "kind": "Status", "apiVersion": "v1", "status": "Failure", "reason": "Expired",
        "code": 410}
    assert obj["message"].startswith(f"too old resource version: {old_rv} (")


def test_python_watch_raises_410_then_resumes_from_a_fresh_list(server: ApiServer,
                                                                core: client.CoreV1Api,
                                                                namespace: str) -> None:
    """watch.Watch surfaces 410 as ApiException; relisting and watching again resumes."""
    old_rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "gone"}})
    server.faults.compact()
    with pytest.raises(client.ApiException) as err:
        for _ in watch.Watch().stream(core.list_namespaced_config_map, namespace,
                                      resource_version=old_rv, timeout_seconds=2):
            pass
    assert err.value.status == 410 and "Expired" in str(err.value.reason)
    fresh = core.list_namespaced_config_map(namespace).metadata.resource_version
    out: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_collect, args=(core, namespace, out),
                     kwargs={"resource_version": fresh, "timeout_seconds": 3},
                     daemon=True).start()
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "after"}})
    (event,) = _take(out, 1)
    assert event["type"] == "ADDED" and event["object"].metadata.name == "after"


def test_history_window_is_bounded() -> None:
    """Once more changes than the history size happen, the oldest resourceVersions expire."""
    with ApiServer(history_size=3) as small, client.ApiClient(
            small.client_configuration()) as api:
        core = client.CoreV1Api(api)
        start = core.list_namespaced_config_map("default").metadata.resource_version
        for n in range(5):
            core.create_namespaced_config_map("default", {"metadata": {"name": f"h{n}"}})
        with pytest.raises(client.ApiException) as err:
            for _ in watch.Watch().stream(core.list_namespaced_config_map, "default",
                                          resource_version=start, timeout_seconds=1):
                pass
        assert err.value.status == 410


def test_bookmarks_carry_the_current_resource_version(core: client.CoreV1Api,
                                                      namespace: str) -> None:
    """With allowWatchBookmarks, BOOKMARK events carry only a resourceVersion."""
    rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    resp = core.list_namespaced_config_map(namespace, watch=True, resource_version=rv,
                                           allow_watch_bookmarks=True, timeout_seconds=1,
                                           _preload_content=False)
    lines = [json.loads(line) for line in resp.read().splitlines() if line.strip()]
    bookmarks = [e for e in lines if e["type"] == "BOOKMARK"]
    assert bookmarks, lines
    assert set(bookmarks[0]["object"]["metadata"]) == {"resourceVersion"}
    assert int(bookmarks[0]["object"]["metadata"]["resourceVersion"]) >= int(rv)


def test_label_selector_watch_sees_objects_enter_and_leave(core: client.CoreV1Api,
                                                          namespace: str) -> None:
    """An object that starts matching is ADDED and one that stops matching is DELETED."""
    rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    out: queue.Queue[Any] = queue.Queue()
    threading.Thread(target=_collect, args=(core, namespace, out),
                     kwargs={"resource_version": rv, "timeout_seconds": 3,
                             "label_selector": "app=web"}, daemon=True).start()
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "s"}})
    core.patch_namespaced_config_map("s", namespace, {"metadata": {"labels": {"app": "web"}}})
    core.patch_namespaced_config_map("s", namespace, {"metadata": {"labels": {"app": "db"}}})
    events = _take(out, 2)
    assert [e["type"] for e in events] == ["ADDED", "DELETED"]


def test_cut_watches_ends_every_open_stream(server: ApiServer, core: client.CoreV1Api,
                                            namespace: str, eventually: Any) -> None:
    """faults.cut_watches() ends all open watches at once."""
    outs = [queue.Queue() for _ in range(3)]  # type: list[queue.Queue[Any]]
    rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    before = server.open_watches
    for out in outs:
        threading.Thread(target=_collect, args=(core, namespace, out),
                         kwargs={"resource_version": rv, "timeout_seconds": 30},
                         daemon=True).start()
    eventually(lambda: server.open_watches >= before + 3, what="three open watches")
    assert server.faults.cut_watches() >= 3
    for out in outs:
        # watch.Watch reconnects once from its last resourceVersion only if it saw an event;
        # with none seen it stops, so each stream ends.
        assert _take(out, 1) == [None]


def test_many_concurrent_watchers_each_see_every_event(server: ApiServer,
                                                       core: client.CoreV1Api,
                                                       namespace: str) -> None:
    """Twenty concurrent watch streams each receive all fifty writes."""
    rv = core.list_namespaced_config_map(namespace).metadata.resource_version
    outs = [queue.Queue() for _ in range(20)]  # type: list[queue.Queue[Any]]
    for out in outs:
        threading.Thread(target=_collect, args=(core, namespace, out),
                         kwargs={"resource_version": rv, "timeout_seconds": 10},
                         daemon=True).start()
    for n in range(50):
        core.create_namespaced_config_map(namespace, {"metadata": {"name": f"m{n}"}})
    for out in outs:
        names = [e["object"].metadata.name for e in _take(out, 50)]
        assert names == [f"m{n}" for n in range(50)]


def test_dynamic_client_creates_lists_and_watches(api: client.ApiClient,
                                                  namespace: str) -> None:
    """The dynamic client creates an object and its watch reports it."""
    leases = dynamic.DynamicClient(api).resources.get(api_version="coordination.k8s.io/v1",
                                                      kind="Lease")
    rv = leases.get(namespace=namespace).metadata.resourceVersion
    leases.create(namespace=namespace, body={
        "apiVersion": "coordination.k8s.io/v1", "kind": "Lease",
        "metadata": {"name": "leader"}, "spec": {"holderIdentity": "a"}})
    events = list(leases.watch(namespace=namespace, resource_version=rv, timeout=1))
    assert [(e["type"], e["object"].metadata.name) for e in events] == [("ADDED", "leader")]
    assert leases.get(namespace=namespace, name="leader").spec.holderIdentity == "a"
