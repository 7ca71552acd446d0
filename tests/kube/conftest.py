"""Fixtures for the Kubernetes helper layer: one embedded API server per module, a client.

Every test gets its own namespace, so tests sharing a server never see each other's objects.
"""

from __future__ import annotations

import functools
import itertools
import re
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from kubernetes import client

from reconciler.kube.client import KubeClient
from reconciler.testing.apiserver import ApiServer
from reconciler.testing.waiting import wait_until

_names = itertools.count()

GADGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "gadgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "gadgets", "singular": "gadget", "kind": "Gadget"},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "subresources": {"status": {}},
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {"type": "object", "properties": {
                        "size": {"type": "integer"}}},
                    "status": {"type": "object",
                               "x-kubernetes-preserve-unknown-fields": True},
                },
            }},
        }],
    },
}
"""A namespaced CRD with a status subresource and a free-form status."""


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    """A running API server shared by the tests of one module."""
    with ApiServer() as srv:
        yield srv


@pytest.fixture
def kube(server: ApiServer) -> Iterator[KubeClient]:
    """A KubeClient for the server, with a short timeout; fault rules are cleared after."""
    with KubeClient(client.ApiClient(server.client_configuration()), timeout=5.0) as kc:
        yield kc
    server.faults.clear()


@pytest.fixture
def namespace(kube: KubeClient, request: pytest.FixtureRequest) -> str:
    """A fresh namespace for one test."""
    slug = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower())
    name = f"t{next(_names)}-{slug}"[:63].rstrip("-")
    kube.create(kube.resolve("v1", "Namespace"), {"metadata": {"name": name}})
    return name


@pytest.fixture(scope="module")
def gadgets(server: ApiServer) -> dict[str, Any]:
    """The Gadget CRD, installed once per module."""
    with KubeClient(client.ApiClient(server.client_configuration())) as kc:
        ref = kc.resolve("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        return kc.create(ref, GADGET_CRD)


@pytest.fixture
def eventually() -> Callable[..., Any]:
    """``eventually(check, timeout=5, what=...)``: a bounded wait for a condition."""
    return functools.partial(wait_until, timeout=5.0)
