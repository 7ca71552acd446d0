"""Which REST collection an object lives in: :class:`ResourceRef` and its URL paths.

A ref is what discovery answers for an ``(apiVersion, kind)`` pair. It is a frozen value, so
it can be cached, hashed and shared between threads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from reconciler.kube import errors


@dataclass(frozen=True)
class ResourceRef:
    """A served resource: ``group`` is ``""`` for the core API, ``plural`` the URL segment."""

    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool

    @property
    def api_version(self) -> str:
        """``v1`` for the core group, ``group/version`` otherwise, as in an object's body."""
        return f"{self.group}/{self.version}" if self.group else self.version

    def path(self, namespace: str | None = None, name: str | None = None,
             subresource: str | None = None) -> str:
        """The URL path of the collection, or of one object (and its subresource).

        A namespaced resource without a namespace is the cluster-wide collection, which is
        only valid for list; a cluster-scoped resource refuses a namespace.
        """
        base = f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"
        if self.namespaced and namespace:
            base += f"/namespaces/{quote(namespace, safe='')}"
        elif not self.namespaced and namespace:
            raise errors.InvalidRequestError(
                f"{self.kind} ({self.api_version}) is cluster-scoped; got namespace "
                f"{namespace!r}")
        elif self.namespaced and name is not None:
            raise errors.InvalidRequestError(
                f"{self.kind} ({self.api_version}) is namespaced; a namespace is required "
                f"to address {name!r}")
        path = f"{base}/{self.plural}"
        if name is not None:
            if not name:
                raise errors.InvalidRequestError(f"an empty name for {self.kind}")
            path += f"/{quote(name, safe='')}"
            if subresource:
                path += f"/{subresource}"
        return path


def meta(obj: dict[str, Any]) -> dict[str, Any]:
    """An object's ``metadata`` (empty when missing), for reading."""
    md = obj.get("metadata")
    return md if isinstance(md, dict) else {}
