"""Validation of incoming objects: names, built-in kinds and custom resources.

Built-in kinds are checked against the OpenAPI schemas of the Kubernetes release the server
reports (:data:`~.discovery.KUBERNETES_MINOR`), shipped by the ``kubernetes-validate`` wheel.
Custom resources are checked against their CRD's ``openAPIV3Schema`` with ``jsonschema``,
after unknown fields are pruned as the real server prunes them for structural schemas. Every
failure is a 422 ``Invalid`` whose causes name the field (``spec.replicas``), never a 500.

Differences from the real server: only the schema is checked, not the hand-written Go
validation (so e.g. a container without ``image`` is accepted); unknown fields of built-in kinds
are kept unless the request asks ``fieldValidation=Strict``, where the real server drops them
with a warning; CEL rules (``x-kubernetes-validations``) are not evaluated.
"""

from __future__ import annotations

import functools
import json
import re
from importlib import resources as importlib_resources
from typing import Any

import jsonschema
import referencing
import referencing.jsonschema

from reconciler.testing.apiserver import discovery, resources, status

JsonObj = dict[str, Any]

_DNS1123_LABEL = re.compile(r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?$")
_DNS1123_SUBDOMAIN = re.compile(
    r"^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$")
_DNS1035_LABEL = re.compile(r"^[a-z]([-a-z0-9]*[a-z0-9])?$")

LABEL_NAMED = {("", "namespaces")}
DNS1035_NAMED = {("", "services")}


def name_causes(name: str, rt: resources.ResourceType) -> list[JsonObj]:
    """Why ``name`` is not a valid name for this resource (empty when it is)."""
    if rt.storage_key in DNS1035_NAMED:
        ok, limit, what = _DNS1035_LABEL.match(name), 63, "a DNS-1035 label"
        hint = ("must consist of lower case alphanumeric characters or '-', start with an "
                "alphabetic character, and end with an alphanumeric character")
    elif rt.storage_key in LABEL_NAMED:
        ok, limit, what = _DNS1123_LABEL.match(name), 63, "a lowercase RFC 1123 label"
        hint = ("must consist of lower case alphanumeric characters or '-', and must start "
                "and end with an alphanumeric character")
    else:
        ok, limit, what = _DNS1123_SUBDOMAIN.match(name), 253, "a lowercase RFC 1123 subdomain"
        hint = ("must consist of lower case alphanumeric characters, '-' or '.', and must "
                "start and end with an alphanumeric character")
    causes = []
    if not ok:
        causes.append(status.cause("metadata.name", f'Invalid value: "{name}": {what} {hint}'))
    if len(name) > limit:
        causes.append(status.cause("metadata.name",
                                   f"Invalid value: \"{name}\": must be no more than {limit} "
                                   f"characters"))
    return causes


def _field(path: Any) -> str:
    out = ""
    for part in path:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _causes(errors: list[jsonschema.ValidationError]) -> list[JsonObj]:
    causes: list[JsonObj] = []
    for err in sorted(errors, key=lambda e: list(map(str, e.absolute_path)))[:20]:
        field = _field(err.absolute_path)
        if err.validator == "required":
            missing = re.match(r"^'([^']*)'", err.message)
            name = missing.group(1) if missing else ""
            causes.append(status.cause(f"{field}.{name}" if field else name, "Required value",
                                       "FieldValueRequired"))
        elif err.validator == "type":
            wanted = err.validator_value if isinstance(err.validator_value, list) else [
                err.validator_value]
            types = " or ".join(str(t) for t in wanted if t != "null")
            causes.append(status.cause(field, f"Invalid value: {json.dumps(err.instance)}: "
                                              f"must be of type {types}",
                                       "FieldValueTypeInvalid"))
        elif err.validator == "enum":
            options = ", ".join(json.dumps(v) for v in err.validator_value)
            causes.append(status.cause(field, f"Unsupported value: {json.dumps(err.instance)}: "
                                              f"supported values: {options}",
                                       "FieldValueNotSupported"))
        elif err.validator == "additionalProperties":
            causes.append(status.cause(field or "<root>", f"Invalid value: {err.message}",
                                       "FieldValueNotSupported"))
        else:
            causes.append(status.cause(field, f"Invalid value: {err.message}"))
    return causes


def _schema_dir(strict: bool) -> Any:
    root = importlib_resources.files("kubernetes_validate").joinpath("kubernetes-json-schema")
    name = f"v1.{discovery.KUBERNETES_MINOR}.0-local" + ("-strict" if strict else "")
    return root.joinpath(name)


@functools.lru_cache(maxsize=2)
def _registry(strict: bool) -> Any:
    """The shared definitions (every ``$defs`` entry), indexed once per variant."""
    definitions = json.loads(_schema_dir(strict).joinpath("_definitions.json").read_text())
    resource = referencing.Resource.from_contents(
        definitions, default_specification=referencing.jsonschema.DRAFT202012)
    return (resource @ referencing.Registry()).crawl()


@functools.lru_cache(maxsize=64)
def _builtin_validator(api_version: str, kind: str, strict: bool) -> Any:
    group_prefix = re.sub(r"^([^./]*)(?:\.[^/]*)?/", r"\1-", api_version)
    folder = _schema_dir(strict)
    schema = json.loads(folder.joinpath(f"{kind.lower()}-{group_prefix}.json").read_text())
    return jsonschema.Draft202012Validator(schema, registry=_registry(strict))


@functools.lru_cache(maxsize=1)
def _object_meta_validator() -> Any:
    """ObjectMeta's schema, for the metadata of custom resources."""
    ref = ("https://kubernetes.io/api/_definitions.json#/$defs/"
           "io.k8s.apimachinery.pkg.apis.meta.v1.ObjectMeta")
    return jsonschema.Draft202012Validator({"$ref": ref}, registry=_registry(False))


def validate_builtin(obj: JsonObj, rt: resources.ResourceType, *, strict: bool = False) -> None:
    """Raise 422 if a built-in object does not match its Kubernetes OpenAPI schema."""
    validator = _builtin_validator(rt.api_version, rt.kind, strict)
    errors = list(validator.iter_errors(obj))
    if errors:
        name = str(obj.get("metadata", {}).get("name", ""))
        raise status.invalid(rt.kind, rt.group, name, _causes(errors))


def to_json_schema(schema: Any) -> Any:
    """Translate an OpenAPI v3 ``JSONSchemaProps`` into plain JSON Schema for ``jsonschema``."""
    if isinstance(schema, list):
        return [to_json_schema(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    out = {k: to_json_schema(v) for k, v in schema.items()
           if not k.startswith("x-kubernetes-") and k != "nullable"}
    if schema.get("x-kubernetes-int-or-string"):
        out.pop("type", None)
        out["anyOf"] = [{"type": "integer"}, {"type": "string"}]
    if schema.get("nullable") and "type" in out:
        out["type"] = [out["type"], "null"]
    return out


def prune(value: Any, schema: Any) -> Any:
    """Drop fields the schema does not declare, as the real server does for structural schemas."""
    if not isinstance(schema, dict) or schema.get("x-kubernetes-preserve-unknown-fields"):
        return value
    if isinstance(value, dict):
        props = schema.get("properties")
        extra = schema.get("additionalProperties")
        if props is None and extra is None:
            return value if schema.get("type") != "object" else {}
        out = {}
        for key, item in value.items():
            if props is not None and key in props:
                out[key] = prune(item, props[key])
            elif isinstance(extra, dict):
                out[key] = prune(item, extra)
            elif extra is True:
                out[key] = item
        return out
    if isinstance(value, list) and isinstance(schema.get("items"), dict):
        return [prune(item, schema["items"]) for item in value]
    return value


@functools.lru_cache(maxsize=128)
def _custom_schema(schema_json: str) -> tuple[JsonObj, Any]:
    """The pruning schema and the compiled validator of one CRD version's schema."""
    root = json.loads(schema_json)
    props = root.setdefault("properties", {})
    for key in ("apiVersion", "kind"):
        props.setdefault(key, {"type": "string"})
    props["metadata"] = {"type": "object", "x-kubernetes-preserve-unknown-fields": True}
    return root, jsonschema.Draft202012Validator(to_json_schema(root))


def validate_custom(obj: JsonObj, rt: resources.ResourceType) -> JsonObj:
    """Prune and validate a custom resource against its CRD schema; returns the pruned object."""
    if rt.schema is None:
        return obj
    root, validator = _custom_schema(json.dumps(rt.schema, sort_keys=True))
    pruned = prune(obj, root)
    errors = list(_object_meta_validator().iter_errors(obj.get("metadata")))
    for err in errors:
        err.path.appendleft("metadata")
    try:
        errors += list(validator.iter_errors(pruned))
    except jsonschema.exceptions.JSONSchemaError as exc:  # a schema the CRD check let through
        raise status.invalid(rt.kind, rt.group, str(obj["metadata"].get("name", "")), [
            status.cause("<schema>", f"the CRD's schema cannot be applied: {exc}")]) from exc
    if errors:
        name = str(obj.get("metadata", {}).get("name", ""))
        raise status.invalid(rt.kind, rt.group, name, _causes(errors))
    return dict(pruned)


def validate_crd(crd: JsonObj) -> None:
    """The checks the real server makes on a CRD that matter to serving it."""
    spec = crd.get("spec") or {}
    names = spec.get("names") or {}
    group, plural = spec.get("group", ""), names.get("plural", "")
    causes: list[JsonObj] = []
    if not group or "." not in group:
        causes.append(status.cause("spec.group", "Invalid value: should be a domain with at "
                                                 "least one dot"))
    if not plural or not _DNS1123_LABEL.match(plural):
        causes.append(status.cause("spec.names.plural", "Required value"
                                   if not plural else "Invalid value: must be a DNS-1123 label",
                                   "FieldValueRequired" if not plural else "FieldValueInvalid"))
    if not names.get("kind"):
        causes.append(status.cause("spec.names.kind", "Required value", "FieldValueRequired"))
    if spec.get("scope") not in ("Namespaced", "Cluster"):
        causes.append(status.cause("spec.scope", 'Unsupported value: supported values: '
                                                 '"Cluster", "Namespaced"',
                                   "FieldValueNotSupported"))
    versions = spec.get("versions") or []
    if not versions or sum(1 for v in versions if v.get("storage")) != 1:
        causes.append(status.cause("spec.versions", "Invalid value: must have exactly one "
                                                    "version marked as storage version"))
    for n, version in enumerate(versions):
        schema = (version.get("schema") or {}).get("openAPIV3Schema")
        field = f"spec.versions[{n}].schema.openAPIV3Schema"
        if not schema:
            causes.append(status.cause(field, "Required value: schemas are required",
                                       "FieldValueRequired"))
            continue
        try:
            jsonschema.Draft202012Validator.check_schema(to_json_schema(schema))
        except jsonschema.exceptions.SchemaError as exc:
            where = "".join(f".{p}" if isinstance(p, str) else f"[{p}]" for p in exc.path)
            causes.append(status.cause(field + where, f"Invalid value: {exc.message}"))
    name = crd.get("metadata", {}).get("name", "")
    if group and plural and name != f"{plural}.{group}":
        causes.append(status.cause("metadata.name", f'Invalid value: "{name}": must be '
                                                    f"spec.names.plural+\".\"+spec.group"))
    if causes:
        raise status.invalid("CustomResourceDefinition", "apiextensions.k8s.io", name, causes)
