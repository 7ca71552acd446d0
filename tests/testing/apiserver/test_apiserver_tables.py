"""Server-side Tables for kubectl: columns, printer columns and ages."""

from __future__ import annotations

import datetime

from reconciler.testing.apiserver import resources, tables


def test_wants_table_reads_the_accept_header() -> None:
    """Only an Accept header asking for as=Table gets a Table."""
    assert tables.wants_table("application/json;as=Table;v=v1;g=meta.k8s.io,application/json")
    assert not tables.wants_table("application/json")


def test_age_formats_like_kubectl() -> None:
    """Ages read like kubectl's: seconds, minutes, hours, days."""
    now = datetime.datetime.now(datetime.UTC)

    def ago(seconds: int) -> str:
        then = now - datetime.timedelta(seconds=seconds)
        return then.strftime("%Y-%m-%dT%H:%M:%SZ")

    assert tables.age(ago(5)) in ("5s", "6s")
    assert tables.age(ago(3 * 3600)).endswith("h")
    assert tables.age(ago(3 * 86400)) == "3d"
    assert tables.age(None) == "<unknown>"


def test_json_path_handles_fields_and_indexes() -> None:
    """Simple JSONPaths reach nested fields and list items; missing parts give None."""
    obj = {"status": {"conditions": [{"type": "Ready"}]}}
    assert tables.json_path(obj, ".status.conditions[0].type") == "Ready"
    assert tables.json_path(obj, ".status.conditions[3].type") is None
    assert tables.json_path(obj, ".spec.x") is None


def test_crd_printer_columns_come_between_name_and_age() -> None:
    """A custom resource's Table has Name, its printer columns, then Age."""
    rt = resources.ResourceType("example.com", "v1", "widgets", "widget", "Widget", True,
                                printer_columns=({"name": "Size", "type": "integer",
                                                  "jsonPath": ".spec.size"},))
    obj = {"metadata": {"name": "w", "creationTimestamp": "2024-01-01T00:00:00Z"},
           "spec": {"size": 3}}
    table = tables.render(rt, [obj], resources.Registry())
    assert [c["name"] for c in table["columnDefinitions"]] == ["Name", "Size", "Age"]
    assert table["rows"][0]["cells"][:2] == ["w", 3]
    assert table["rows"][0]["object"]["kind"] == "PartialObjectMetadata"
