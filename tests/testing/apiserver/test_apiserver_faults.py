"""Fault injection and request recording, through Python and through the admin endpoints."""

from __future__ import annotations

import time
from typing import Any

import pytest
from kubernetes import client

from reconciler.testing.apiserver import ApiServer


def test_fail_next_n_matching_requests(server: ApiServer, core: client.CoreV1Api,
                                       namespace: str) -> None:
    """fail(times=2) fails exactly the next two matching requests, then lets them through."""
    server.faults.fail(500, verb="create", resource="configmaps", times=2)
    core.list_namespaced_config_map(namespace)  # another verb is unaffected
    for _ in range(2):
        with pytest.raises(client.ApiException) as err:
            core.create_namespaced_config_map(namespace, {"metadata": {"name": "f"}})
        assert err.value.status == 500 and '"reason":"InternalError"' in err.value.body
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "f"}})


def test_429_carries_retry_after(server: ApiServer, http: Any, namespace: str) -> None:
    """A 429 fault has the Retry-After header's value in its Status details."""
    server.faults.fail(429, verb="list", resource="configmaps", retry_after=3)
    code, body = http("GET", f"/api/v1/namespaces/{namespace}/configmaps")
    assert code == 429 and body["reason"] == "TooManyRequests"
    assert body["details"]["retryAfterSeconds"] == 3


def test_fraction_fails_some_requests(server: ApiServer, http: Any, namespace: str) -> None:
    """A fraction of 1.0 fails every match and 0.0 fails none."""
    server.faults.fail(503, verb="get", resource="namespaces", fraction=1.0)
    assert http("GET", f"/api/v1/namespaces/{namespace}")[0] == 503
    assert http("GET", f"/api/v1/namespaces/{namespace}")[0] == 503
    server.faults.clear()
    server.faults.fail(503, verb="get", resource="namespaces", fraction=0.0)
    assert http("GET", f"/api/v1/namespaces/{namespace}")[0] == 200
    server.faults.clear()


def test_latency_slows_matching_requests(server: ApiServer, http: Any, namespace: str) -> None:
    """add_latency delays matching requests by at least that long."""
    server.faults.add_latency(0.3, verb="list")
    start = time.monotonic()
    assert http("GET", f"/api/v1/namespaces/{namespace}/configmaps")[0] == 200
    assert time.monotonic() - start >= 0.3
    server.faults.clear()


def test_requests_are_recorded_with_verb_resource_and_code(server: ApiServer,
                                                           core: client.CoreV1Api,
                                                           namespace: str) -> None:
    """Every API request is recorded with its verb, resource, namespace, name and code."""
    server.faults.clear_requests()
    core.create_namespaced_config_map(namespace, {"metadata": {"name": "r"}})
    with pytest.raises(client.ApiException):
        core.read_namespaced_config_map("absent", namespace)
    seen = [(r.verb, r.resource, r.namespace, r.name, r.code) for r in server.faults.requests]
    assert seen == [("create", "configmaps", namespace, "", 201),
                    ("get", "configmaps", namespace, "absent", 404)]


def test_admin_endpoint_injects_and_clears_faults(http: Any, namespace: str) -> None:
    """POST /_reconciler/faults adds a rule, DELETE removes it, GET shows the rules."""
    code, rule = http("POST", "/_reconciler/faults",
                      {"code": 500, "verb": "create", "resource": "secrets", "times": 1})
    assert code == 200 and rule["times"] == 1
    assert http("GET", "/_reconciler/faults")[1]["faults"][0]["resource"] == "secrets"
    path = f"/api/v1/namespaces/{namespace}/secrets"
    assert http("POST", path, {"metadata": {"name": "s"}})[0] == 500
    assert http("POST", path, {"metadata": {"name": "s"}})[0] == 201
    http("POST", "/_reconciler/faults", {"code": 500, "resource": "secrets"})
    http("DELETE", "/_reconciler/faults")
    assert http("GET", f"{path}/s")[0] == 200


def test_admin_endpoint_rejects_bad_rules_with_400(http: Any) -> None:
    """A malformed admin request is a 400, not a 500."""
    assert http("POST", "/_reconciler/faults", {"verb": "get"})[0] == 400
    assert http("POST", "/_reconciler/faults", {"code": 200})[0] == 400
    assert http("POST", "/_reconciler/faults", {"code": 500, "fraction": 2})[0] == 400


def test_admin_endpoint_compacts_cuts_watches_and_lists_requests(http: Any,
                                                                 namespace: str) -> None:
    """The admin endpoints compact history, cut watches and return recorded requests."""
    code, doc = http("GET", f"/api/v1/namespaces/{namespace}/configmaps")
    old = doc["metadata"]["resourceVersion"]
    http("POST", f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {"name": "c"}})
    code, compacted = http("POST", "/_reconciler/compact")
    assert code == 200 and int(compacted["resourceVersion"]) > int(old)
    code, raw = http("GET", f"/api/v1/namespaces/{namespace}/configmaps?watch=1"
                            f"&resourceVersion={old}")
    assert code == 200 and raw["object"]["code"] == 410
    code, cut = http("POST", "/_reconciler/cut-watches")
    assert code == 200 and cut["cut"] >= 0
    code, recorded = http("GET", "/_reconciler/requests")
    assert any(r["verb"] == "watch" for r in recorded["requests"])


def test_python_controls_validate_their_arguments(server: ApiServer) -> None:
    """Bad fault parameters raise ValueError in Python."""
    with pytest.raises(ValueError):
        server.faults.fail(200)
    with pytest.raises(ValueError):
        server.faults.fail(500, fraction=1.5)
    with pytest.raises(ValueError):
        server.faults.add_latency(-1)
