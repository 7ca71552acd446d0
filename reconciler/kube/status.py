"""Status reporting: ``metav1.Condition`` lists and patches of the ``status`` subresource.

Conditions follow the Kubernetes API conventions: one entry per ``type``, and
``lastTransitionTime`` moves only when ``status`` changes, so it tells how long a condition
has been in its current state however often the controller re-asserts it. The helpers are
pure where they can be (``set_condition`` returns a new list) so a reconcile can build the
whole status first and write it once.

``observedGeneration`` tells readers which spec the status describes: ``metadata.generation``
is bumped by every spec change, and a status whose observedGeneration lags is stale.
"""

from __future__ import annotations

import copy
from datetime import UTC, datetime
from typing import Any

from reconciler.kube import errors
from reconciler.kube.client import KubeClient
from reconciler.kube.refs import meta

CONDITION_STATUSES = ("True", "False", "Unknown")


def set_condition(conditions: list[dict[str, Any]], type: str, status: str, *,
                  reason: str, message: str = "", observed_generation: int | None = None,
                  now: datetime | None = None) -> list[dict[str, Any]]:
    """A copy of ``conditions`` with the condition ``type`` set (added or replaced in place).

    ``lastTransitionTime`` is ``now`` (default: the current UTC time) when the condition is
    new or its status changed, and kept otherwise; reason, message and observedGeneration are
    always updated.
    """
    if status not in CONDITION_STATUSES:
        raise errors.InvalidRequestError(
            f"condition {type!r}: status must be one of {CONDITION_STATUSES}, got {status!r}")
    if not reason:
        raise errors.InvalidRequestError(f"condition {type!r}: reason is required")
    old = get_condition(conditions, type)
    new: dict[str, Any] = {"type": type, "status": status, "reason": reason,
                           "message": message}
    if old is not None and old.get("status") == status and old.get("lastTransitionTime"):
        new["lastTransitionTime"] = old["lastTransitionTime"]
    else:
        new["lastTransitionTime"] = format_time(now or datetime.now(UTC))
    if observed_generation is not None:
        new["observedGeneration"] = observed_generation
    out = [copy.deepcopy(c) for c in conditions]
    for i, cond in enumerate(out):
        if cond.get("type") == type:
            out[i] = new
            return out
    return [*out, new]


def get_condition(conditions: list[dict[str, Any]], type: str) -> dict[str, Any] | None:
    """The condition of this ``type``, or None."""
    return next((c for c in conditions if c.get("type") == type), None)


def patch_status(client: KubeClient, obj: dict[str, Any],
                 status_fields: dict[str, Any]) -> dict[str, Any]:
    """Merge-patch ``status_fields`` into the object's status through ``/status``.

    ``status.observedGeneration`` is set from ``metadata.generation`` unless
    ``status_fields`` has it. A merge patch replaces lists whole, so pass the full
    ``conditions`` list (from :func:`set_condition`). No resourceVersion is sent: the
    controller owns its status, and the last writer, with the freshest observation, wins.
    Returns the object as the server now has it.
    """
    md = meta(obj)
    status = dict(status_fields)
    if "observedGeneration" not in status and md.get("generation") is not None:
        status["observedGeneration"] = md["generation"]
    ref = client.resolve_object(obj)
    return client.patch_status(ref, md["name"], {"status": status},
                               namespace=md.get("namespace") if ref.namespaced else None)


def format_time(when: datetime) -> str:
    """RFC 3339 in UTC with second precision, as ``metav1.Time`` serialises."""
    if when.tzinfo is None:
        raise errors.InvalidRequestError(f"a naive datetime {when!r}: pass an aware one")
    return when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
