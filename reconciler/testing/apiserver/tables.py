"""Server-side printing: ``meta.k8s.io/v1`` Tables for clients that ask for them (kubectl).

kubectl asks for ``as=Table`` on ``get`` and prints the columns the server chooses. Built-in
kinds get the ``NAME`` and ``AGE`` columns only (the real server prints richer, kind-specific
columns, e.g. a pod's ``READY`` and ``STATUS``). Custom resources get their CRD's
``additionalPrinterColumns``, evaluated with simple ``.a.b[0].c`` JSONPaths, then ``AGE``.
"""

from __future__ import annotations

import datetime
import re
from typing import Any

from reconciler.testing.apiserver import resources

JsonObj = dict[str, Any]


def wants_table(accept: str) -> bool:
    """Whether the Accept header asks for a Table."""
    return "as=Table" in accept


def age(timestamp: str | None) -> str:
    """A creation timestamp as kubectl shows ages: ``5s``, ``3m2s``, ``4h``, ``2d``."""
    if not timestamp:
        return "<unknown>"
    then = datetime.datetime.strptime(timestamp, "%Y-%m-%dT%H:%M:%SZ").replace(
        tzinfo=datetime.UTC)
    seconds = max(0, int((datetime.datetime.now(datetime.UTC) - then).total_seconds()))
    if seconds < 120:
        return f"{seconds}s"
    minutes = seconds // 60
    if minutes < 10:
        return f"{minutes}m{seconds % 60}s" if seconds % 60 else f"{minutes}m"
    if minutes < 180:
        return f"{minutes}m"
    hours = minutes // 60
    return f"{hours}h" if hours < 48 else f"{hours // 24}d"


def json_path(obj: Any, path: str) -> Any:
    """Evaluate a simple JSONPath such as ``.spec.replicas`` or ``.status.conditions[0].type``."""
    cur = obj
    for name, index in re.findall(r"\.([^.\[\]]+)|\[(\d+)\]", path):
        if name:
            cur = cur.get(name) if isinstance(cur, dict) else None
        else:
            cur = cur[int(index)] if isinstance(cur, list) and int(index) < len(cur) else None
        if cur is None:
            return None
    return cur


def _columns(rt: resources.ResourceType) -> list[JsonObj]:
    columns = [{"name": "Name", "type": "string", "format": "name", "priority": 0,
                "description": "Name must be unique within a namespace."}]
    for col in rt.printer_columns:
        columns.append({"name": col["name"], "type": col.get("type", "string"),
                        "format": col.get("format", ""), "priority": col.get("priority", 0),
                        "description": col.get("description", "")})
    if not any(c["name"] == "Age" for c in columns):
        columns.append({"name": "Age", "type": "date", "format": "", "priority": 0,
                        "description": "CreationTimestamp is a timestamp representing the "
                                       "server time when this object was created."})
    return columns


def _cell(obj: JsonObj, column: JsonObj) -> Any:
    value = json_path(obj, column["jsonPath"])
    if value is None:
        return None
    if column.get("type") == "date":
        return age(str(value))
    return value


def render(rt: resources.ResourceType, items: list[JsonObj],
           registry: resources.Registry) -> JsonObj:
    """A Table of ``items`` with rows carrying their objects' metadata."""
    rows = []
    for obj in items:
        cells: list[Any] = [obj["metadata"]["name"]]
        cells += [_cell(obj, col) for col in rt.printer_columns]
        if not any(c["name"] == "Age" for c in rt.printer_columns):
            cells.append(age(obj["metadata"].get("creationTimestamp")))
        rows.append({"cells": cells, "object": {
            "kind": "PartialObjectMetadata", "apiVersion": "meta.k8s.io/v1",
            "metadata": obj["metadata"]}})
    return {"kind": "Table", "apiVersion": "meta.k8s.io/v1", "metadata": {},
            "columnDefinitions": _columns(rt), "rows": rows}
