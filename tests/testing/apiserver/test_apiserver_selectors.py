"""Label and field selectors: the parser, the matcher, and lists over HTTP."""

from __future__ import annotations

from typing import Any

import pytest
from kubernetes import client

from reconciler.testing.apiserver import ApiError, selectors


def _labels(text: str, labels: dict[str, str]) -> bool:
    match = selectors.label_matcher(text)
    assert match is not None
    return match({"metadata": {"labels": labels}})


@pytest.mark.parametrize(("text", "labels", "expected"), [
    ("app=web", {"app": "web"}, True),
    ("app==web", {"app": "db"}, False),
    ("app!=web", {}, True),
    ("app!=web", {"app": "web"}, False),
    ("tier in (a, b)", {"tier": "b"}, True),
    ("tier in (a,b)", {}, False),
    ("tier notin (a,b)", {}, True),
    ("tier notin (a,b)", {"tier": "a"}, False),
    ("app", {"app": ""}, True),
    ("!app", {"app": "x"}, False),
    ("!app", {}, True),
    ("app=web,tier in (fe),!legacy", {"app": "web", "tier": "fe"}, True),
    ("example.com/role=x", {"example.com/role": "x"}, True),
])
def test_label_selector_operators(text: str, labels: dict[str, str], expected: bool) -> None:
    """Each label selector operator matches as in Kubernetes."""
    assert _labels(text, labels) is expected


@pytest.mark.parametrize("text", ["app in (a", "=x", "app in ()", "app=(x", "bad key=x"])
def test_malformed_label_selector_is_400(text: str) -> None:
    """A malformed label selector is a 400 quoting the selector."""
    with pytest.raises(ApiError) as err:
        selectors.parse_labels(text)
    assert err.value.code == 400 and text in err.value.message


def test_unsupported_field_is_400_naming_it() -> None:
    """A field selector on an unsupported field is refused, naming the field."""
    with pytest.raises(ApiError) as err:
        selectors.field_matcher("spec.foo=bar", ("", "configmaps"))
    assert err.value.code == 400 and "field label not supported: spec.foo" in err.value.message


def test_list_with_label_selector_over_http(core: client.CoreV1Api, namespace: str) -> None:
    """The server filters lists by label selector."""
    for name, labels in (("a", {"app": "web"}), ("b", {"app": "db"}), ("c", {})):
        core.create_namespaced_config_map(namespace, {"metadata": {"name": name,
                                                                   "labels": labels}})
    names = [i.metadata.name for i in core.list_namespaced_config_map(
        namespace, label_selector="app notin (db)").items]
    assert names == ["a", "c"]


def test_field_selector_on_name_and_namespace(core: client.CoreV1Api, namespace: str) -> None:
    """metadata.name and metadata.namespace field selectors filter cluster-wide lists."""
    for name in ("a", "b"):
        core.create_namespaced_config_map(namespace, {"metadata": {"name": name}})
    items = core.list_config_map_for_all_namespaces(
        field_selector=f"metadata.namespace={namespace},metadata.name!=a").items
    assert [i.metadata.name for i in items] == ["b"]


def test_event_field_selector_on_involved_object(core: client.CoreV1Api,
                                                 namespace: str) -> None:
    """Events can be selected by involvedObject fields, as kubectl describe does."""
    for n, target in enumerate(("pod-a", "pod-b")):
        core.create_namespaced_event(namespace, {
            "metadata": {"name": f"ev{n}"},
            "involvedObject": {"kind": "Pod", "name": target, "namespace": namespace},
            "reason": "Started", "message": "m", "type": "Normal"})
    items = core.list_namespaced_event(
        namespace, field_selector="involvedObject.kind=Pod,involvedObject.name=pod-b").items
    assert [i.metadata.name for i in items] == ["ev1"]


def test_bad_selector_over_http_is_400(http: Any, namespace: str) -> None:
    """A bad selector in a list request is a 400 Status, not a 500."""
    code, body = http("GET", f"/api/v1/namespaces/{namespace}/configmaps?labelSelector=a+in+(")
    assert code == 400 and body["reason"] == "BadRequest"
