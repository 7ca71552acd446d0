"""The resource types the server serves: the built-in table and the registry CRDs extend.

A :class:`ResourceType` holds what discovery reports about a resource and what the store needs
to treat it right: its scope, whether it has a ``status`` subresource (which changes how writes
to ``status`` are applied) and whether it tracks ``metadata.generation``. The
:class:`Registry` is the one mutable index; creating a CRD adds types to it and deleting the
CRD removes them, so a custom resource is served the moment its CRD is stored.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass, field
from typing import Any

ALL_VERBS: tuple[str, ...] = (
    "create", "delete", "deletecollection", "get", "list", "patch", "update", "watch",
)
"""The verbs of an ordinary resource, in the sorted order discovery lists them."""


@dataclass(frozen=True)
class ResourceType:
    """One served resource at one group/version."""

    group: str
    version: str
    plural: str
    singular: str
    kind: str
    namespaced: bool
    short_names: tuple[str, ...] = ()
    categories: tuple[str, ...] = ()
    verbs: tuple[str, ...] = ALL_VERBS
    status: bool = False
    """It has a ``/status`` subresource: status is written there and ignored elsewhere."""
    generation: bool = False
    """``metadata.generation`` is set to 1 on create and bumped on spec changes."""
    schema: dict[str, Any] | None = field(default=None, compare=False, hash=False)
    """For a custom resource, its version's ``openAPIV3Schema``."""
    printer_columns: tuple[dict[str, Any], ...] = field(default=(), compare=False, hash=False)
    crd: str | None = None
    """For a custom resource, the name of the CRD that defines it."""

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, ``group/version`` otherwise."""
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def storage_key(self) -> tuple[str, str]:
        """Objects are stored per group and resource, shared by all versions of a CRD."""
        return (self.group, self.plural)

    @property
    def subresources(self) -> tuple[str, ...]:
        """The subresources the server serves for it."""
        names: list[str] = []
        if self.status:
            names.append("status")
        return tuple(names)


def _core(plural: str, kind: str, *, namespaced: bool = True, **kw: Any) -> ResourceType:
    return ResourceType("", "v1", plural, kind.lower(), kind, namespaced, **kw)


def _apps(plural: str, kind: str, short: tuple[str, ...]) -> ResourceType:
    return ResourceType("apps", "v1", plural, kind.lower(), kind, True, short_names=short,
                        categories=("all",), status=True, generation=True)


BUILTINS: tuple[ResourceType, ...] = (
    _core("namespaces", "Namespace", namespaced=False, short_names=("ns",), status=True,
          verbs=("create", "delete", "get", "list", "patch", "update", "watch")),
    _core("configmaps", "ConfigMap", short_names=("cm",)),
    _core("secrets", "Secret"),
    _core("services", "Service", short_names=("svc",), categories=("all",), status=True),
    _core("serviceaccounts", "ServiceAccount", short_names=("sa",)),
    _core("pods", "Pod", short_names=("po",), categories=("all",), status=True),
    _core("events", "Event", short_names=("ev",)),
    _apps("deployments", "Deployment", ("deploy",)),
    _apps("statefulsets", "StatefulSet", ("sts",)),
    _apps("replicasets", "ReplicaSet", ("rs",)),
    _apps("daemonsets", "DaemonSet", ("ds",)),
    ResourceType("batch", "v1", "jobs", "job", "Job", True, categories=("all",), status=True,
                 generation=True),
    ResourceType("coordination.k8s.io", "v1", "leases", "lease", "Lease", True),
    ResourceType("events.k8s.io", "v1", "events", "event", "Event", True, short_names=("ev",)),
    ResourceType("apiextensions.k8s.io", "v1", "customresourcedefinitions",
                 "customresourcedefinition", "CustomResourceDefinition", False,
                 short_names=("crd", "crds"), categories=("api-extensions",), status=True,
                 generation=True),
)

CRD_KEY = ("apiextensions.k8s.io", "customresourcedefinitions")
NAMESPACE_KEY = ("", "namespaces")

_VERSION_RE = re.compile(r"^v(\d+)(?:(alpha|beta)(\d+))?$")


def version_priority(version: str) -> tuple[int, int, int, str]:
    """Sort key giving Kubernetes' version priority: GA > beta > alpha > others, newest first."""
    match = _VERSION_RE.match(version)
    if match is None:
        return (3, 0, 0, version)
    major, stage, minor = int(match[1]), match[2], int(match[3] or 0)
    rank = {None: 0, "beta": 1, "alpha": 2}[stage]
    return (rank, -major, -minor, version)


class Registry:
    """Every served resource type, indexed by group/version/plural; thread-safe."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._types: dict[tuple[str, str, str], ResourceType] = {}
        for rt in BUILTINS:
            self._types[(rt.group, rt.version, rt.plural)] = rt

    def get(self, group: str, version: str, plural: str) -> ResourceType | None:
        """The type served at this path, or None."""
        with self._lock:
            return self._types.get((group, version, plural))

    def all(self) -> list[ResourceType]:
        """A snapshot of every served type."""
        with self._lock:
            return list(self._types.values())

    def versions_of(self, group: str, plural: str) -> list[ResourceType]:
        """Every served version of one resource."""
        return [rt for rt in self.all() if rt.group == group and rt.plural == plural]

    def replace_crd(self, crd_name: str, types: list[ResourceType]) -> None:
        """Serve exactly ``types`` for a CRD, dropping whatever it served before."""
        with self._lock:
            for key in [k for k, rt in self._types.items() if rt.crd == crd_name]:
                del self._types[key]
            for rt in types:
                self._types[(rt.group, rt.version, rt.plural)] = rt

    def by_kind(self, api_version: str, kind: str) -> ResourceType | None:
        """The type with this apiVersion and kind (used to resolve ownerReferences)."""
        for rt in self.all():
            if rt.api_version == api_version and rt.kind == kind:
                return rt
        return None


def types_for_crd(crd: dict[str, Any]) -> list[ResourceType]:
    """The resource types a (valid) CRD object serves, one per served version."""
    spec = crd["spec"]
    names = spec["names"]
    out: list[ResourceType] = []
    for version in spec.get("versions", []):
        if not version.get("served", True):
            continue
        subresources = version.get("subresources") or {}
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        out.append(ResourceType(
            group=spec["group"],
            version=version["name"],
            plural=names["plural"],
            singular=names.get("singular") or names["kind"].lower(),
            kind=names["kind"],
            namespaced=spec.get("scope", "Namespaced") == "Namespaced",
            short_names=tuple(names.get("shortNames") or ()),
            categories=tuple(names.get("categories") or ()),
            status="status" in subresources,
            generation=True,
            schema=schema,
            printer_columns=tuple(version.get("additionalPrinterColumns") or ()),
            crd=crd["metadata"]["name"],
        ))
    return out
