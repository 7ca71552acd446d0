"""The context a reconcile gets: the object through the cache reader (falling back to the API
server), owned objects, the deletion-aware finalizer, status with conditions, a key-bound log.
Runs against the embedded API server with the example's real WebApp CRD."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from redis import Redis

from reconciler import kube
from reconciler.controller import Controller, Resource
from reconciler.reconcile import Request
from reconciler.testing.apiserver import ApiServer
from reconciler.watch import CacheReader
from reconciler.worker.context import Context
from tasks import CRD_PATH

pytestmark = pytest.mark.integration


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    with ApiServer() as srv:
        yield srv


@pytest.fixture
def client(server: ApiServer) -> Iterator[kube.KubeClient]:
    with kube.KubeClient.from_configuration(server.client_configuration()) as kc:
        crd_ref = kc.resolve("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        try:
            kc.create(crd_ref, yaml.safe_load(CRD_PATH.read_text()))
        except kube.ApiError as exc:
            if not kube.is_already_exists(exc):
                raise
        yield kc


@pytest.fixture
def context(client: kube.KubeClient, real_redis: Redis, key_prefix: str,
            request: pytest.FixtureRequest) -> Context:
    """A context for demo/<test-specific name>, reading through a real CacheReader."""
    name = request.node.name.replace("_", "-")[:40].strip("-")
    ns_ref = client.resolve("v1", "Namespace")
    try:
        client.create(ns_ref, {"metadata": {"name": "demo"}})
    except kube.ApiError as exc:
        if not kube.is_already_exists(exc):
            raise
    ref = client.resolve("demo.reconciler.dev/v1", "WebApp")
    client.create(ref, {"apiVersion": "demo.reconciler.dev/v1", "kind": "WebApp",
                        "metadata": {"name": name, "namespace": "demo"},
                        "spec": {"image": "nginx", "replicas": 2}}, "demo")
    controller = Controller("webapp", Resource("demo.reconciler.dev/v1", "WebApp"),
                            lambda ctx, req: None)
    reader = CacheReader(real_redis, client.api_client, controller, prefix=key_prefix)
    return Context(controller="webapp", request=Request("demo", name), client=client,
                   read=reader.get, events=kube.EventRecorder(client, "reconciler/webapp"))


def test_object_comes_from_the_api_when_the_cache_has_none(context: Context) -> None:
    """With an empty cache the reader falls back to a GET; the object is a plain dict."""
    obj = context.object
    assert isinstance(obj, dict) and obj["spec"]["replicas"] == 2


def test_owned_objects_default_to_the_primary_as_owner(context: Context) -> None:
    """create_or_update makes the primary the controller owner, then reports unchanged."""
    desired: dict[str, Any] = {"apiVersion": "v1", "kind": "ConfigMap",
                               "metadata": {"name": context.request.name},
                               "data": {"a": "b"}}
    assert context.create_or_update(desired) == "created"
    assert context.create_or_update(desired) == "unchanged"
    live = context.client.get(context.client.resolve("v1", "ConfigMap"),
                              context.request.name, "demo")
    [owner] = live["metadata"]["ownerReferences"]
    assert (owner["kind"], owner["controller"]) == ("WebApp", True)


def test_finalizer_holds_deletion_until_cleanup_succeeds(context: Context) -> None:
    """The finalizer is added while the object lives; on delete a failing cleanup keeps the
    object, a succeeding one lets it go."""
    assert context.handle_finalizer("demo.reconciler.dev/test", lambda obj: None) is False
    ref = context.client.resolve("demo.reconciler.dev/v1", "WebApp")
    context.client.delete(ref, context.request.name, "demo")

    def failing(obj: dict[str, Any]) -> None:
        raise RuntimeError("external system down")

    deleting = context.client.get(ref, context.request.name, "demo")
    fresh = Context(controller="webapp", request=context.request, client=context.client,
                    read=lambda key: deleting, events=context.events)
    with pytest.raises(RuntimeError):
        fresh.handle_finalizer("demo.reconciler.dev/test", failing)
    assert context.client.get(ref, context.request.name, "demo")["metadata"]["finalizers"]
    cleaned: list[str] = []
    assert fresh.handle_finalizer("demo.reconciler.dev/test",
                                  lambda obj: cleaned.append(obj["metadata"]["name"]))
    assert cleaned == [context.request.name]
    with pytest.raises(kube.ApiError) as gone:
        context.client.get(ref, context.request.name, "demo")
    assert kube.is_not_found(gone.value)


def test_patch_status_sets_conditions_and_observed_generation(context: Context) -> None:
    """Status fields and a Ready condition land on /status with the object's generation."""
    obj = context.patch_status({"replicas": 2}, conditions=[
        {"type": "Ready", "status": "True", "reason": "Reconciled", "message": "ok"}])
    generation = obj["metadata"]["generation"]
    assert obj["status"]["observedGeneration"] == generation
    [ready] = obj["status"]["conditions"]
    assert (ready["status"], ready["observedGeneration"]) == ("True", generation)


def test_the_log_names_the_controller_and_key(context: Context,
                                              caplog: pytest.LogCaptureFixture) -> None:
    """Every line of ctx.log starts with the controller and the key."""
    with caplog.at_level(logging.INFO):
        context.log.info("hello")
    assert f"webapp demo/{context.request.name}: hello" in caplog.messages
