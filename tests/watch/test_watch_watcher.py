"""Tests of reconciler.watch.watcher and .source: list, watch, keys, owners, predicates,
against the embedded API server (official client for writes) and a real Redis."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from kubernetes import client

from reconciler import errors
from reconciler.controller import Controller, InvalidControllerError, Resource, Watch
from reconciler.watch import Watcher, generation_changed, label_selector


def noop(*_: Any) -> None:
    """A reconcile function that does nothing (the watcher never calls it)."""


def widget(name: str, **spec: Any) -> dict[str, Any]:
    return {"apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": name},
            "spec": spec}


def cm(name: str, *, owner: dict[str, Any] | None = None, labels: dict[str, str] | None = None,
       data: dict[str, str] | None = None) -> dict[str, Any]:
    meta: dict[str, Any] = {"name": name, "labels": labels or {}}
    if owner is not None:
        meta["ownerReferences"] = [{"apiVersion": "example.com/v1", "kind": "Widget",
                                    "name": owner["metadata"]["name"],
                                    "uid": owner["metadata"]["uid"], "controller": True}]
    return {"metadata": meta, "data": data or {}}


WIDGETS = Resource("example.com/v1", "Widget")
CONFIGMAPS = Resource("v1", "configmaps")


def test_initial_list_and_events_enqueue_keys(start_watcher: Callable[..., Watcher],
                                              core: client.CoreV1Api, namespace: str,
                                              collect: Callable[..., set[str]]) -> None:
    """Objects present at start and objects created, updated, deleted later are all queued."""
    core.create_namespaced_config_map(namespace, cm("before"))
    watcher = start_watcher(Controller("cms", CONFIGMAPS, noop, namespace=namespace))
    queue = watcher.queue("cms")
    assert collect(queue, {f"{namespace}/before"}) == {f"{namespace}/before"}
    core.create_namespaced_config_map(namespace, cm("after"))
    core.patch_namespaced_config_map("before", namespace, {"data": {"x": "1"}})
    collect(queue, {f"{namespace}/after", f"{namespace}/before"})
    core.delete_namespaced_config_map("after", namespace)
    collect(queue, {f"{namespace}/after"})


def test_owned_objects_reach_the_owners_key(  # noqa: PLR0917 - fixtures
        start_watcher: Callable[..., Watcher],
                                            core: client.CoreV1Api,
                                            custom: client.CustomObjectsApi, namespace: str,
                                            collect: Callable[..., set[str]],
                                            drain: Callable[..., set[str]]) -> None:
    """A change to an owned ConfigMap enqueues its controller owner's key, not its own."""
    owner = custom.create_namespaced_custom_object("example.com", "v1", namespace, "widgets",
                                                   widget("w1", size=1))
    core.create_namespaced_config_map(namespace, cm("orphan"))
    watcher = start_watcher(Controller("widgets", WIDGETS, noop, owns=(CONFIGMAPS,),
                                       namespace=namespace))
    queue = watcher.queue("widgets")
    assert collect(queue, {f"{namespace}/w1"}) == {f"{namespace}/w1"}
    core.create_namespaced_config_map(namespace, cm("child", owner=owner))
    assert collect(queue, {f"{namespace}/w1"}) == {f"{namespace}/w1"}
    core.patch_namespaced_config_map("orphan", namespace, {"data": {"a": "b"}})
    core.patch_namespaced_config_map("child", namespace, {"data": {"a": "b"}})
    seen = collect(queue, {f"{namespace}/w1"})
    assert seen == {f"{namespace}/w1"}, "the orphan or the child's own key was enqueued"
    assert not drain(queue)


def test_watched_resources_use_the_map_function(start_watcher: Callable[..., Watcher],
                                                core: client.CoreV1Api,
                                                custom: client.CustomObjectsApi,
                                                namespace: str,
                                                collect: Callable[..., set[str]]) -> None:
    """A watched resource's events enqueue whatever its map function returns."""
    custom.create_namespaced_custom_object("example.com", "v1", namespace, "widgets",
                                           widget("target"))

    def by_annotation(obj: dict[str, Any]) -> list[str]:
        meta = obj["metadata"]
        target = (meta.get("labels") or {}).get("for")
        return [f"{meta['namespace']}/{target}"] if target else []

    watcher = start_watcher(Controller("widgets", WIDGETS, noop, namespace=namespace,
                                       watches=(Watch(CONFIGMAPS, by_annotation),)))
    queue = watcher.queue("widgets")
    collect(queue, {f"{namespace}/target"})
    core.create_namespaced_config_map(namespace, cm("pointer", labels={"for": "target"}))
    assert collect(queue, {f"{namespace}/target"}) == {f"{namespace}/target"}


def test_generation_changed_filters_status_updates(start_watcher: Callable[..., Watcher],
                                                   custom: client.CustomObjectsApi,
                                                   namespace: str,
                                                   collect: Callable[..., set[str]],
                                                   drain: Callable[..., set[str]]) -> None:
    """With generation_changed a status-only update enqueues nothing; a spec change does."""
    for name in ("a", "b"):
        custom.create_namespaced_custom_object("example.com", "v1", namespace, "widgets",
                                               widget(name, size=1))
    resource = Resource("example.com/v1", "widgets", predicate=generation_changed())
    watcher = start_watcher(Controller("widgets", resource, noop, namespace=namespace))
    queue = watcher.queue("widgets")
    collect(queue, {f"{namespace}/a", f"{namespace}/b"})
    custom.patch_namespaced_custom_object_status("example.com", "v1", namespace, "widgets",
                                                 "a", {"status": {"phase": "Ready"}})
    custom.patch_namespaced_custom_object("example.com", "v1", namespace, "widgets", "b",
                                          {"spec": {"size": 2}})
    assert collect(queue, {f"{namespace}/b"}) == {f"{namespace}/b"}
    assert not drain(queue)
    entry = watcher.primaries["widgets"].cache.read(f"{namespace}/a")
    assert entry is not None and '"phase":"Ready"' in entry[1], "the cache missed the status"


def test_label_selector_predicate_and_scope(start_watcher: Callable[..., Watcher],
                                            core: client.CoreV1Api, namespace: str,
                                            collect: Callable[..., set[str]]) -> None:
    """A server-side selector scopes what is watched; a predicate filters what enqueues."""
    core.create_namespaced_config_map(namespace, cm("web", labels={"tier": "web", "on": "y"}))
    core.create_namespaced_config_map(namespace, cm("webn", labels={"tier": "web", "on": "n"}))
    core.create_namespaced_config_map(namespace, cm("db", labels={"tier": "db", "on": "y"}))
    resource = Resource("v1", "ConfigMap", label_selector="tier=web",
                        predicate=label_selector("on=y") | ~label_selector("on"))
    watcher = start_watcher(Controller("cms", resource, noop, namespace=namespace))
    assert collect(watcher.queue("cms"), {f"{namespace}/web"}) == {f"{namespace}/web"}
    assert watcher.primaries["cms"].cache.read(f"{namespace}/db") is None
    assert watcher.primaries["cms"].cache.read(f"{namespace}/webn") is not None


def test_unknown_kind_fails_at_start_naming_controller_and_field(
        api: client.ApiClient, real_redis: Any, key_prefix: str) -> None:
    """A kind the server does not serve fails start() naming the controller and field."""
    from reconciler.controller import Application

    app = Application("t", [Controller("bad", WIDGETS, noop,
                                       owns=(Resource("example.com/v1", "Gadget"),))])
    with pytest.raises(InvalidControllerError, match=r"'bad'.*'owns\[0\]'.*Gadget"):
        Watcher(app, real_redis, api, epoch=None, prefix=key_prefix).start()


def test_deposed_watcher_is_fenced_and_fails(start_watcher: Callable[..., Watcher],
                                             core: client.CoreV1Api, namespace: str,
                                             wait_until: Callable[..., Any],
                                             collect: Callable[..., set[str]]) -> None:
    """Once a newer epoch raised the fence, the old watcher's next write is refused with
    FencedError and the watcher stops."""
    old = start_watcher(Controller("cms", CONFIGMAPS, noop, namespace=namespace), epoch=5)
    old.queue("cms").raise_fence(6)
    core.create_namespaced_config_map(namespace, cm("late"))
    wait_until(old.failed.is_set, what="the fenced watcher to fail")
    assert isinstance(old.error, errors.FencedError)
    assert not old.queue("cms").inspect(f"{namespace}/late").ready


def test_resync_requeues_every_known_key_bypassing_predicates(
        start_watcher: Callable[..., Watcher], core: client.CoreV1Api, namespace: str,
        collect: Callable[..., set[str]]) -> None:
    """Each resync period every known primary key is queued again, even with no change and
    a predicate that would filter updates."""
    for name in ("a", "b"):
        core.create_namespaced_config_map(namespace, cm(name))
    resource = Resource("v1", "configmaps", predicate=generation_changed())
    watcher = start_watcher(Controller("cms", resource, noop, namespace=namespace,
                                       resync_period=0.3, resync_jitter=0))
    keys = {f"{namespace}/a", f"{namespace}/b"}
    collect(watcher.queue("cms"), keys)
    assert collect(watcher.queue("cms"), keys) == keys


def test_several_controllers_feed_their_own_queues(  # noqa: PLR0917 - fixtures
        start_watcher: Callable[..., Watcher],
                                                    core: client.CoreV1Api,
                                                    custom: client.CustomObjectsApi,
                                                    namespace: str,
                                                    collect: Callable[..., set[str]],
                                                    drain: Callable[..., set[str]]) -> None:
    """Two controllers in one application each get only their own resource's keys, in the
    queue named after them."""
    core.create_namespaced_config_map(namespace, cm("c"))
    custom.create_namespaced_custom_object("example.com", "v1", namespace, "widgets",
                                           widget("w"))
    watcher = start_watcher(Controller("cms", CONFIGMAPS, noop, namespace=namespace),
                            Controller("widgets", WIDGETS, noop, namespace=namespace))
    assert collect(watcher.queue("cms"), {f"{namespace}/c"}) == {f"{namespace}/c"}
    assert collect(watcher.queue("widgets"), {f"{namespace}/w"}) == {f"{namespace}/w"}
    assert watcher.queue("cms").name == "cms" and not drain(watcher.queue("cms"))
