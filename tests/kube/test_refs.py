"""Tests of reconciler.kube.refs: the URL paths of a ResourceRef."""

from __future__ import annotations

import pytest

from reconciler.kube import errors
from reconciler.kube.refs import ResourceRef, meta

CM = ResourceRef("", "v1", "configmaps", "ConfigMap", True)
DEPLOY = ResourceRef("apps", "v1", "deployments", "Deployment", True)
NS = ResourceRef("", "v1", "namespaces", "Namespace", False)


def test_paths_of_core_grouped_and_cluster_scoped() -> None:
    """Core kinds live under /api, grouped ones under /apis, cluster-scoped without namespace."""
    assert CM.path("ns") == "/api/v1/namespaces/ns/configmaps"
    assert CM.path() == "/api/v1/configmaps"  # all namespaces, for list
    assert (DEPLOY.path("ns", "web", "status")
            == "/apis/apps/v1/namespaces/ns/deployments/web/status")
    assert NS.path(name="default") == "/api/v1/namespaces/default"


def test_scope_mismatches_are_refused() -> None:
    """A namespace on a cluster-scoped kind, or none on a namespaced object, is refused."""
    with pytest.raises(errors.InvalidRequestError, match="cluster-scoped"):
        NS.path("ns", "x")
    with pytest.raises(errors.InvalidRequestError, match="namespace is required"):
        CM.path(None, "x")
    with pytest.raises(errors.InvalidRequestError, match="empty name"):
        CM.path("ns", "")


def test_names_are_quoted_and_meta_is_tolerant() -> None:
    """Path segments are percent-encoded, and meta() reads a missing metadata as empty."""
    assert CM.path("ns", "a/b") == "/api/v1/namespaces/ns/configmaps/a%2Fb"
    assert meta({}) == {} and meta({"metadata": {"name": "x"}}) == {"name": "x"}
    assert DEPLOY.api_version == "apps/v1" and CM.api_version == "v1"
