"""Resolving declared resources against the API server's discovery, once, at start-up.

``Resource("example.com/v1", "Widget")`` or ``Resource("v1", "configmaps")`` becomes the
plural, kind and scope the server serves; a kind the server does not serve fails here with
an :class:`~reconciler.controller.InvalidControllerError` naming the controller and field.
"""

from __future__ import annotations

from reconciler import controller as controller_mod
from reconciler.kube.refs import ResourceRef
from reconciler.watch import http

Served = ResourceRef
"""A resource as served: the same value the worker's API client resolves kinds to."""


def collection_path(served: Served, namespace: str | None) -> str:
    """The list/watch path, in ``namespace`` or across all namespaces (a cluster-scoped
    resource ignores the namespace)."""
    return served.path(namespace if served.namespaced else None)


def object_path(served: Served, key: str) -> str:
    """The path of the object with queue key ``namespace/name`` (or ``name``)."""
    namespace, _, name = key.rpartition("/")
    return served.path(namespace if served.namespaced and namespace else None, name)


class Discovery:
    """Caches one discovery document per group/version."""

    def __init__(self, client: http.KubeHttp) -> None:
        self.client = client
        self._docs: dict[str, list[dict[str, object]]] = {}

    def find(self, resource: controller_mod.Resource) -> Served | None:
        """The served resource whose kind or plural is ``resource.kind``, or ``None``."""
        api_version = resource.api_version
        if api_version not in self._docs:
            path = f"/apis/{api_version}" if resource.group else f"/api/{api_version}"
            try:
                doc = self.client.get(path)
            except http.ApiStatusError as exc:
                if exc.code != 404:
                    raise
                doc = {"resources": []}
            self._docs[api_version] = list(doc.get("resources") or [])
        for entry in self._docs[api_version]:
            name = str(entry.get("name", ""))
            if "/" in name:
                continue
            if resource.kind in (entry.get("kind"), name):
                return Served(resource.group, resource.version, name, str(entry.get("kind")),
                              bool(entry.get("namespaced")))
        return None

    def resolve(self, controller: controller_mod.Controller, field: str,
                resource: controller_mod.Resource) -> Served:
        """Like :meth:`find`, raising an error that names ``controller`` and ``field``."""
        served = self.find(resource)
        if served is None:
            raise controller_mod.InvalidControllerError(
                f"controller {controller.name!r}: field {field!r}: the API server serves no "
                f"kind or resource {resource.kind!r} in {resource.api_version!r}")
        return served
