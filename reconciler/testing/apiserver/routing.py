"""Request paths and query strings, parsed into what the request is about.

Follows ``k8s.io/apiserver/pkg/endpoints/request.RequestInfoFactory``: ``/api/v1/...`` is the
core group, ``/apis/{group}/{version}/...`` the others; ``namespaces/{ns}/`` scopes the request,
except that ``namespaces/{name}/status`` and ``/finalize`` are subresources of a namespace.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import parse_qs

from reconciler.testing.apiserver import status

NAMESPACE_SUBRESOURCES = ("status", "finalize")


@dataclass(frozen=True)
class Target:
    """A resource request: group/version, namespace, resource, name and subresource."""

    group: str
    version: str
    namespace: str
    resource: str
    name: str
    subresource: str


def parse_resource_path(path: str) -> Target | None:
    """The resource a path names, or None for a path that is not a resource path."""
    parts = [p for p in path.split("/") if p]
    if len(parts) >= 2 and parts[0] == "api":
        group, version, rest = "", parts[1], parts[2:]
    elif len(parts) >= 3 and parts[0] == "apis":
        group, version, rest = parts[1], parts[2], parts[3:]
    else:
        return None
    if not rest:
        return None
    namespace = ""
    if rest[0] == "namespaces" and len(rest) > 2 and rest[2] not in NAMESPACE_SUBRESOURCES:
        namespace, rest = rest[1], rest[2:]
    if len(rest) > 3:
        return None
    resource = rest[0]
    name = rest[1] if len(rest) > 1 else ""
    sub = rest[2] if len(rest) > 2 else ""
    return Target(group, version, namespace, resource, name, sub)


class Query:
    """The query string, with typed accessors that answer 400 on bad values."""

    def __init__(self, raw: str) -> None:
        self.raw = raw
        self._values = {k: v[-1] for k, v in parse_qs(raw, keep_blank_values=True).items()}

    def text(self, name: str, default: str = "") -> str:
        """A string parameter."""
        return self._values.get(name, default)

    def flag(self, name: str) -> bool:
        """A boolean parameter (``true``/``1`` are true, as Go's ``strconv.ParseBool``)."""
        value = self._values.get(name, "false").lower()
        if value in ("1", "t", "true"):
            return True
        if value in ("", "0", "f", "false"):
            return False
        raise status.bad_request(f'invalid boolean value for "{name}": "{value}"')

    def number(self, name: str, default: int = 0) -> int:
        """A non-negative integer parameter."""
        value = self._values.get(name)
        if value is None or value == "":
            return default
        try:
            number = int(value)
        except ValueError:
            number = -1
        if number < 0:
            raise status.bad_request(f'invalid value for "{name}": "{value}" is not a '
                                     f"non-negative integer")
        return number
