"""Validation: names, built-in schemas, CRD schemas and CRDs themselves, all as 422 Invalid."""

from __future__ import annotations

from typing import Any


def _causes(body: dict[str, Any]) -> dict[str, str]:
    return {c["field"]: c["reason"] for c in body["details"]["causes"]}


def test_invalid_name_is_422_on_metadata_name(http: Any, namespace: str) -> None:
    """A name that is not a DNS-1123 subdomain is 422 Invalid naming metadata.name."""
    code, body = http("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                      {"metadata": {"name": "Not_Valid"}})
    assert code == 422 and body["reason"] == "Invalid"
    assert "metadata.name" in _causes(body)


def test_namespace_names_must_be_labels(http: Any) -> None:
    """Namespace names must be DNS-1123 labels: no dots."""
    code, body = http("POST", "/api/v1/namespaces", {"metadata": {"name": "a.b"}})
    assert code == 422 and "metadata.name" in _causes(body)


def test_missing_name_is_422(http: Any, namespace: str) -> None:
    """An object without name or generateName is 422 with a Required cause."""
    code, body = http("POST", f"/api/v1/namespaces/{namespace}/configmaps", {"metadata": {}})
    assert code == 422 and _causes(body) == {"metadata.name": "FieldValueRequired"}


def test_builtin_kind_checked_against_openapi_schema(http: Any, namespace: str) -> None:
    """A Deployment with a wrongly typed or missing field is 422 naming each field."""
    code, body = http("POST", f"/apis/apps/v1/namespaces/{namespace}/deployments",
                      {"metadata": {"name": "d"}, "spec": {"replicas": "three"}})
    assert code == 422 and body["details"]["kind"] == "Deployment"
    causes = _causes(body)
    assert causes["spec.replicas"] == "FieldValueTypeInvalid"
    assert causes["spec.selector"] == "FieldValueRequired"
    assert causes["spec.template"] == "FieldValueRequired"


def test_nested_field_paths_use_indexes(http: Any, namespace: str) -> None:
    """Causes inside lists name the index, e.g. spec.containers[0].name."""
    code, body = http("POST", f"/api/v1/namespaces/{namespace}/pods",
                      {"metadata": {"name": "p"}, "spec": {"containers": [{"image": "x"}]}})
    assert code == 422 and "spec.containers[0].name" in _causes(body)


def test_strict_field_validation_rejects_unknown_fields(http: Any, namespace: str) -> None:
    """fieldValidation=Strict turns an unknown field into a 422; by default it is accepted."""
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    code, body = http("POST", path + "?fieldValidation=Strict",
                      {"metadata": {"name": "s"}, "dta": {}})
    assert code == 422 and "dta" in body["message"]
    code, _ = http("POST", path, {"metadata": {"name": "s"}, "dta": {}})
    assert code == 201


def test_wrong_kind_in_body_is_400(http: Any, namespace: str) -> None:
    """A body whose kind does not match the URL's resource is a 400."""
    code, body = http("POST", f"/api/v1/namespaces/{namespace}/configmaps",
                      {"kind": "Secret", "apiVersion": "v1", "metadata": {"name": "x"}})
    assert code == 400 and "kind" in body["message"]


def test_custom_resource_checked_against_crd_schema(http: Any, namespace: str,
                                                    widgets: dict[str, Any]) -> None:
    """A custom resource violating its CRD schema is 422 naming the field."""
    base = f"/apis/example.com/v1/namespaces/{namespace}/widgets"
    code, body = http("POST", base, {"apiVersion": "example.com/v1", "kind": "Widget",
                                     "metadata": {"name": "w"},
                                     "spec": {"size": 0, "color": "green"}})
    assert code == 422
    causes = _causes(body)
    assert causes["spec.color"] == "FieldValueNotSupported" and "spec.size" in causes


def test_unknown_custom_resource_fields_are_pruned(http: Any, namespace: str,
                                                   widgets: dict[str, Any]) -> None:
    """Fields a structural schema does not declare are dropped, as the real server does."""
    base = f"/apis/example.com/v1/namespaces/{namespace}/widgets"
    code, body = http("POST", base, {"apiVersion": "example.com/v1", "kind": "Widget",
                                     "metadata": {"name": "w"},
                                     "spec": {"size": 1, "extra": True}})
    assert code == 201 and body["spec"] == {"size": 1}


def test_invalid_crd_is_422(http: Any) -> None:
    """A CRD whose name does not match plural.group and that lacks a schema is refused."""
    code, body = http("POST", "/apis/apiextensions.k8s.io/v1/customresourcedefinitions", {
        "metadata": {"name": "wrong.example.com"},
        "spec": {"group": "example.com", "scope": "Namespaced",
                 "names": {"plural": "things", "kind": "Thing"},
                 "versions": [{"name": "v1", "served": True, "storage": True}]}})
    assert code == 422
    causes = _causes(body)
    assert "metadata.name" in causes and "spec.versions[0].schema.openAPIV3Schema" in causes


def test_adding_finalizers_to_deleted_object_is_refused(http: Any, namespace: str) -> None:
    """No new finalizer can be added once deletionTimestamp is set."""
    path = f"/api/v1/namespaces/{namespace}/configmaps"
    http("POST", path, {"metadata": {"name": "f", "finalizers": ["a.example.com/x"]}})
    http("DELETE", f"{path}/f")
    code, body = http("PATCH", f"{path}/f", {"metadata": {"finalizers": [
        "a.example.com/x", "b.example.com/y"]}}, content_type="application/merge-patch+json")
    assert code == 422 and "metadata.finalizers" in _causes(body)
