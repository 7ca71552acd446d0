"""Tests of reconciler.kube.events: posting, aggregation and never raising."""

from __future__ import annotations

import logging
import socket
from typing import Any

import pytest
from kubernetes import client

from reconciler.kube.client import KubeClient
from reconciler.kube.events import EventRecorder, event_name, recorded_events
from reconciler.testing.apiserver import ApiServer


def _owner(kube: KubeClient, namespace: str, name: str = "subject") -> dict[str, Any]:
    return kube.create(kube.resolve("v1", "ConfigMap"), {
        "apiVersion": "v1", "kind": "ConfigMap",
        "metadata": {"name": name, "namespace": namespace}})


def test_normal_event_describes_the_object(kube: KubeClient, namespace: str) -> None:
    """A Normal event lands in the object's namespace with involvedObject and source set."""
    obj = _owner(kube, namespace)
    EventRecorder(kube, "gadget-controller", instance="worker-1").normal(
        obj, "Created", "created the Deployment")
    [event] = recorded_events(kube, obj)
    md = obj["metadata"]
    assert event["metadata"]["namespace"] == namespace
    assert event["involvedObject"] == {
        "apiVersion": "v1", "kind": "ConfigMap", "name": "subject", "namespace": namespace,
        "uid": md["uid"], "resourceVersion": md["resourceVersion"]}
    assert (event["type"], event["reason"], event["message"], event["count"]) == (
        "Normal", "Created", "created the Deployment", 1)
    assert event["source"] == {"component": "gadget-controller"}
    assert (event["reportingComponent"], event["reportingInstance"]) == (
        "gadget-controller", "worker-1")
    assert event["firstTimestamp"] == event["lastTimestamp"]


def test_repeat_is_aggregated(kube: KubeClient, namespace: str) -> None:
    """The same warning twice is one event with count 2; another message is a new event."""
    obj = _owner(kube, namespace)
    recorder = EventRecorder(kube, "ctl")
    recorder.warning(obj, "InvalidSpec", "size must be positive")
    recorder.warning(obj, "InvalidSpec", "size must be positive")
    [event] = recorded_events(kube, obj)
    assert (event["type"], event["count"]) == ("Warning", 2)
    assert event["lastTimestamp"] >= event["firstTimestamp"]
    recorder.warning(obj, "InvalidSpec", "color must be red or blue")
    assert sorted(e["count"] for e in recorded_events(kube, obj)) == [1, 2]


def test_conflicting_repeat_is_retried(kube: KubeClient, namespace: str,
                                       server: ApiServer) -> None:
    """A 409 on the count patch (a concurrent repeat) is retried, not lost."""
    obj = _owner(kube, namespace)
    recorder = EventRecorder(kube, "ctl")
    recorder.normal(obj, "Synced", "ok")
    server.faults.fail(409, verb="patch", resource="events", times=1)
    recorder.normal(obj, "Synced", "ok")
    [event] = recorded_events(kube, obj)
    assert event["count"] == 2


def test_cluster_scoped_object_goes_to_default(kube: KubeClient) -> None:
    """An event about a cluster-scoped object is posted into the default namespace."""
    ns = kube.get(kube.resolve("v1", "Namespace"), "kube-public")
    EventRecorder(kube, "ctl").normal(ns, "Seen", "looked at it")
    [event] = recorded_events(kube, ns)
    assert event["metadata"]["namespace"] == "default"
    assert event["involvedObject"]["kind"] == "Namespace"


def test_event_names_are_deterministic() -> None:
    """Equal (uid, type, reason, message) give one name; any difference gives another."""
    obj = {"metadata": {"name": "x", "uid": "u1"}}
    name = event_name(obj, "Normal", reason="R", message="m")
    assert name.startswith("x.") and name == event_name(obj, "Normal", reason="R", message="m")
    other = {"metadata": {"name": "x", "uid": "u2"}}
    assert name != event_name(other, "Normal", reason="R", message="m")
    assert name != event_name(obj, "Warning", reason="R", message="m")


def test_server_error_is_logged_and_swallowed(
        kube: KubeClient, namespace: str, server: ApiServer,
        caplog: pytest.LogCaptureFixture) -> None:
    """A failing event create neither raises nor retries the reconcile; it is logged."""
    obj = _owner(kube, namespace)
    server.faults.fail(500, verb="create", resource="events", times=1)
    with caplog.at_level(logging.WARNING, logger="reconciler.kube.events"):
        EventRecorder(kube, "ctl").warning(obj, "Failed", "boom")
    assert "could not record Warning event Failed for ConfigMap" in caplog.text
    assert "500" in caplog.text
    assert recorded_events(kube, obj) == []


def test_unreachable_server_is_swallowed_without_secrets(
        server: ApiServer, caplog: pytest.LogCaptureFixture) -> None:
    """With the API server gone, posting logs the URL but never the bearer token."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = server.client_configuration()
    cfg.host = f"http://127.0.0.1:{port}"
    cfg.api_key = {"authorization": "s3cr3t-token"}
    cfg.api_key_prefix = {"authorization": "Bearer"}
    obj = {"apiVersion": "v1", "kind": "ConfigMap",
           "metadata": {"name": "x", "namespace": "default", "uid": "u"}}
    with KubeClient(client.ApiClient(cfg), timeout=1.0) as kc, \
            caplog.at_level(logging.WARNING, logger="reconciler.kube.events"):
        EventRecorder(kc, "ctl").normal(obj, "Synced", "ok")
    assert f"127.0.0.1:{port} is unreachable" in caplog.text
    assert "s3cr3t" not in caplog.text
