"""Server-owned metadata: names, uids, timestamps, resourceVersions and generations.

These helpers hold the rules the store applies on every write, kept apart so that each rule
reads on its own: what a client may not set, how ``generateName`` completes a name, and when
``metadata.generation`` moves.
"""

from __future__ import annotations

import datetime
import secrets
import uuid
from typing import Any

JsonObj = dict[str, Any]

SERVER_FIELDS = ("uid", "resourceVersion", "creationTimestamp", "deletionTimestamp",
                 "deletionGracePeriodSeconds", "generation", "selfLink", "managedFields")
"""Metadata a client cannot set on create; the server assigns or drops them."""

_NAME_CHARS = "bcdfghjklmnpqrstvwxz2456789"


def now() -> str:
    """The current time as Kubernetes writes it: RFC 3339, UTC, whole seconds."""
    return datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def new_uid() -> str:
    """A fresh object uid."""
    return str(uuid.uuid4())


def generated_name(prefix: str) -> str:
    """``generateName`` plus five random characters from the real server's alphabet."""
    return prefix + "".join(secrets.choice(_NAME_CHARS) for _ in range(5))


def without_volatile(obj: JsonObj) -> JsonObj:
    """The object minus what changes on every write, to tell a no-op update from a real one."""
    meta = {k: v for k, v in (obj.get("metadata") or {}).items()
            if k not in ("resourceVersion", "managedFields")}
    return {**obj, "metadata": meta}


def spec_changed(old: JsonObj, new: JsonObj, *, has_status_subresource: bool) -> bool:
    """Whether a write changes what ``generation`` counts: everything but metadata (and
    status, when status has its own subresource)."""
    skip = {"metadata", "status"} if has_status_subresource else {"metadata"}
    return {k: v for k, v in old.items() if k not in skip} != {
        k: v for k, v in new.items() if k not in skip}
