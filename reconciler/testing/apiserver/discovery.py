"""Discovery documents: ``/version``, ``/api``, ``/apis`` and the per-version resource lists.

Clients build their whole view of the server from these (kubectl's ``api-resources`` and its
short names, the dynamic client's resource lookup, kopf's scanning of CRDs), so they are
computed from the live :class:`~.resources.Registry` on every request: a CRD created a moment
ago is listed at once, and one deleted is gone.

Only the ``status`` subresource is listed, because it is the only one served (no ``scale``,
``log``, ``exec`` ...). Aggregated discovery (``apidiscovery.k8s.io/v2``) is not offered; the
server always answers with the classic documents, which every client falls back to.
"""

from __future__ import annotations

import base64
import hashlib
from typing import Any

from reconciler.testing.apiserver import resources

JsonObj = dict[str, Any]

KUBERNETES_MINOR = 30
"""The Kubernetes minor version the server reports and validates built-in kinds against."""


def version_info() -> JsonObj:
    """The ``/version`` document."""
    return {
        "major": "1",
        "minor": str(KUBERNETES_MINOR),
        "gitVersion": f"v1.{KUBERNETES_MINOR}.0+reconciler",
        "gitCommit": "0000000000000000000000000000000000000000",
        "gitTreeState": "clean",
        "buildDate": "2024-01-01T00:00:00Z",
        "goVersion": "go1.22.0",
        "compiler": "gc",
        "platform": "linux/amd64",
    }


def core_versions(server_address: str) -> JsonObj:
    """The ``/api`` document."""
    return {
        "kind": "APIVersions",
        "versions": ["v1"],
        "serverAddressByClientCIDRs": [
            {"clientCIDR": "0.0.0.0/0", "serverAddress": server_address}
        ],
    }


def _groups(registry: resources.Registry) -> dict[str, list[str]]:
    """Each non-core group and its versions, by Kubernetes version priority."""
    groups: dict[str, set[str]] = {}
    for rt in registry.all():
        if rt.group:
            groups.setdefault(rt.group, set()).add(rt.version)
    return {g: sorted(vs, key=resources.version_priority) for g, vs in sorted(groups.items())}


def _group(name: str, versions: list[str]) -> JsonObj:
    entries = [{"groupVersion": f"{name}/{v}", "version": v} for v in versions]
    return {"name": name, "versions": entries, "preferredVersion": entries[0]}


def group_list(registry: resources.Registry) -> JsonObj:
    """The ``/apis`` document."""
    return {
        "kind": "APIGroupList",
        "apiVersion": "v1",
        "groups": [_group(g, vs) for g, vs in _groups(registry).items()],
    }


def group(registry: resources.Registry, name: str) -> JsonObj | None:
    """The ``/apis/{group}`` document, or None if the group is not served."""
    versions = _groups(registry).get(name)
    if versions is None:
        return None
    return {"kind": "APIGroup", "apiVersion": "v1", **_group(name, versions)}


def resource_list(registry: resources.Registry, group_name: str, version: str) -> JsonObj | None:
    """The ``APIResourceList`` of one group/version, or None if it is not served."""
    types = [rt for rt in registry.all() if rt.group == group_name and rt.version == version]
    if not types:
        return None
    listed: list[JsonObj] = []
    for rt in sorted(types, key=lambda t: t.plural):
        entry: JsonObj = {
            "name": rt.plural,
            "singularName": rt.singular,
            "namespaced": rt.namespaced,
            "kind": rt.kind,
            "verbs": list(rt.verbs),
            "storageVersionHash": _hash(rt),
        }
        if rt.short_names:
            entry["shortNames"] = list(rt.short_names)
        if rt.categories:
            entry["categories"] = list(rt.categories)
        listed.append(entry)
        for sub in rt.subresources:
            listed.append({
                "name": f"{rt.plural}/{sub}",
                "singularName": "",
                "namespaced": rt.namespaced,
                "kind": rt.kind,
                "verbs": ["get", "patch", "update"],
            })
    return {
        "kind": "APIResourceList",
        "apiVersion": "v1",
        "groupVersion": rt.api_version,
        "resources": listed,
    }


def _hash(rt: resources.ResourceType) -> str:
    """A stable stand-in for storageVersionHash (clients only compare it for equality)."""
    digest = hashlib.sha256(f"{rt.group}/{rt.version}/{rt.kind}".encode()).digest()
    return base64.b64encode(digest[:8]).decode()
