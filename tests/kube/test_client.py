"""Tests of reconciler.kube.client: raw-JSON verbs, discovery and errors over real HTTP."""

from __future__ import annotations

import socket
import time
from pathlib import Path
from typing import Any

import pytest
from kubernetes import client

from reconciler.errors import ConfigError, ReconcilerError
from reconciler.kube import errors
from reconciler.kube.client import KubeClient
from reconciler.kube.refs import ResourceRef
from reconciler.testing.apiserver import ApiServer


def _cm(name: str, namespace: str, **data: str) -> dict[str, Any]:
    return {"apiVersion": "v1", "kind": "ConfigMap",
            "metadata": {"name": name, "namespace": namespace}, "data": dict(data)}


def test_resolve_core_and_group_kinds(kube: KubeClient) -> None:
    """Discovery maps a core and a grouped kind to their plural, group and scope."""
    assert kube.resolve("v1", "ConfigMap") == ResourceRef("", "v1", "configmaps", "ConfigMap",
                                                          True)
    assert kube.resolve("v1", "Namespace").namespaced is False
    dep = kube.resolve("apps/v1", "Deployment")
    assert (dep.group, dep.plural, dep.api_version) == ("apps", "deployments", "apps/v1")


def test_resolve_finds_a_crd_installed_after_the_first_lookup(
        kube: KubeClient, gadgets: dict[str, Any]) -> None:
    """A kind missing from the cached discovery triggers one fresh discovery request."""
    assert kube.resolve("example.com/v1", "Gadget").plural == "gadgets"


def test_unknown_kind_names_api_version_and_kind(kube: KubeClient) -> None:
    """An unknown kind, or an unserved apiVersion, raises UnknownKindError naming both."""
    with pytest.raises(errors.UnknownKindError, match=r"kind 'Widgetz' in apiVersion 'v1'"):
        kube.resolve("v1", "Widgetz")
    with pytest.raises(errors.UnknownKindError, match=r"apiVersion 'nope.io/v9'"):
        kube.resolve("nope.io/v9", "Thing")


def test_crud_round_trip_returns_plain_dicts(kube: KubeClient, namespace: str) -> None:
    """create, get, list, replace and delete exchange plain dicts with the server."""
    ref = kube.resolve("v1", "ConfigMap")
    created = kube.create(ref, _cm("a", namespace, x="1"))
    assert isinstance(created, dict) and created["metadata"]["uid"]
    got = kube.get(ref, "a", namespace)
    got["data"]["x"] = "2"
    assert kube.replace(ref, got)["data"] == {"x": "2"}
    kube.create(ref, {**_cm("b", namespace), "metadata": {
        "name": "b", "namespace": namespace, "labels": {"app": "b"}}})
    names = [i["metadata"]["name"] for i in kube.list(ref, namespace)["items"]]
    assert names == ["a", "b"]
    selected = kube.list(ref, namespace, label_selector="app=b")["items"]
    assert [i["metadata"]["name"] for i in selected] == ["b"]
    kube.delete(ref, "a", namespace, propagation="Background")
    with pytest.raises(errors.ApiError) as info:
        kube.get(ref, "a", namespace)
    assert errors.is_not_found(info.value) and info.value.status == 404


def test_three_patch_kinds(kube: KubeClient, namespace: str) -> None:
    """Merge, JSON and strategic patches are sent with their own content types."""
    ref = kube.resolve("v1", "ConfigMap")
    kube.create(ref, _cm("p", namespace, a="1"))
    kube.patch(ref, "p", {"data": {"b": "2"}}, namespace=namespace)
    kube.patch(ref, "p", [{"op": "add", "path": "/data/c", "value": "3"}],
               namespace=namespace, kind="json")
    out = kube.patch(ref, "p", {"data": {"a": None}}, namespace=namespace, kind="strategic")
    assert out["data"] == {"b": "2", "c": "3"}


def test_status_subresource_writes_only_status(
        kube: KubeClient, namespace: str, gadgets: dict[str, Any]) -> None:
    """patch_status and replace_status write status, not spec, of a CRD with /status."""
    ref = kube.resolve("example.com/v1", "Gadget")
    obj = kube.create(ref, {"apiVersion": "example.com/v1", "kind": "Gadget",
                            "metadata": {"name": "g", "namespace": namespace},
                            "spec": {"size": 1}})
    out = kube.patch_status(ref, "g", {"status": {"phase": "A"}, "spec": {"size": 9}},
                            namespace=namespace)
    assert out["status"] == {"phase": "A"} and out["spec"] == {"size": 1}
    out["status"] = {"phase": "B"}
    assert kube.replace_status(ref, out)["status"] == {"phase": "B"}
    assert obj["metadata"]["generation"] == kube.get(ref, "g", namespace)["metadata"][
        "generation"]


def test_api_errors_carry_status_and_reason(kube: KubeClient, namespace: str) -> None:
    """AlreadyExists, Conflict and Invalid answers become ApiError with their reason."""
    ref = kube.resolve("v1", "ConfigMap")
    live = kube.create(ref, _cm("e", namespace))
    with pytest.raises(errors.ApiError) as exists:
        kube.create(ref, _cm("e", namespace))
    assert errors.is_already_exists(exists.value) and not errors.is_conflict(exists.value)
    kube.patch(ref, "e", {"data": {"k": "v"}}, namespace=namespace)
    with pytest.raises(errors.ApiError) as conflict:
        kube.replace(ref, live)  # carries the old resourceVersion
    assert errors.is_conflict(conflict.value)
    assert (conflict.value.status, conflict.value.reason) == (409, "Conflict")
    with pytest.raises(errors.ApiError) as invalid:
        kube.create(ref, _cm("Not_Valid", namespace))
    assert (invalid.value.status, invalid.value.reason) == (422, "Invalid")
    assert isinstance(invalid.value, ReconcilerError)


def test_namespaced_kind_without_namespace_is_refused(kube: KubeClient) -> None:
    """Addressing a namespaced object without a namespace raises InvalidRequestError."""
    with pytest.raises(errors.InvalidRequestError, match="namespace is required"):
        kube.get(kube.resolve("v1", "ConfigMap"), "x")


def test_unreachable_server_names_the_url(server: ApiServer) -> None:
    """A refused connection raises ApiUnavailableError naming the server URL."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    cfg = server.client_configuration()
    cfg.host = f"http://127.0.0.1:{port}"
    with KubeClient(client.ApiClient(cfg), timeout=2.0) as kc, \
            pytest.raises(errors.ApiUnavailableError,
                          match=rf"http://127\.0\.0\.1:{port} is unreachable") as info:
        kc.get(ResourceRef("", "v1", "configmaps", "ConfigMap", True), "x", "default")
    assert isinstance(info.value, ConnectionError) and info.value.__cause__ is not None


def test_silent_server_times_out(server: ApiServer) -> None:
    """A server that accepts the connection but never answers hits the timeout, once."""
    with socket.socket() as silent:
        silent.bind(("127.0.0.1", 0))
        silent.listen(1)  # the kernel completes the handshake; nobody ever reads
        cfg = server.client_configuration()
        cfg.host = f"http://127.0.0.1:{silent.getsockname()[1]}"
        started = time.monotonic()
        with KubeClient.from_configuration(cfg, timeout=0.2) as kc, \
                pytest.raises(errors.ApiUnavailableError, match=r"timed out after 0\.2s"):
            kc.get(ResourceRef("", "v1", "configmaps", "ConfigMap", True), "x", "default")
        assert time.monotonic() - started < 0.6, "a timed-out read must not be retried"


def test_from_kubeconfig_and_from_env(server: ApiServer, tmp_path: Path,
                                      monkeypatch: pytest.MonkeyPatch) -> None:
    """Kubeconfig and environment clients work; with no config the error names both tries."""
    path = tmp_path / "kubeconfig"
    server.write_kubeconfig(path)
    with KubeClient.from_kubeconfig(str(path)) as kc:
        assert kc.server == server.url
        assert kc.get(kc.resolve("v1", "Namespace"), "default")["metadata"]["name"] == "default"
    monkeypatch.delenv("KUBERNETES_SERVICE_HOST", raising=False)
    monkeypatch.setenv("KUBECONFIG", str(path))
    with KubeClient.from_env() as kc:
        assert kc.server == server.url
    with pytest.raises(ConfigError, match="cannot load kubeconfig"):
        KubeClient.from_kubeconfig(str(tmp_path / "missing"))
    monkeypatch.setenv("KUBECONFIG", str(tmp_path / "missing"))
    with pytest.raises(ConfigError, match=r"not running in a cluster.*cannot load kubeconfig"):
        KubeClient.from_env()
