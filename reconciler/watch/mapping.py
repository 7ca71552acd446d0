"""Mapping events to queue keys, by the role the resource plays for its controller.

* primary: the object's own key;
* owned: the key of the controller owner (the ownerReference with ``controller: true``)
  when that owner is of the primary's kind and group; both the old and the new owner when
  it moved; owned objects live in their owner's namespace (or the owner is cluster-scoped);
* watched: whatever the user's function returns; an exception or a non-string key is logged
  with the controller's name and skipped, so one bad object cannot stop the watcher.
"""

from __future__ import annotations

import logging

from reconciler import controller as controller_mod
from reconciler.watch import discovery, events

log = logging.getLogger("reconciler.watch")


class KeyMap:
    """The key mapping of one source of one controller."""

    def __init__(self, ctl: controller_mod.Controller, source: controller_mod.Source,
                 primary: discovery.Served) -> None:
        self.controller = ctl
        self.source = source
        self.primary = primary

    def keys(self, event: events.Event) -> list[str]:
        """The keys ``event`` enqueues."""
        if self.source.role == "primary":
            return [events.object_key(event.obj)]
        if self.source.role == "owned":
            found = []
            owners = [events.controller_owner(event.obj)]
            if event.old is not None:
                owners.append(event.old.owner)
            namespace = (event.obj.get("metadata") or {}).get("namespace")
            for owner in owners:
                key = self._owner_key(owner, namespace)
                if key is not None and key not in found:
                    found.append(key)
            return found
        return self._user_keys(event)

    def _owner_key(self, owner: tuple[str, str, str] | None, namespace: str | None
                   ) -> str | None:
        if owner is None:
            return None
        api_version, kind, name = owner
        if kind != self.primary.kind or api_version.rpartition("/")[0] != self.primary.group:
            return None
        return f"{namespace}/{name}" if namespace and self.primary.namespaced else name

    def _user_keys(self, event: events.Event) -> list[str]:
        assert self.source.mapper is not None
        try:
            found = list(self.source.mapper(event.obj))
        except Exception:
            log.exception("controller %r: %s map function failed on %s; skipped",
                          self.controller.name, self.source.field,
                          events.object_key(event.obj))
            return []
        good = [k for k in found if isinstance(k, str) and k]
        if len(good) != len(found):
            log.error("controller %r: %s map function returned non-string keys %r; skipped",
                      self.controller.name, self.source.field,
                      [k for k in found if k not in good])
        return good
