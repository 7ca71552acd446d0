"""Kubernetes label selectors, parsed once and matched against an object's labels.

The grammar is the API server's (``k8s.io/apimachinery/pkg/labels``): comma-separated
requirements, each ``key``, ``!key``, ``key=value``, ``key==value``, ``key!=value``,
``key in (a,b)`` or ``key notin (a,b)``. A selector used for scoping is also sent to the API
server as ``labelSelector``; parsing it here first turns a typo into an error at start-up.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from reconciler import errors

_KEY = r"[A-Za-z0-9]([-A-Za-z0-9_./]*[A-Za-z0-9])?"
_VALUE = r"([A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?)?"
_SET = re.compile(rf"^\s*({_KEY})\s+(in|notin)\s*\(([^)]*)\)\s*")
_EQ = re.compile(rf"^\s*({_KEY})\s*(==|=|!=)\s*({_VALUE})\s*")
_EXISTS = re.compile(rf"^\s*(!?)\s*({_KEY})\s*")
_VALUE_RE = re.compile(rf"^{_VALUE}$")


@dataclass(frozen=True)
class Requirement:
    """One clause of a selector: ``key`` ``operator`` ``values``."""

    key: str
    operator: str
    """One of ``exists``, ``!``, ``=``, ``!=``, ``in``, ``notin``."""
    values: frozenset[str] = frozenset()

    def matches(self, labels: Mapping[str, str]) -> bool:
        """Whether ``labels`` satisfy this requirement."""
        present = self.key in labels
        if self.operator == "exists":
            return present
        if self.operator == "!":
            return not present
        if self.operator in ("=", "in"):
            return present and labels[self.key] in self.values
        return not present or labels[self.key] not in self.values


@dataclass(frozen=True)
class Selector:
    """A parsed selector; the empty selector matches everything."""

    text: str
    requirements: tuple[Requirement, ...]

    def matches(self, labels: Mapping[str, str] | None) -> bool:
        """Whether an object with ``labels`` is selected."""
        found = labels or {}
        return all(r.matches(found) for r in self.requirements)


def parse(text: str) -> Selector:
    """Parse ``text``; raises :class:`~reconciler.errors.ConfigError` quoting the bad part."""
    if not isinstance(text, str):
        raise errors.ConfigError(f"a label selector must be a string, got {text!r}")
    rest, found = text.strip(), []
    while rest:
        if match := _SET.match(rest):
            values = [v.strip() for v in match.group(4).split(",")]
            if not values or not all(v and _VALUE_RE.match(v) for v in values):
                raise errors.ConfigError(
                    f"label selector {text!r}: bad value list ({match.group(4)})"
                )
            found.append(Requirement(match.group(1), match.group(3), frozenset(values)))
        elif match := _EQ.match(rest):
            operator = "=" if match.group(3) in ("=", "==") else "!="
            found.append(Requirement(match.group(1), operator, frozenset([match.group(4)])))
        elif match := _EXISTS.match(rest):
            found.append(Requirement(match.group(2), "!" if match.group(1) else "exists"))
        else:
            raise errors.ConfigError(f"label selector {text!r}: cannot parse {rest!r}")
        rest = rest[match.end():]
        if rest.startswith(","):
            rest = rest[1:].lstrip()
            if not rest:
                raise errors.ConfigError(f"label selector {text!r}: trailing comma")
        elif rest:
            raise errors.ConfigError(f"label selector {text!r}: expected ',' before {rest!r}")
    return Selector(text, tuple(found))
