"""Request paths parsed as the real server's RequestInfoFactory parses them."""

from __future__ import annotations

import pytest

from reconciler.testing.apiserver import ApiError, routing


@pytest.mark.parametrize(("path", "expected"), [
    ("/api/v1/namespaces", ("", "v1", "", "namespaces", "", "")),
    ("/api/v1/namespaces/default", ("", "v1", "", "namespaces", "default", "")),
    ("/api/v1/namespaces/default/status", ("", "v1", "", "namespaces", "default", "status")),
    ("/api/v1/namespaces/default/pods", ("", "v1", "default", "pods", "", "")),
    ("/api/v1/namespaces/ns/pods/p/status", ("", "v1", "ns", "pods", "p", "status")),
    ("/apis/apps/v1/deployments", ("apps", "v1", "", "deployments", "", "")),
    ("/apis/example.com/v1/namespaces/a/widgets/w", ("example.com", "v1", "a", "widgets",
                                                     "w", "")),
])
def test_resource_paths(path: str, expected: tuple[str, ...]) -> None:
    """Group, version, namespace, resource, name and subresource come out of the path."""
    target = routing.parse_resource_path(path)
    assert target is not None
    assert (target.group, target.version, target.namespace, target.resource, target.name,
            target.subresource) == expected


@pytest.mark.parametrize("path", ["/", "/api", "/apis/apps", "/foo/bar",
                                  "/api/v1/namespaces/a/pods/b/status/extra"])
def test_non_resource_paths(path: str) -> None:
    """Paths that name no resource are recognised as such."""
    assert routing.parse_resource_path(path) is None


def test_query_values_are_typed_and_checked() -> None:
    """Booleans and integers parse like Go's; bad values are 400."""
    query = routing.Query("watch=1&limit=5&labelSelector=a%3Db&bad=x")
    assert query.flag("watch") is True and query.number("limit") == 5
    assert query.text("labelSelector") == "a=b" and query.flag("absent") is False
    with pytest.raises(ApiError) as err:
        query.flag("bad")
    assert err.value.code == 400
    with pytest.raises(ApiError):
        routing.Query("limit=-1").number("limit")
