"""What a reconcile function gets besides its request: the object, an API client, a logger,
an event recorder, and the helpers that make idempotent reconciles short.

The object is read lazily from the shared cache (:class:`~reconciler.watch.CacheReader`),
which is at least as new as the event that queued the key, and falls back to the API server.
Helpers act on plain dicts and keep controller-runtime's conventions: owned objects carry a
controller ownerReference to the primary; finalizers are released only after cleanup
succeeded; status is patched through ``/status`` with ``observedGeneration``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, MutableMapping
from typing import Any

from reconciler import kube
from reconciler.reconcile import Request

Obj = dict[str, Any]


class KeyLogger(logging.LoggerAdapter):  # type: ignore[type-arg]
    """Prefixes every message with the controller and the key."""

    def process(self, msg: Any, kwargs: MutableMapping[str, Any]) -> tuple[Any, Any]:
        extra = self.extra or {}
        return f"{extra.get('controller')} {extra.get('key')}: {msg}", kwargs


class Context:
    """One reconcile's view of the world."""

    def __init__(
        self,
        *,
        controller: str,
        request: Request,
        client: kube.KubeClient,
        read: Callable[[str], Obj | None],
        events: kube.EventRecorder,
    ) -> None:
        self.controller = controller
        self.request = request
        self.client = client
        self.events = events
        self.log = KeyLogger(
            logging.getLogger(f"reconciler.controller.{controller}"),
            {"controller": controller, "key": request.key},
        )
        self._read = read

    @functools.cached_property
    def object(self) -> Obj | None:
        """The primary object as of (at least) the event that queued this key, or ``None``
        when it no longer exists."""
        return self._read(self.request.key)

    def create_or_update(self, desired: Obj, *, owner: Obj | None = None) -> str:
        """Make ``desired`` exist as given; returns ``created``, ``updated`` or
        ``unchanged``. It is owned (controller ownerReference, same namespace) by ``owner``,
        by default the primary object, so deleting the primary deletes it."""
        owner = owner if owner is not None else self.object
        outcome, _ = kube.create_or_update(self.client, desired, owner=owner)
        if outcome != "unchanged":
            self.log.info("%s %s %s", outcome, desired.get("kind"),
                          desired.get("metadata", {}).get("name"))
        return outcome

    def handle_finalizer(self, name: str, cleanup: Callable[[Obj], None]) -> bool:
        """The deletion-aware finalizer step; ``True`` means the object is being deleted and
        the reconcile should stop (cleanup ran and succeeded, or nothing was ours)."""
        obj = self.object
        if obj is None:
            return True
        handled = kube.handle_finalizer(self.client, obj, name, cleanup)
        if not handled:
            self.__dict__.pop("object", None)  # its resourceVersion changed: read it again
        return handled

    def patch_status(
        self, fields: Obj | None = None, *, conditions: Iterable[Obj] = ()
    ) -> Obj:
        """Merge ``fields`` into the primary's status with ``observedGeneration``; each of
        ``conditions`` (``{"type", "status", "reason", "message"}``) is set on the current
        list with metav1.Condition semantics."""
        obj = self.object
        if obj is None:
            raise kube.InvalidRequestError(f"{self.request.key} no longer exists")
        status = dict(fields or {})
        generation = obj.get("metadata", {}).get("generation")
        if conditions:
            current = list((obj.get("status") or {}).get("conditions") or [])
            for cond in conditions:
                current = kube.set_condition(
                    current, cond["type"], cond["status"], reason=cond["reason"],
                    message=cond.get("message", ""), observed_generation=generation,
                )
            status["conditions"] = current
        return kube.patch_status(self.client, obj, status)


def context_builder(
    client_factory: Callable[[], kube.KubeClient],
    reader_factory: Callable[[kube.KubeClient], Callable[[str], Obj | None]],
    *,
    controller: str,
) -> Callable[[Request], Context]:
    """A per-process factory of contexts for ``controller``: one API client, one reader and
    one event recorder shared by every reconcile of the process."""
    client = client_factory()
    read = reader_factory(client)
    events = kube.EventRecorder(client, component=f"reconciler/{controller}")
    return lambda request: Context(
        controller=controller, request=request, client=client, read=read, events=events
    )
