"""An embedded Kubernetes API server for tests and demos: envtest without binaries.

It speaks the real Kubernetes REST API over real HTTP on a loopback port (no TLS, no auth), so
the official clients, kubectl and third-party operator frameworks run against it unchanged.
It is faithful where controllers depend on the API: discovery, CRDs served on create, the
verbs and the ``status`` subresource, server-owned metadata (uid, generation, a global
monotonic resourceVersion), optimistic concurrency, list paging and selectors, watches with a
bounded history (410 Expired beyond it) and bookmarks, the three patch formats, finalizers,
ownerReference garbage collection, namespace deletion, schema validation, and fault injection.

Modules, one job each: :mod:`.server` (``ApiServer``), :mod:`.handler` and :mod:`.routing`
(HTTP), :mod:`.streaming` (watch responses), :mod:`.store` and :mod:`.meta` (objects and write
rules), :mod:`.watch` (history and fan-out), :mod:`.gc` (garbage collector, namespace
controller), :mod:`.resources` and :mod:`.discovery` (served types), :mod:`.selectors`,
:mod:`.patch`, :mod:`.validation`, :mod:`.tables` (kubectl printing), :mod:`.openapi`,
:mod:`.faults` and :mod:`.admin` (fault injection), :mod:`.status` (errors).

Known differences from a real kube-apiserver (each is also noted in its module):

* No authentication, authorization, admission webhooks, TLS, protobuf or aggregated discovery.
* No defaulting (a Deployment gets no default ``strategy``, a Service no ``clusterIP``) and only
  schema validation, not the hand-written Go checks; CEL rules are not evaluated.
* Server-side apply is refused with 415; strategic merge keys come from a fixed table.
* Core ``events`` and ``events.k8s.io`` events are stored separately (no conversion between
  them); CRD versions share storage with ``apiVersion`` rewritten (conversion ``None``).
* Later pages of a ``limit``/``continue`` list read the current state, not a snapshot.
* A list's ``resourceVersion`` parameter is ignored (the list is always the latest state); a
  watch from a resourceVersion newer than the server's starts at once (the real server waits
  up to 3 s for it, then answers 504).
* Deleting a CRD removes its custom resources at once, without waiting for their finalizers.
* Only the ``status`` subresource is served (no ``scale``, ``log``, ``exec``, ``eviction``).
* Tables for built-in kinds have only the ``NAME`` and ``AGE`` columns.
* There is no kubelet or controller-manager beyond the garbage collector and namespace
  controller: pods never run, Deployments create no ReplicaSets.
"""

from reconciler.testing.apiserver.faults import FaultRule, Faults, RecordedRequest
from reconciler.testing.apiserver.resources import ResourceType
from reconciler.testing.apiserver.server import ApiServer
from reconciler.testing.apiserver.status import ApiError

__all__ = [
    "ApiError",
    "ApiServer",
    "FaultRule",
    "Faults",
    "RecordedRequest",
    "ResourceType",
]
