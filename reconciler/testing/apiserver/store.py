"""The object store: every object, the global resourceVersion and the rules of each write.

One lock guards everything, and each write is: check, build a new object, bump the global
resourceVersion, store it, publish one change. Stored objects are never mutated afterwards
(a write replaces the dict), so readers may hold them and serialise them without copying.

Objects of every version of one resource share storage (there is no conversion: a CRD's
versions are served with ``apiVersion`` rewritten, as the real server does with conversion
strategy ``None``).
"""

from __future__ import annotations

import base64
import copy
import json
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from reconciler.testing.apiserver import meta, patch, resources, status, validation, watch
from reconciler.testing.apiserver.selectors import Matcher

JsonObj = dict[str, Any]
Key = tuple[str, str]  # (namespace, name); namespace is "" for cluster-scoped objects


@dataclass(frozen=True)
class WriteOptions:
    """Per-request knobs of a write."""

    dry_run: bool = False
    strict_fields: bool = False


class Store:
    """All objects and the history of their changes; thread-safe."""

    def __init__(self, registry: resources.Registry, *, history_size: int = 100_000) -> None:
        self.registry = registry
        self.lock = threading.RLock()
        self.hub = watch.Hub(history_size)
        self._rv = 0
        self._objects: dict[tuple[str, str], dict[Key, JsonObj]] = {}
        self.listeners: list[Callable[[watch.Change], None]] = []
        """Called under the lock after every change (the garbage collector's wake-up)."""

    # -- reading -------------------------------------------------------------------------

    @property
    def resource_version(self) -> int:
        """The resourceVersion of the latest write."""
        return self._rv

    def _bucket(self, rt: resources.ResourceType) -> dict[Key, JsonObj]:
        return self._objects.setdefault(rt.storage_key, {})

    @staticmethod
    def present(rt: resources.ResourceType, obj: JsonObj) -> JsonObj:
        """The stored object as served at ``rt``'s version."""
        if obj.get("apiVersion") == rt.api_version:
            return obj
        return {**obj, "apiVersion": rt.api_version}

    def get(self, rt: resources.ResourceType, namespace: str, name: str) -> JsonObj:
        """One object, or 404."""
        with self.lock:
            obj = self._bucket(rt).get((namespace, name))
        if obj is None:
            raise status.not_found(rt.group, rt.plural, name)
        return self.present(rt, obj)

    def find(self, storage_key: tuple[str, str], namespace: str, name: str) -> JsonObj | None:
        """One stored object by storage key, or None (for the garbage collector)."""
        with self.lock:
            return self._objects.get(storage_key, {}).get((namespace, name))

    def all_objects(self) -> list[tuple[tuple[str, str], JsonObj]]:
        """A snapshot of every stored object with its storage key."""
        with self.lock:
            return [(sk, obj) for sk, bucket in self._objects.items() for obj in bucket.values()]

    def select(self, rt: resources.ResourceType, namespace: str,
               matchers: list[Matcher]) -> tuple[list[JsonObj], int]:
        """Matching objects sorted by namespace and name, and the resourceVersion they are at."""
        with self.lock:
            bucket = self._bucket(rt)
            rv = self._rv
            if namespace:
                items = [o for (ns, _), o in bucket.items() if ns == namespace]
            else:
                items = list(bucket.values())
        items = [o for o in items if all(m(o) for m in matchers)]
        items.sort(key=lambda o: (o["metadata"].get("namespace", ""), o["metadata"]["name"]))
        return items, rv

    def list_doc(self, rt: resources.ResourceType, namespace: str, matchers: list[Matcher], *,
             limit: int = 0, continue_token: str = "") -> JsonObj:
        """A ``<Kind>List`` document with ``limit``/``continue`` paging.

        The continue token records the list's resourceVersion and the last key served. Unlike
        the real server (which serves later pages from the first page's snapshot) later pages
        read the current state after that key.
        """
        start: tuple[str, str] | None = None
        list_rv: int | None = None
        if continue_token:
            try:
                decoded = json.loads(base64.urlsafe_b64decode(continue_token.encode()))
                start = (str(decoded["ns"]), str(decoded["name"]))
                list_rv = int(decoded["rv"])
            except (ValueError, KeyError, TypeError) as exc:
                raise status.bad_request(f"continue key is not valid: {exc}") from exc
            if list_rv < self.hub.compacted_rv:
                raise status.expired("The provided continue parameter is too old to display a "
                                     "consistent list result. You can start a new list without "
                                     "the continue parameter.")
        items, rv = self.select(rt, namespace, matchers)
        if start is not None:
            items = [o for o in items
                     if (o["metadata"].get("namespace", ""), o["metadata"]["name"]) > start]
        list_meta: JsonObj = {"resourceVersion": str(list_rv if list_rv is not None else rv)}
        if limit and len(items) > limit:
            last = items[limit - 1]["metadata"]
            token = {"rv": list_rv if list_rv is not None else rv,
                     "ns": last.get("namespace", ""), "name": last["name"]}
            list_meta["continue"] = base64.urlsafe_b64encode(json.dumps(token).encode()).decode()
            list_meta["remainingItemCount"] = len(items) - limit
            items = items[:limit]
        return {
            "kind": f"{rt.kind}List",
            "apiVersion": rt.api_version,
            "metadata": list_meta,
            "items": [self.present(rt, o) for o in items],
        }

    # -- writing -------------------------------------------------------------------------

    def _commit(self, rt: resources.ResourceType, kind: str, obj: JsonObj,
                old: JsonObj | None) -> JsonObj:
        """Assign the next resourceVersion, store (or drop) the object and publish it."""
        self._rv += 1
        obj["metadata"]["resourceVersion"] = str(self._rv)
        key = (obj["metadata"].get("namespace", ""), obj["metadata"]["name"])
        if kind == "DELETED":
            self._bucket(rt).pop(key, None)
        else:
            self._bucket(rt)[key] = obj
        change = watch.Change(self._rv, kind, rt.storage_key, obj, old)
        self.hub.publish(change)
        for listener in self.listeners:
            listener(change)
        return obj

    def _check_namespace(self, rt: resources.ResourceType, namespace: str, name: str) -> None:
        ns = self._objects.get(resources.NAMESPACE_KEY, {}).get(("", namespace))
        if ns is None:
            raise status.not_found("", "namespaces", namespace)
        if ns["metadata"].get("deletionTimestamp"):
            raise status.forbidden(rt.group, rt.plural, name,
                                   f"unable to create new content in namespace {namespace} "
                                   f"because it is being terminated")

    def _validate(self, rt: resources.ResourceType, obj: JsonObj,
                  options: WriteOptions) -> JsonObj:
        name = obj["metadata"]["name"]
        causes = validation.name_causes(name, rt)
        if causes:
            raise status.invalid(rt.kind, rt.group, name, causes)
        if rt.crd is not None:
            return validation.validate_custom(obj, rt)
        validation.validate_builtin(obj, rt, strict=options.strict_fields)
        if rt.storage_key == resources.CRD_KEY:
            validation.validate_crd(obj)
        return obj

    def _check_kind(self, rt: resources.ResourceType, body: Any) -> JsonObj:
        if not isinstance(body, dict):
            raise status.bad_request("the body of the request must be a JSON object")
        obj = copy.deepcopy(body)
        if obj.setdefault("kind", rt.kind) != rt.kind:
            raise status.bad_request(f"the kind in the data ({obj['kind']}) does not match the "
                                     f"expected kind ({rt.kind})")
        if obj.setdefault("apiVersion", rt.api_version) != rt.api_version:
            raise status.bad_request(f"the API version in the data ({obj['apiVersion']}) does "
                                     f"not match the expected API version ({rt.api_version})")
        md = obj.setdefault("metadata", {})
        if not isinstance(md, dict):
            raise status.bad_request("metadata must be an object")
        for key in ("name", "generateName", "namespace", "resourceVersion", "uid"):
            if key in md and not isinstance(md[key], str):
                raise status.bad_request(f"json: cannot unmarshal {type(md[key]).__name__} into "
                                         f"Go struct field ObjectMeta.metadata.{key} of type "
                                         f"string")
        return obj

    def create(self, rt: resources.ResourceType, namespace: str, body: Any,
               options: WriteOptions = WriteOptions()) -> JsonObj:
        """Create an object: 409 if the name is taken, 422 if invalid."""
        obj = self._check_kind(rt, body)
        md = obj["metadata"]
        if md.get("resourceVersion"):
            raise status.bad_request("resourceVersion should not be set on objects to be "
                                     "created")
        for key in meta.SERVER_FIELDS:
            md.pop(key, None)
        if rt.namespaced:
            if md.setdefault("namespace", namespace) != namespace:
                raise status.bad_request("the namespace of the provided object does not match "
                                         "the namespace sent on the request")
        else:
            md.pop("namespace", None)
        if not md.get("name"):
            if not md.get("generateName"):
                raise status.invalid(rt.kind, rt.group, "", [status.cause(
                    "metadata.name", "Required value: name or generateName is required",
                    "FieldValueRequired")])
            md["name"] = meta.generated_name(md["generateName"])
        if rt.status:
            obj.pop("status", None)
        with self.lock:
            if rt.namespaced:
                self._check_namespace(rt, namespace, md["name"])
            if (namespace if rt.namespaced else "", md["name"]) in self._bucket(rt):
                raise status.already_exists(rt.group, rt.plural, md["name"])
            obj = self._validate(rt, obj, options)
            self._fold_string_data(rt, obj)
            md = obj["metadata"]
            md["uid"] = meta.new_uid()
            md["creationTimestamp"] = meta.now()
            if rt.generation:
                md["generation"] = 1
            self._on_create(rt, obj)
            if options.dry_run:
                return self.present(rt, obj)
            if rt.storage_key == resources.CRD_KEY:
                self.registry.replace_crd(md["name"], resources.types_for_crd(obj))
            return self.present(rt, self._commit(rt, "ADDED", obj, None))

    @staticmethod
    def _fold_string_data(rt: resources.ResourceType, obj: JsonObj) -> None:
        """A Secret's write-only ``stringData`` is base64-encoded into ``data``, as the real
        server does; it is never stored or returned."""
        if rt.storage_key != ("", "secrets") or "stringData" not in obj:
            return
        string_data = obj.pop("stringData") or {}
        if not isinstance(string_data, dict):
            raise status.invalid(rt.kind, rt.group, obj["metadata"].get("name", ""), [
                status.cause("stringData", "Invalid value: must be a map of strings",
                             "FieldValueTypeInvalid")])
        data = dict(obj.get("data") or {})
        for key, value in string_data.items():
            data[key] = base64.b64encode(str(value).encode()).decode()
        obj["data"] = data

    def _on_create(self, rt: resources.ResourceType, obj: JsonObj) -> None:
        """Kind-specific initial state (namespace phase, CRD conditions)."""
        if rt.storage_key == resources.NAMESPACE_KEY:
            obj["spec"] = {"finalizers": ["kubernetes"]}
            obj["status"] = {"phase": "Active"}
        elif rt.storage_key == resources.CRD_KEY:
            spec = obj["spec"]
            obj["status"] = {
                "acceptedNames": spec["names"],
                "storedVersions": [v["name"] for v in spec["versions"] if v.get("storage")],
                "conditions": [
                    {"type": t, "status": "True", "reason": r, "message": m,
                     "lastTransitionTime": meta.now()}
                    for t, r, m in (("NamesAccepted", "NoConflicts", "no conflicts found"),
                                    ("Established", "InitialNamesAccepted",
                                     "the initial names have been accepted"))
                ],
            }

    def update(self, rt: resources.ResourceType, namespace: str, name: str, body: Any, *,
               subresource: str = "", options: WriteOptions = WriteOptions()) -> JsonObj:
        """Replace an object (or its status): 409 on a stale resourceVersion."""
        new = self._check_kind(rt, body)
        md = new["metadata"]
        if md.get("name", name) != name:
            raise status.bad_request(f"the name of the object ({md['name']}) does not match the "
                                     f"name on the URL ({name})")
        with self.lock:
            old = self._bucket(rt).get((namespace, name))
            if old is None:
                raise status.not_found(rt.group, rt.plural, name)
            want_rv = md.get("resourceVersion")
            if not want_rv and rt.crd is not None and subresource != "status":
                # Custom resources do not allow unconditional updates (AllowUnconditionalUpdate
                # is false in the real server's custom resource strategy).
                raise status.invalid(rt.kind, rt.group, name, [status.cause(
                    "metadata.resourceVersion", "Invalid value: 0: must be specified for an "
                                                "update")])
            if want_rv and want_rv != old["metadata"]["resourceVersion"]:
                raise status.conflict(rt.group, rt.plural, name,
                                      "the object has been modified; please apply your changes "
                                      "to the latest version and try again")
            if md.get("uid") and md["uid"] != old["metadata"]["uid"]:
                raise status.conflict(rt.group, rt.plural, name,
                                      f"Precondition failed: UID in precondition: {md['uid']}, "
                                      f"UID in object meta: {old['metadata']['uid']}")
            new = self._merge_update(rt, old, new, subresource)
            return self._store_update(rt, old, new, options)

    def patch(self, rt: resources.ResourceType, namespace: str, name: str, content_type: str,
              body: Any, *, subresource: str = "",
              options: WriteOptions = WriteOptions()) -> JsonObj:
        """Apply a patch of the given media type, then write the result as an update."""
        accepted = ["application/json-patch+json", "application/merge-patch+json"]
        if rt.crd is None:
            accepted.append("application/strategic-merge-patch+json")
        if content_type == "application/apply-patch+yaml":
            raise status.unsupported_media_type(
                content_type, [*accepted, "(server-side apply is not implemented by the "
                                          "embedded API server; use a merge patch)"])
        if content_type not in accepted:
            raise status.unsupported_media_type(content_type, accepted)
        with self.lock:
            current = copy.deepcopy(self.get(rt, namespace, name))
            if content_type == "application/json-patch+json":
                patched = patch.json_patch(current, body)
            elif not isinstance(body, dict):
                raise status.bad_request("a merge patch must be a JSON object")
            elif content_type == "application/merge-patch+json":
                patched = patch.merge_patch(current, body)
            else:
                patched = patch.strategic_merge_patch(current, body)
            if not isinstance(patched, dict):
                raise status.bad_request("the patched object is not a JSON object")
            return self.update(rt, namespace, name, patched, subresource=subresource,
                               options=options)

    def _merge_update(self, rt: resources.ResourceType, old: JsonObj, new: JsonObj,
                      subresource: str) -> JsonObj:
        """Carry over what this kind of write may not change."""
        if subresource == "status":
            merged = copy.deepcopy(old)
            if "status" in new:
                merged["status"] = new["status"]
            else:
                merged.pop("status", None)
            return merged
        md = new["metadata"]
        for key in meta.SERVER_FIELDS:
            if key in old["metadata"]:
                md[key] = old["metadata"][key]
            else:
                md.pop(key, None)
        if rt.namespaced:
            md["namespace"] = old["metadata"]["namespace"]
        md["name"] = old["metadata"]["name"]
        if rt.status:
            if "status" in old:
                new["status"] = copy.deepcopy(old["status"])
            else:
                new.pop("status", None)
        if rt.storage_key == resources.NAMESPACE_KEY:
            new["spec"] = copy.deepcopy(old.get("spec", {}))
        return new

    def _store_update(self, rt: resources.ResourceType, old: JsonObj, new: JsonObj,
                      options: WriteOptions) -> JsonObj:
        md, old_md = new["metadata"], old["metadata"]
        if old_md.get("deletionTimestamp"):
            added = set(md.get("finalizers") or []) - set(old_md.get("finalizers") or [])
            if added:
                raise status.invalid(rt.kind, rt.group, md["name"], [status.cause(
                    "metadata.finalizers", f"Forbidden: no new finalizers can be added if the "
                                           f"object is being deleted, found new finalizers "
                                           f"{sorted(added)}", "FieldValueForbidden")])
        new = self._validate(rt, new, options)
        self._fold_string_data(rt, new)
        md = new["metadata"]
        if meta.without_volatile(new) == meta.without_volatile(old):
            return self.present(rt, old)
        if rt.generation and meta.spec_changed(old, new, has_status_subresource=rt.status):
            md["generation"] = int(old_md.get("generation", 1)) + 1
        if rt.storage_key == resources.CRD_KEY:
            new["status"] = old.get("status", {})
        if options.dry_run:
            return self.present(rt, new)
        if rt.storage_key == resources.CRD_KEY:
            self.registry.replace_crd(md["name"], resources.types_for_crd(new))
        if md.get("deletionTimestamp") and not md.get("finalizers") and not self._held(rt, new):
            return self.present(rt, self._remove(rt, new, old))
        return self.present(rt, self._commit(rt, "MODIFIED", new, old))

    @staticmethod
    def _held(rt: resources.ResourceType, obj: JsonObj) -> bool:
        """A namespace stays until its spec finalizers are done too."""
        return rt.storage_key == resources.NAMESPACE_KEY and bool(
            (obj.get("spec") or {}).get("finalizers"))

    def _remove(self, rt: resources.ResourceType, obj: JsonObj, old: JsonObj) -> JsonObj:
        """Drop an object for good; a CRD takes its custom resources with it."""
        if rt.storage_key == resources.CRD_KEY:
            spec = obj["spec"]
            served = self.registry.versions_of(spec["group"], spec["names"]["plural"])
            if served:
                for (_ns, _name), cr in list(self._bucket(served[0]).items()):
                    self._commit(served[0], "DELETED", copy.deepcopy(cr), cr)
            self.registry.replace_crd(obj["metadata"]["name"], [])
            self.hub.close_key((spec["group"], spec["names"]["plural"]))
        return self._commit(rt, "DELETED", obj, old)

    def delete(self, rt: resources.ResourceType, namespace: str, name: str,
               options: JsonObj, *, dry_run: bool = False) -> tuple[JsonObj, bool]:
        """Delete an object; returns it and whether it is gone (False: finalizers pending).

        ``propagationPolicy`` ``Orphan`` and ``Foreground`` add the ``orphan`` and
        ``foregroundDeletion`` finalizers, which the garbage collector works off.
        """
        with self.lock:
            old = self._bucket(rt).get((namespace, name))
            if old is None:
                raise status.not_found(rt.group, rt.plural, name)
            pre = options.get("preconditions") or {}
            for field in ("uid", "resourceVersion"):
                if pre.get(field) and pre[field] != old["metadata"].get(field):
                    raise status.conflict(
                        rt.group, rt.plural, name,
                        f"Precondition failed: {field.upper() if field == 'uid' else field} in "
                        f"precondition: {pre[field]}, {field} in object meta: "
                        f"{old['metadata'].get(field)}")
            policy = options.get("propagationPolicy")
            if policy is None and options.get("orphanDependents") is not None:
                policy = "Orphan" if options["orphanDependents"] else "Background"
            if policy not in (None, "Orphan", "Background", "Foreground"):
                raise status.invalid("DeleteOptions", "", "", [status.cause(
                    "propagationPolicy", f'Unsupported value: "{policy}": supported values: '
                                         f'"Foreground", "Background", "Orphan", "nil"',
                    "FieldValueNotSupported")])
            new = copy.deepcopy(old)
            md = new["metadata"]
            finalizers = list(md.get("finalizers") or [])
            extra = {"Orphan": "orphan", "Foreground": "foregroundDeletion"}.get(policy or "")
            if extra and extra not in finalizers:
                finalizers.append(extra)
            if not finalizers and not self._held(rt, new):
                if dry_run:
                    return self.present(rt, old), True
                return self.present(rt, self._remove(rt, new, old)), True
            if finalizers:
                md["finalizers"] = finalizers
            if not md.get("deletionTimestamp"):
                md["deletionTimestamp"] = meta.now()
                md["deletionGracePeriodSeconds"] = 0
                if rt.generation:
                    md["generation"] = int(md.get("generation", 1)) + 1
                if rt.storage_key == resources.NAMESPACE_KEY:
                    new["status"] = {"phase": "Terminating"}
            if dry_run or new == old:
                return self.present(rt, new), False
            return self.present(rt, self._commit(rt, "MODIFIED", new, old)), False

    def finish_namespace(self, name: str) -> None:
        """Clear a terminating namespace's spec finalizers and remove it (namespace controller)."""
        rt = self.registry.get("", "v1", "namespaces")
        assert rt is not None
        with self.lock:
            old = self._bucket(rt).get(("", name))
            if old is None or not old["metadata"].get("deletionTimestamp"):
                return
            new = copy.deepcopy(old)
            new["spec"] = {"finalizers": []}
            if new["metadata"].get("finalizers"):
                self._commit(rt, "MODIFIED", new, old)
            else:
                self._remove(rt, new, old)
