"""The three patch formats: JSON merge (RFC 7386), JSON patch (RFC 6902) and strategic merge.

Strategic merge patch is Kubernetes' own: lists of structs merge item by item on a merge key
instead of being replaced. The real server reads the keys from Go struct tags; here they come
from :data:`MERGE_KEYS`, keyed by field name, which covers the lists controllers and kubectl
patch (containers, env, ports, volumes, volumeMounts, conditions, ownerReferences ...). A list
not in the table is replaced whole, as an ``atomic`` list is. The directives kubectl sends are
honoured: ``$patch: delete|replace|merge``, ``$retainKeys``, ``$deleteFromPrimitiveList/<f>``
and ``$setElementOrder/<f>`` (used to order the merged list).

Custom resources have no Go types, so the real server refuses strategic merge on them with
415; so does this one.
"""

from __future__ import annotations

import copy
from typing import Any

from reconciler.testing.apiserver import status

JsonObj = dict[str, Any]

MERGE_KEYS: dict[str, str] = {
    "containers": "name",
    "initContainers": "name",
    "ephemeralContainers": "name",
    "env": "name",
    "volumes": "name",
    "volumeMounts": "mountPath",
    "volumeDevices": "devicePath",
    "imagePullSecrets": "name",
    "ownerReferences": "uid",
    "conditions": "type",
    "hostAliases": "ip",
    "topologySpreadConstraints": "topologyKey",
    "resourceClaims": "name",
    "readinessGates": "conditionType",
    "secrets": "name",
}
"""Merge key of each list of structs, by field name (as in the Go ``patchMergeKey`` tags)."""

PORT_LISTS = ("ports",)
"""Lists keyed by ``containerPort`` in a container and by ``port`` in a service."""

PRIMITIVE_MERGE_LISTS = ("finalizers",)
"""Lists of scalars that merge as a set union instead of being replaced."""


def merge_patch(target: Any, patch: Any) -> Any:
    """Apply an RFC 7386 JSON merge patch: objects merge, ``null`` deletes, all else replaces."""
    if not isinstance(patch, dict):
        return copy.deepcopy(patch)
    result = dict(target) if isinstance(target, dict) else {}
    for key, value in patch.items():
        if value is None:
            result.pop(key, None)
        else:
            result[key] = merge_patch(result.get(key), value)
    return result


def _pointer(path: str) -> list[str]:
    if path == "":
        return []
    if not path.startswith("/"):
        raise status.bad_request(f'JSON patch path "{path}" does not start with "/"')
    return [p.replace("~1", "/").replace("~0", "~") for p in path[1:].split("/")]


def _parent(doc: Any, parts: list[str], path: str) -> Any:
    cur = doc
    for part in parts[:-1]:
        if isinstance(cur, dict) and part in cur:
            cur = cur[part]
        elif isinstance(cur, list) and part.isdigit() and int(part) < len(cur):
            cur = cur[int(part)]
        else:
            raise _unprocessable(f'doc is missing path: "{path}"')
    return cur


def _unprocessable(message: str) -> status.ApiError:
    return status.ApiError(422, "Invalid", f"the server rejected our request due to an error "
                                           f"in our request: {message}")


def _get(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        return doc
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        return parent[last]
    if isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        return parent[int(last)]
    raise _unprocessable(f'doc is missing path: "{path}"')


def _add(doc: Any, path: str, value: Any, *, replace: bool) -> Any:
    parts = _pointer(path)
    if not parts:
        return value
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict):
        if replace and last not in parent:
            raise _unprocessable(f'doc is missing key: "{path}"')
        parent[last] = value
    elif isinstance(parent, list):
        if last == "-" and not replace:
            parent.append(value)
        elif last.isdigit() and int(last) <= len(parent) - (1 if replace else 0):
            if replace:
                parent[int(last)] = value
            else:
                parent.insert(int(last), value)
        else:
            raise _unprocessable(f'index out of range at "{path}"')
    else:
        raise _unprocessable(f'doc is missing path: "{path}"')
    return doc


def _remove(doc: Any, path: str) -> Any:
    parts = _pointer(path)
    if not parts:
        raise _unprocessable("cannot remove the whole document")
    parent = _parent(doc, parts, path)
    last = parts[-1]
    if isinstance(parent, dict) and last in parent:
        del parent[last]
    elif isinstance(parent, list) and last.isdigit() and int(last) < len(parent):
        del parent[int(last)]
    else:
        raise _unprocessable(f'unable to remove nonexistent key: "{path}"')
    return doc


def json_patch(target: Any, ops: Any) -> Any:
    """Apply an RFC 6902 JSON patch; a bad document is 400, a failing operation 422."""
    if not isinstance(ops, list):
        raise status.bad_request("JSON patch must be a list of operations")
    doc = copy.deepcopy(target)
    for op in ops:
        if not isinstance(op, dict) or "op" not in op or "path" not in op:
            raise status.bad_request(f"invalid JSON patch operation: {op!r}")
        kind, path = op["op"], op["path"]
        if kind in ("add", "replace", "test") and "value" not in op:
            raise status.bad_request(f'JSON patch "{kind}" operation at "{path}" has no value')
        if kind == "add":
            doc = _add(doc, path, copy.deepcopy(op["value"]), replace=False)
        elif kind == "replace":
            doc = _add(doc, path, copy.deepcopy(op["value"]), replace=True)
        elif kind == "remove":
            doc = _remove(doc, path)
        elif kind in ("move", "copy"):
            if "from" not in op:
                raise status.bad_request(f'JSON patch "{kind}" operation has no "from"')
            value = copy.deepcopy(_get(doc, op["from"]))
            if kind == "move":
                doc = _remove(doc, op["from"])
            doc = _add(doc, path, value, replace=False)
        elif kind == "test":
            if _get(doc, path) != op["value"]:
                raise _unprocessable(f'testing value at "{path}" failed')
        else:
            raise status.bad_request(f'unknown JSON patch operation "{kind}"')
    return doc


def _merge_key(field: str, items: list[Any]) -> str | None:
    if field in PORT_LISTS:
        sample = next((i for i in items if isinstance(i, dict)), {})
        return "containerPort" if "containerPort" in sample else "port"
    return MERGE_KEYS.get(field)


def strategic_merge_patch(target: Any, patch: Any) -> Any:
    """Apply a strategic merge patch to a built-in object."""
    if not isinstance(patch, dict):
        raise status.bad_request("strategic merge patch must be a JSON object")
    return _smp_map(target if isinstance(target, dict) else {}, patch)


def _smp_map(target: JsonObj, patch: JsonObj) -> JsonObj:
    directive = patch.get("$patch")
    if directive == "replace":
        return {k: copy.deepcopy(v) for k, v in patch.items() if k != "$patch"}
    if directive == "delete":
        return {}
    result = dict(target)
    retain = patch.get("$retainKeys")
    orders: dict[str, list[Any]] = {}
    for key, value in patch.items():
        if key in ("$patch", "$retainKeys"):
            continue
        if key.startswith("$setElementOrder/"):
            orders[key.split("/", 1)[1]] = value if isinstance(value, list) else []
            continue
        if key.startswith("$deleteFromPrimitiveList/"):
            field = key.split("/", 1)[1]
            if isinstance(result.get(field), list) and isinstance(value, list):
                result[field] = [v for v in result[field] if v not in value]
            continue
        if value is None:
            result.pop(key, None)
        elif isinstance(value, dict):
            old = result.get(key)
            result[key] = _smp_map(old if isinstance(old, dict) else {}, value)
        elif isinstance(value, list):
            result[key] = _smp_list(key, result.get(key), value)
        else:
            result[key] = copy.deepcopy(value)
    if isinstance(retain, list):
        result = {k: v for k, v in result.items() if k in retain}
    for field, order in orders.items():
        if isinstance(result.get(field), list):
            result[field] = _reorder(field, result[field], order)
    return result


def _smp_list(field: str, old: Any, patch: list[Any]) -> list[Any]:
    current = list(old) if isinstance(old, list) else []
    if field in PRIMITIVE_MERGE_LISTS:
        return current + [v for v in patch if v not in current]
    key = _merge_key(field, current + patch)
    if key is None or not all(isinstance(i, dict) for i in patch):
        return [i for i in copy.deepcopy(patch) if not (isinstance(i, dict) and "$patch" in i)]
    if any(isinstance(i, dict) and i.get("$patch") == "replace" for i in patch):
        return [copy.deepcopy(i) for i in patch if "$patch" not in i]
    for item in patch:
        if key not in item:
            raise status.bad_request(f'map in list "{field}" does not contain its merge key '
                                     f'"{key}"')
        index = next((n for n, c in enumerate(current)
                      if isinstance(c, dict) and c.get(key) == item[key]), None)
        if item.get("$patch") == "delete":
            if index is not None:
                del current[index]
        elif index is None:
            current.append(_smp_map({}, item))
        else:
            current[index] = _smp_map(current[index], item)
    return current


def _reorder(field: str, items: list[Any], order: list[Any]) -> list[Any]:
    """Order ``items`` as ``$setElementOrder`` lists them; unlisted items keep their place after."""
    key = _merge_key(field, items)

    def ident(item: Any) -> Any:
        return item.get(key) if key and isinstance(item, dict) else item

    wanted = [ident(o) for o in order]
    ranked = sorted(range(len(items)), key=lambda n: (
        wanted.index(ident(items[n])) if ident(items[n]) in wanted else len(wanted) + n))
    return [items[n] for n in ranked]
