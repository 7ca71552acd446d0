"""Fixtures for the watcher's tests: an embedded API server per module, the official client,
a namespace per test, the Widget CRD, and watchers that are always stopped."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client
from redis import Redis

from reconciler.controller import Application, Controller
from reconciler.queue import WorkQueue
from reconciler.testing.apiserver import ApiServer
from reconciler.testing.waiting import wait_until
from reconciler.watch import WatchConfig, Watcher

_names = itertools.count()

WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com", "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget"},
        "versions": [{
            "name": "v1", "served": True, "storage": True, "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {"type": "object",
                                           "x-kubernetes-preserve-unknown-fields": True}},
        }],
    },
}

FAST = WatchConfig(server_timeout=30, stall_timeout=5, backoff_initial=0.05, backoff_max=0.5,
                   page_size=50)


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    """One embedded API server for the module, with the Widget CRD, bookmarks every 0.2 s."""
    with ApiServer(bookmark_interval=0.2) as srv, \
            client.ApiClient(srv.client_configuration()) as api:
        client.ApiextensionsV1Api(api).create_custom_resource_definition(WIDGET_CRD)
        yield srv


@pytest.fixture
def custom(api: client.ApiClient) -> client.CustomObjectsApi:
    """The custom-objects API (for Widgets)."""
    return client.CustomObjectsApi(api)


@pytest.fixture
def namespace(core: client.CoreV1Api) -> str:
    """A fresh namespace for one test."""
    name = f"w{next(_names)}"
    core.create_namespace({"metadata": {"name": name}})
    return name


@pytest.fixture
def start_watcher(api: client.ApiClient, real_redis: Redis, key_prefix: str
                  ) -> Iterator[Callable[..., Watcher]]:
    """``start_watcher(*controllers, epoch=None, config=FAST)``: a started, synced watcher."""
    started: list[Watcher] = []

    def start(*controllers: Controller, epoch: int | None = None,
              config: WatchConfig = FAST, sync: bool = True) -> Watcher:
        watcher = Watcher(Application("test", controllers), real_redis, api, epoch=epoch,
                          prefix=key_prefix, config=config)
        started.append(watcher)
        watcher.start()
        if sync:
            assert watcher.wait_synced(10), f"watcher did not sync: {watcher.error!r}"
        return watcher

    yield start
    for watcher in started:
        watcher.stop()


def drain(queue: WorkQueue) -> set[str]:
    """Lease and finish every ready key; returns the keys."""
    keys: set[str] = set()
    while leases := queue.get_batch(1000, timeout=0):
        keys.update(lease.key for lease in leases)
        queue.done_many(leases)
    return keys


def collect(queue: WorkQueue, expected: set[str], *, timeout: float = 10.0) -> set[str]:
    """Drain ``queue`` until every key of ``expected`` was seen; returns all keys seen."""
    seen: set[str] = set()

    def done() -> bool:
        seen.update(drain(queue))
        return expected <= seen

    wait_until(done, timeout=timeout, what=f"keys {sorted(expected - seen)} in {queue.name}")
    return seen


@pytest.fixture(name="drain")
def drain_fixture() -> Callable[[WorkQueue], set[str]]:
    """The :func:`drain` helper."""
    return drain


@pytest.fixture(name="collect")
def collect_fixture() -> Callable[..., set[str]]:
    """The :func:`collect` helper."""
    return collect


@pytest.fixture(name="wait_until")
def wait_until_fixture() -> Callable[..., Any]:
    """The :func:`wait_until` helper."""
    return wait_until
