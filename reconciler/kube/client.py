"""A thin raw-JSON Kubernetes client: plain dicts in and out, over the official ``ApiClient``.

The official client's model classes are slow to build and drop fields they do not know (an
unknown field of a newer server, every field of a custom resource), so a controller that reads
and writes whole objects would lose data through them. This client keeps the official
``ApiClient`` for what it does well (kubeconfig and in-cluster config, TLS, bearer tokens and
their refresh) and asks it only to carry bytes; bodies are ``json``-decoded dicts.

Every request has a timeout (``timeout``, 30 s by default); clients built by the class
methods retry only failed connects, so the timeout bounds a call (see ``from_configuration``).
Failures become :mod:`reconciler.kube.errors`: an error answer is an ``ApiError`` with the
``metav1.Status`` reason, no answer at all is an ``ApiUnavailableError`` naming the server.

Kinds are resolved to REST paths by discovery (``/api/v1``, ``/apis/{group}/{version}``); each
group/version is fetched once per client and fetched again only when a kind is missing from it,
so a CRD installed after the first lookup is still found.
"""

from __future__ import annotations

import json
import os
import threading
from typing import Any, Literal
from urllib.parse import urlsplit, urlunsplit

import urllib3
from kubernetes import client as k8s_client
from kubernetes import config as k8s_config

from reconciler.errors import ConfigError
from reconciler.kube import errors
from reconciler.kube.refs import ResourceRef, meta

PatchKind = Literal["merge", "json", "strategic"]
"""The patch formats: JSON merge patch (RFC 7386), JSON patch (RFC 6902), strategic merge."""

_PATCH_TYPES: dict[str, str] = {
    "merge": "application/merge-patch+json",
    "json": "application/json-patch+json",
    "strategic": "application/strategic-merge-patch+json",
}
DEFAULT_TIMEOUT = 30.0


class KubeClient:
    """Raw-JSON verbs over one ``kubernetes.client.ApiClient``; safe to share between threads."""

    def __init__(self, api_client: Any, *, timeout: float = DEFAULT_TIMEOUT) -> None:
        self.api_client = api_client
        self.timeout = timeout
        self._discovery: dict[str, dict[str, ResourceRef]] = {}
        self._lock = threading.Lock()

    @classmethod
    def from_configuration(cls, configuration: Any, *,
                           timeout: float = DEFAULT_TIMEOUT) -> KubeClient:
        """A client over a new ``ApiClient`` for a ``kubernetes.client.Configuration``.

        Unless the configuration sets ``retries``, the pool retries only failed connects
        (twice) and never a read: urllib3's default would repeat a timed-out GET three more
        times (four times the timeout in all) and the timeout would no longer bound a call.
        """
        if configuration.retries is None:
            configuration.retries = urllib3.Retry(total=2, connect=2, read=0, status=0,
                                                  redirect=0, other=0)
        return cls(k8s_client.ApiClient(configuration), timeout=timeout)

    @classmethod
    def from_kubeconfig(cls, path: str | None = None, context: str | None = None, *,
                        timeout: float = DEFAULT_TIMEOUT) -> KubeClient:
        """Load a kubeconfig: ``path``, else ``$KUBECONFIG`` (``:``-separated files are
        merged), else ``~/.kube/config``; ``context`` defaults to its current context."""
        # The official default is read from $KUBECONFIG at import time; read it per call.
        path = path or os.environ.get("KUBECONFIG") or os.path.expanduser("~/.kube/config")
        cfg = k8s_client.Configuration()
        try:
            k8s_config.load_kube_config(  # type: ignore[no-untyped-call]
                config_file=path, context=context, client_configuration=cfg,
                persist_config=False)
        except (k8s_config.ConfigException, OSError) as err:
            raise ConfigError(f"cannot load kubeconfig {path}: {err}") from err
        return cls.from_configuration(cfg, timeout=timeout)

    @classmethod
    def in_cluster(cls, *, timeout: float = DEFAULT_TIMEOUT) -> KubeClient:
        """Use the pod's service account (token refreshed by the official loader)."""
        cfg = k8s_client.Configuration()
        try:
            k8s_config.load_incluster_config(  # type: ignore[no-untyped-call]
                client_configuration=cfg)
        except k8s_config.ConfigException as err:
            raise ConfigError(f"not running in a cluster: {err}") from err
        return cls.from_configuration(cfg, timeout=timeout)

    @classmethod
    def from_env(cls, *, timeout: float = DEFAULT_TIMEOUT) -> KubeClient:
        """In-cluster config when running in a pod, otherwise the default kubeconfig."""
        try:
            return cls.in_cluster(timeout=timeout)
        except ConfigError as in_cluster_err:
            try:
                return cls.from_kubeconfig(timeout=timeout)
            except ConfigError as err:
                raise ConfigError(f"no Kubernetes configuration: {in_cluster_err}; and {err}"
                                  ) from err

    def close(self) -> None:
        """Release the connection pool."""
        self.api_client.close()

    def __enter__(self) -> KubeClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def server(self) -> str:
        """The API server URL without any userinfo, safe to put in messages and logs."""
        parts = urlsplit(str(self.api_client.configuration.host))
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return urlunsplit((parts.scheme, netloc, parts.path, "", ""))

    # -- the verbs -----------------------------------------------------------------------

    def get(self, ref: ResourceRef, name: str, namespace: str | None = None) -> dict[str, Any]:
        """One object; ``ApiError`` 404 when it does not exist."""
        return self.request("GET", ref.path(namespace, name))

    def list(self, ref: ResourceRef, namespace: str | None = None, *,
             label_selector: str | None = None,
             field_selector: str | None = None) -> dict[str, Any]:
        """The list object (``items``, ``metadata.resourceVersion``); all namespaces if None.

        The items carry no ``apiVersion``/``kind`` (as the API server sends them)."""
        query = {"labelSelector": label_selector, "fieldSelector": field_selector}
        return self.request("GET", ref.path(namespace), query=query)

    def create(self, ref: ResourceRef, obj: dict[str, Any],
               namespace: str | None = None) -> dict[str, Any]:
        """Create ``obj``; the namespace defaults to ``obj``'s own. 409 AlreadyExists if taken."""
        ns = namespace or meta(obj).get("namespace")
        return self.request("POST", ref.path(ns if ref.namespaced else None), body=obj)

    def replace(self, ref: ResourceRef, obj: dict[str, Any]) -> dict[str, Any]:
        """PUT ``obj`` over the live object; its resourceVersion, if set, must be current."""
        return self._put(ref, obj, None)

    def replace_status(self, ref: ResourceRef, obj: dict[str, Any]) -> dict[str, Any]:
        """PUT ``obj`` on the ``status`` subresource: only its status is written."""
        return self._put(ref, obj, "status")

    def patch(self, ref: ResourceRef, name: str, patch: Any, *, namespace: str | None = None,
              kind: PatchKind = "merge", subresource: str | None = None) -> dict[str, Any]:
        """Patch one object (or its subresource); a ``resourceVersion`` in a merge or strategic
        patch is a precondition (409 Conflict when stale)."""
        if kind not in _PATCH_TYPES:
            raise errors.InvalidRequestError(f"unknown patch kind {kind!r}")
        return self.request("PATCH", ref.path(namespace, name, subresource), body=patch,
                            content_type=_PATCH_TYPES[kind])

    def patch_status(self, ref: ResourceRef, name: str, patch: Any, *,
                     namespace: str | None = None,
                     kind: PatchKind = "merge") -> dict[str, Any]:
        """Patch the ``status`` subresource of one object."""
        return self.patch(ref, name, patch, namespace=namespace, kind=kind,
                          subresource="status")

    def delete(self, ref: ResourceRef, name: str, namespace: str | None = None, *,
               propagation: Literal["Background", "Foreground", "Orphan"] | None = None,
               ) -> dict[str, Any]:
        """Delete one object; returns the object (still held by finalizers) or a Status."""
        body: dict[str, Any] = {"apiVersion": "v1", "kind": "DeleteOptions"}
        if propagation:
            body["propagationPolicy"] = propagation
        return self.request("DELETE", ref.path(namespace, name), body=body)

    def _put(self, ref: ResourceRef, obj: dict[str, Any],
             subresource: str | None) -> dict[str, Any]:
        md = meta(obj)
        path = ref.path(md.get("namespace") if ref.namespaced else None, md.get("name", ""),
                        subresource)
        return self.request("PUT", path, body=obj)

    # -- discovery -----------------------------------------------------------------------

    def resolve(self, api_version: str, kind: str) -> ResourceRef:
        """The resource serving ``kind`` in ``api_version``; ``UnknownKindError`` if none."""
        refs = self._discovery.get(api_version)
        if refs is None or kind not in refs:
            refs = self._discover(api_version)
        if kind not in refs:
            raise errors.UnknownKindError(
                f"the API server at {self.server} serves no kind {kind!r} in apiVersion "
                f"{api_version!r} (known: {', '.join(sorted(refs)) or 'none'})")
        return refs[kind]

    def resolve_object(self, obj: dict[str, Any]) -> ResourceRef:
        """The resource of an object that carries ``apiVersion`` and ``kind``."""
        api_version, kind = obj.get("apiVersion"), obj.get("kind")
        if not api_version or not kind:
            raise errors.InvalidRequestError(
                f"object {meta(obj).get('name')!r} has no apiVersion/kind (list items lack "
                "them; set them or read the object with get)")
        return self.resolve(str(api_version), str(kind))

    def _discover(self, api_version: str) -> dict[str, ResourceRef]:
        group, _, version = api_version.rpartition("/")
        path = f"/apis/{group}/{version}" if group else f"/api/{version}"
        try:
            doc = self.request("GET", path)
        except errors.ApiError as err:
            if errors.is_not_found(err):
                raise errors.UnknownKindError(
                    f"the API server at {self.server} does not serve apiVersion "
                    f"{api_version!r}") from err
            raise
        refs = {
            res["kind"]: ResourceRef(group, version, res["name"], res["kind"],
                                     bool(res.get("namespaced")))
            for res in doc.get("resources", []) if "/" not in res.get("name", "/")
        }
        with self._lock:
            self._discovery[api_version] = refs
        return refs

    # -- the transport -------------------------------------------------------------------

    def request(self, method: str, path: str, *, body: Any = None,
                query: dict[str, str | None] | None = None,
                content_type: str = "application/json") -> dict[str, Any]:
        """One request; the decoded JSON body on 2xx, ``ApiError`` otherwise.

        Authentication comes from the ``ApiClient``'s configuration (``BearerToken`` covers
        tokens, exec plugins and in-cluster refresh; client certificates live in its pool).
        """
        params = [(k, v) for k, v in (query or {}).items() if v is not None]
        serialized = self.api_client.param_serialize(
            method, path, query_params=params or None,
            header_params={"Accept": "application/json", "Content-Type": content_type},
            body=body, auth_settings=["BearerToken"])
        try:
            resp = self.api_client.call_api(*serialized, _request_timeout=self.timeout)
            raw = resp.read()
        except urllib3.exceptions.HTTPError as err:
            raise errors.ApiUnavailableError(
                f"the Kubernetes API server at {self.server} {self._failure(err)} "
                f"({method} {path}: {type(err).__name__})") from err
        except k8s_client.ApiException as err:  # raised by the REST layer itself (TLS)
            raise errors.ApiUnavailableError(
                f"the Kubernetes API server at {self.server} failed: {err.reason}") from err
        return _decode(resp.status, raw, method, path)

    def _failure(self, err: Exception) -> str:
        """Words for a transport failure: refused/unreachable or timed out."""
        cause = getattr(err, "reason", None) or err  # MaxRetryError wraps the last failure
        # NewConnectionError derives from ConnectTimeoutError in urllib3: test it first.
        if isinstance(cause, urllib3.exceptions.NewConnectionError):
            return "is unreachable"
        if isinstance(cause, urllib3.exceptions.TimeoutError):
            return f"timed out after {self.timeout:g}s"
        return "is unreachable"


def _decode(status: int, raw: bytes, method: str, path: str) -> dict[str, Any]:
    """The JSON body of a success, or the ``ApiError`` built from a ``metav1.Status``."""
    try:
        body = json.loads(raw) if raw else {}
    except ValueError:
        body = None
    if 200 <= status < 300:
        if not isinstance(body, dict):
            raise errors.ApiError(status, "", f"{method} {path}: the body is not a JSON object")
        return body
    if isinstance(body, dict) and body.get("kind") == "Status":
        raise errors.ApiError(status, str(body.get("reason") or ""),
                              str(body.get("message") or f"{method} {path}"))
    text = raw[:200].decode("utf-8", "replace") if raw else ""
    raise errors.ApiError(status, "", f"{method} {path}: {text}".rstrip(": "))
