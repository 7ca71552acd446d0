"""Fixtures for the embedded API server's tests: one server per module, clients, kubectl.

Every test gets its own namespace, so tests sharing a server never see each other's objects.
"""

from __future__ import annotations

import copy
import functools
import itertools
import json
import re
import subprocess
import urllib.error
import urllib.request
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler.testing.apiserver import ApiServer
from reconciler.testing.waiting import wait_until

ROOT = Path(__file__).resolve().parents[3]
_names = itertools.count()


@pytest.fixture(scope="module")
def server() -> Iterator[ApiServer]:
    """A running server shared by the tests of one module."""
    with ApiServer(bookmark_interval=0.2) as srv:
        yield srv


@pytest.fixture
def namespace(server: ApiServer, request: pytest.FixtureRequest) -> str:
    """A fresh namespace for one test."""
    slug = re.sub(r"[^a-z0-9-]+", "-", request.node.name.lower())
    name = f"t{next(_names)}-{slug}"[:63].rstrip("-")
    status, body = raw_http(server, "POST", "/api/v1/namespaces", {"metadata": {"name": name}})
    assert status == 201, body
    return name


def raw_http(server: ApiServer, method: str, path: str, body: Any = None, *,
         content_type: str = "application/json",
         headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """One raw HTTP request; returns the status code and the decoded JSON body."""
    data = None if body is None else (body if isinstance(body, bytes)
                                      else json.dumps(body).encode())
    req = urllib.request.Request(server.url + path, data=data, method=method,
                                 headers={"Content-Type": content_type, **(headers or {})})
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            raw = resp.read()
            code = resp.status
    except urllib.error.HTTPError as err:
        raw, code = err.read(), err.code
    try:
        return code, json.loads(raw) if raw else None
    except ValueError:
        return code, raw


Http = Callable[..., tuple[int, Any]]


@pytest.fixture
def http(server: ApiServer) -> Http:
    """``http(method, path, body=None, content_type=..., headers=...)`` against the server."""
    return lambda method, path, body=None, **kw: raw_http(server, method, path, body, **kw)


@pytest.fixture
def eventually() -> Callable[..., Any]:
    """``eventually(check, timeout=5, what=...)``: a bounded wait for a condition."""
    return functools.partial(wait_until, timeout=5.0)


@pytest.fixture(scope="session")
def kubectl() -> str:
    """The path of kubectl, installed by ``scripts/ensure-kubectl`` (fails if unobtainable)."""
    result = subprocess.run([str(ROOT / "scripts" / "ensure-kubectl")], capture_output=True,
                            text=True, timeout=300, check=False)
    if result.returncode != 0 or not result.stdout.strip():
        pytest.fail(f"scripts/ensure-kubectl could not provide kubectl "
                    f"(exit {result.returncode}): {result.stderr.strip()}")
    return result.stdout.strip().splitlines()[-1]


WIDGET_CRD: dict[str, Any] = {
    "apiVersion": "apiextensions.k8s.io/v1",
    "kind": "CustomResourceDefinition",
    "metadata": {"name": "widgets.example.com"},
    "spec": {
        "group": "example.com",
        "scope": "Namespaced",
        "names": {"plural": "widgets", "singular": "widget", "kind": "Widget",
                  "shortNames": ["wd"]},
        "versions": [{
            "name": "v1", "served": True, "storage": True,
            "subresources": {"status": {}},
            "additionalPrinterColumns": [
                {"name": "Size", "type": "integer", "jsonPath": ".spec.size"}],
            "schema": {"openAPIV3Schema": {
                "type": "object",
                "properties": {
                    "spec": {"type": "object", "properties": {
                        "size": {"type": "integer", "minimum": 1},
                        "color": {"type": "string", "enum": ["red", "blue"]},
                    }},
                    "status": {"type": "object", "properties": {
                        "phase": {"type": "string"}}},
                },
            }},
        }],
    },
}
"""A small CRD with a status subresource, a schema and a printer column."""


@pytest.fixture
def widget_crd() -> dict[str, Any]:
    """A fresh copy of the Widget CRD manifest (not created)."""
    return copy.deepcopy(WIDGET_CRD)


@pytest.fixture
def widgets(server: ApiServer) -> Iterator[dict[str, Any]]:
    """The Widget CRD, created for one test and deleted after it."""
    status, body = raw_http(server, "POST",
                            "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", WIDGET_CRD)
    assert status == 201, body
    yield body
    raw_http(server, "DELETE", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions/"
                               "widgets.example.com")
