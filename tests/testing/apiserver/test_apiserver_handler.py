"""The HTTP layer never answers bad input with a 500: property tests over real HTTP."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reconciler.testing.apiserver import ApiServer

JSON = st.recursive(
    st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=6),
    lambda children: st.lists(children, max_size=3)
    | st.dictionaries(st.sampled_from(["metadata", "name", "spec", "data", "labels", "status",
                                       "finalizers", "kind", "apiVersion", "op", "path",
                                       "value", "$patch", "containers", "generateName"]),
                      children, max_size=4),
    max_leaves=12,
)

PATHS = [
    "/api/v1/namespaces/default/configmaps",
    "/apis/apps/v1/namespaces/default/deployments",
    "/apis/coordination.k8s.io/v1/namespaces/default/leases",
    "/apis/apiextensions.k8s.io/v1/customresourcedefinitions",
]
PATCH_TYPES = ["application/merge-patch+json", "application/json-patch+json",
               "application/strategic-merge-patch+json"]
SLOW = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


@SLOW
@given(body=JSON, path=st.sampled_from(PATHS))
def test_create_with_arbitrary_json_is_never_a_500(http: Any, body: Any, path: str) -> None:
    """Any JSON body POSTed to a collection gets a 2xx or a 4xx Status, never a 5xx."""
    code, reply = http("POST", path, json.dumps(body).encode())
    assert code < 500, reply
    if code >= 400:
        assert reply["kind"] == "Status" and reply["code"] == code and reply["message"]


@SLOW
@given(body=JSON, content_type=st.sampled_from(PATCH_TYPES))
def test_patch_with_arbitrary_json_is_never_a_500(server: ApiServer, http: Any, body: Any,
                                                  content_type: str) -> None:
    """Any JSON patch of any patch type gets a 2xx or a 4xx Status, never a 5xx."""
    http("POST", "/api/v1/namespaces/default/configmaps", {"metadata": {"name": "target"}})
    code, reply = http("PATCH", "/api/v1/namespaces/default/configmaps/target",
                       json.dumps(body).encode(), content_type=content_type)
    assert code < 500, reply
