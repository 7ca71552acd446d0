"""Label and field selectors, parsed once per request and matched against plain dicts.

Label selectors take the full grammar of ``k8s.io/apimachinery/pkg/labels``: ``=``, ``==``,
``!=``, ``in (...)``, ``notin (...)``, ``key`` (exists) and ``!key`` (does not exist), joined
by commas. Field selectors take ``=``, ``==`` and ``!=`` on the fields each resource supports;
like the real server, asking for any other field is a 400 naming it, rather than a silent
match-nothing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.testing.apiserver import status

JsonObj = dict[str, Any]
Matcher = Callable[[JsonObj], bool]

_KEY = re.compile(
    r"^([a-z0-9A-Z]([-a-z0-9A-Z.]*[a-z0-9A-Z])?/)?[a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?$")
_VALUE = re.compile(r"^([a-zA-Z0-9]([-_.a-zA-Z0-9]*[a-zA-Z0-9])?)?$")
_TOKEN = re.compile(r"\s*(!=|==|=|\(|\)|,|!|[^\s!=(),]+)")


@dataclass(frozen=True)
class Requirement:
    """One term of a label selector."""

    key: str
    op: str  # "=", "!=", "in", "notin", "exists", "!exists"
    values: tuple[str, ...] = ()

    def matches(self, labels: dict[str, str]) -> bool:
        """Whether ``labels`` satisfy this term."""
        has = self.key in labels
        if self.op == "exists":
            return has
        if self.op == "!exists":
            return not has
        if self.op in ("=", "in"):
            return has and labels[self.key] in self.values
        # "!=" and "notin" match objects that lack the key, as in Kubernetes.
        return not has or labels[self.key] not in self.values


def _check_key(key: str, text: str) -> str:
    if not _KEY.match(key) or len(key.rsplit("/", 1)[-1]) > 63:
        raise status.bad_request(f'unable to parse requirement: invalid label key "{key}" '
                                 f'in selector "{text}"')
    return key


def _check_value(value: str, text: str) -> str:
    if len(value) > 63 or not _VALUE.match(value):
        raise status.bad_request(f'unable to parse requirement: invalid label value "{value}" '
                                 f'in selector "{text}"')
    return value


def parse_labels(text: str) -> list[Requirement]:
    """Parse a label selector; a malformed one raises a 400 ``ApiError`` quoting it."""
    tokens = [m.group(1) for m in _TOKEN.finditer(text) if m.group(1)]
    reqs: list[Requirement] = []
    i = 0

    def fail(why: str) -> status.ApiError:
        return status.bad_request(f'unable to parse requirement: {why} in selector "{text}"')

    while i < len(tokens):
        if tokens[i] == "!":
            if i + 1 >= len(tokens):
                raise fail("expected a key after '!'")
            reqs.append(Requirement(_check_key(tokens[i + 1], text), "!exists"))
            i += 2
        else:
            key = _check_key(tokens[i], text)
            nxt = tokens[i + 1] if i + 1 < len(tokens) else ","
            if nxt == ",":
                reqs.append(Requirement(key, "exists"))
                i += 1
            elif nxt in ("=", "==", "!="):
                value = tokens[i + 2] if i + 2 < len(tokens) else ""
                if value in (",", "(", ")", "=", "!=", "==", "!"):
                    value, i = "", i - 1
                op = "!=" if nxt == "!=" else "="
                reqs.append(Requirement(key, op, (_check_value(value, text),)))
                i += 3
            elif nxt in ("in", "notin"):
                if i + 2 >= len(tokens) or tokens[i + 2] != "(":
                    raise fail(f"expected '(' after '{nxt}'")
                j, values = i + 3, []
                while j < len(tokens) and tokens[j] != ")":
                    if tokens[j] != ",":
                        values.append(_check_value(tokens[j], text))
                    j += 1
                if j >= len(tokens):
                    raise fail("expected ')'")
                if not values:
                    raise fail(f"'{nxt}' needs at least one value")
                reqs.append(Requirement(key, nxt, tuple(values)))
                i = j + 1
            else:
                raise fail(f"unexpected '{nxt}' after key '{key}'")
        if i < len(tokens):
            if tokens[i] != ",":
                raise fail(f"expected ',' but found '{tokens[i]}'")
            i += 1
    return reqs


def label_matcher(text: str | None) -> Matcher | None:
    """A predicate over objects for a label selector, or None when there is none."""
    if not text:
        return None
    reqs = parse_labels(text)

    def match(obj: JsonObj) -> bool:
        labels = obj.get("metadata", {}).get("labels") or {}
        return all(r.matches(labels) for r in reqs)

    return match


EVENT_FIELDS = (
    "involvedObject.kind", "involvedObject.namespace", "involvedObject.name",
    "involvedObject.uid", "involvedObject.apiVersion", "involvedObject.resourceVersion",
    "involvedObject.fieldPath", "reason", "reportingComponent", "source", "type",
)
EXTRA_FIELDS: dict[tuple[str, str], tuple[str, ...]] = {
    ("", "events"): EVENT_FIELDS,
    ("events.k8s.io", "events"): (
        "regarding.kind", "regarding.namespace", "regarding.name", "regarding.uid",
        "reason", "type", "reportingController",
    ),
    ("", "pods"): ("spec.nodeName", "spec.restartPolicy", "spec.schedulerName",
                   "spec.serviceAccountName", "status.phase", "status.podIP"),
    ("", "secrets"): ("type",),
    ("", "namespaces"): ("status.phase",),
}


def _field_value(obj: JsonObj, path: str) -> str:
    if path == "source":
        return str((obj.get("source") or {}).get("component", ""))
    cur: Any = obj
    for part in path.split("."):
        cur = cur.get(part) if isinstance(cur, dict) else None
    return "" if cur is None else str(cur)


def field_matcher(text: str | None, storage_key: tuple[str, str]) -> Matcher | None:
    """A predicate for a field selector, or None; unsupported fields raise a 400."""
    if not text:
        return None
    allowed = ("metadata.name", "metadata.namespace", *EXTRA_FIELDS.get(storage_key, ()))
    terms: list[tuple[str, bool, str]] = []
    for raw in text.split(","):
        part = raw.strip()
        if not part:
            continue
        m = re.match(r"^([^!=]+)(!=|==|=)(.*)$", part)
        if m is None:
            raise status.bad_request(f'invalid selector: \'{text}\'; can\'t understand \'{part}\'')
        name, op, value = m.group(1).strip(), m.group(2), m.group(3).strip()
        if name not in allowed:
            raise status.bad_request(f'field label not supported: {name}')
        terms.append((name, op == "!=", value))

    def match(obj: JsonObj) -> bool:
        return all((_field_value(obj, n) != v) if neg else (_field_value(obj, n) == v)
                   for n, neg, v in terms)

    return match
