"""Kubernetes Events for reconciles: ``normal`` and ``warning``, aggregated, never raising.

Events are core/v1 Events (what ``kubectl describe`` shows), posted into the object's
namespace (``default`` for a cluster-scoped object, as client-go does).

Repeats are aggregated the way client-go's recorder does it, but without its in-process
cache, because a reconcile runs on whichever Celery worker took the key: the event's name is
derived from (object uid, type, reason, message), so a repeat's create gets 409
AlreadyExists and becomes a patch that increments ``count`` and moves ``lastTimestamp``. That
patch carries the event's resourceVersion, so two workers repeating the same event at once
cannot lose an increment (the loser re-reads and tries again).

An event is a diagnostic, not part of the reconcile's outcome: failing to post one must not
fail or retry the reconcile. Every failure is logged (kind, name, reason and the error's
class and message, never request headers or tokens) and swallowed.
"""

from __future__ import annotations

import hashlib
import logging
import socket
from datetime import UTC, datetime
from typing import Any, Literal

from reconciler.kube import errors
from reconciler.kube.client import KubeClient
from reconciler.kube.refs import meta
from reconciler.kube.status import format_time

log = logging.getLogger(__name__)

EventType = Literal["Normal", "Warning"]
"""The two event types the API accepts."""

MAX_MESSAGE = 1024
"""Longer messages are cut (the events.k8s.io limit for ``note``)."""
_ATTEMPTS = 3
_MAX_NAME = 253


class EventRecorder:
    """Posts events about objects on behalf of one ``component`` (the controller's name).

    ``instance`` identifies the reporting process (``reportingInstance``); it defaults to the
    host name, which on Kubernetes is the pod's name.
    """

    def __init__(self, client: KubeClient, component: str, *,
                 instance: str | None = None) -> None:
        self.client = client
        self.component = component
        self.instance = instance or socket.gethostname()

    def normal(self, obj: dict[str, Any], reason: str, message: str) -> None:
        """Record that something expected happened (``Created``, ``Scaled``)."""
        self.record(obj, "Normal", reason=reason, message=message)

    def warning(self, obj: dict[str, Any], reason: str, message: str) -> None:
        """Record something a human should look at (``InvalidSpec``, ``CleanupFailed``)."""
        self.record(obj, "Warning", reason=reason, message=message)

    def record(self, obj: dict[str, Any], event_type: EventType, *, reason: str,
               message: str) -> None:
        """Post or aggregate one event; failures are logged and swallowed."""
        md = meta(obj)
        try:
            self._post(obj, event_type, reason=reason, message=message[:MAX_MESSAGE])
        except Exception as err:  # never fail a reconcile over a diagnostic
            detail = str(err) if isinstance(err, errors.KubeError) else type_name(err)
            log.warning("could not record %s event %s for %s %s/%s: %s: %s", event_type, reason,
                        obj.get("kind"), md.get("namespace", ""), md.get("name"),
                        type_name(err), detail)

    def _post(self, obj: dict[str, Any], event_type: EventType, *, reason: str,
              message: str) -> None:
        ref = self.client.resolve("v1", "Event")
        md = meta(obj)
        namespace = md.get("namespace") or "default"
        name = event_name(obj, event_type, reason=reason, message=message)
        for _ in range(_ATTEMPTS):
            now = format_time(datetime.now(UTC))
            try:
                self.client.create(ref, self._event(
                    obj, name=name, namespace=namespace, event_type=event_type,
                    reason=reason, message=message, now=now))
                return
            except errors.ApiError as err:
                if not errors.is_already_exists(err):
                    raise
            try:
                live = self.client.get(ref, name, namespace)
                self.client.patch(ref, name, namespace=namespace, patch={
                    "count": int(live.get("count") or 1) + 1, "lastTimestamp": now,
                    "metadata": {"resourceVersion": meta(live)["resourceVersion"]}})
                return
            except errors.ApiError as err:
                # a concurrent repeat (409) or an expired event (404): start over
                if not (errors.is_conflict(err) or errors.is_not_found(err)):
                    raise
        raise errors.KubeError(f"event {namespace}/{name} kept changing under us "
                               f"({_ATTEMPTS} attempts)")

    def _event(self, obj: dict[str, Any], *, name: str, namespace: str, event_type: EventType,
               reason: str, message: str, now: str) -> dict[str, Any]:
        md = meta(obj)
        involved = {"apiVersion": obj.get("apiVersion"), "kind": obj.get("kind"),
                    "name": md.get("name"), "namespace": md.get("namespace"),
                    "uid": md.get("uid"), "resourceVersion": md.get("resourceVersion")}
        return {
            "apiVersion": "v1", "kind": "Event",
            "metadata": {"name": name, "namespace": namespace},
            "involvedObject": {k: v for k, v in involved.items() if v},
            "type": event_type, "reason": reason, "message": message,
            "source": {"component": self.component},
            "reportingComponent": self.component, "reportingInstance": self.instance,
            "firstTimestamp": now, "lastTimestamp": now, "count": 1,
        }


def event_name(obj: dict[str, Any], event_type: str, *, reason: str, message: str) -> str:
    """``<object name>.<16 hex digits>``: the same for every repeat of one event, distinct
    for another object (uid), type, reason or message."""
    md = meta(obj)
    key = "\x00".join([str(md.get("uid") or md.get("name")), event_type, reason, message])
    digest = hashlib.sha256(key.encode()).hexdigest()[:16]
    return f"{str(md.get('name') or 'object')[:_MAX_NAME - 17]}.{digest}"


def recorded_events(client: KubeClient, obj: dict[str, Any]) -> list[dict[str, Any]]:
    """The core/v1 Events about ``obj`` (by name and uid), oldest first; handy in tests."""
    md = meta(obj)
    selector = f"involvedObject.name={md.get('name')}"
    if md.get("uid"):
        selector += f",involvedObject.uid={md['uid']}"
    items = client.list(client.resolve("v1", "Event"), md.get("namespace") or "default",
                        field_selector=selector)["items"]
    return sorted(items, key=lambda e: (e.get("firstTimestamp") or "", meta(e).get("name")))


def type_name(err: BaseException) -> str:
    """The exception's class name: logged instead of messages that might echo a request."""
    return type(err).__name__
