"""Tests of reconciler.kube.status: condition transitions and status patches."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from reconciler.kube import errors
from reconciler.kube.client import KubeClient
from reconciler.kube.status import get_condition, patch_status, set_condition

T0 = datetime(2026, 1, 1, tzinfo=UTC)
T1 = T0 + timedelta(minutes=5)


def test_new_condition_gets_transition_time() -> None:
    """A new condition is appended with lastTransitionTime set to now, and the input is kept."""
    before: list[dict[str, Any]] = []
    after = set_condition(before, "Ready", "False", reason="Pending", observed_generation=1,
                          now=T0)
    assert before == []
    assert after == [{"type": "Ready", "status": "False", "reason": "Pending", "message": "",
                      "lastTransitionTime": "2026-01-01T00:00:00Z", "observedGeneration": 1}]


def test_same_status_keeps_transition_time() -> None:
    """Re-asserting a status updates reason and message but keeps lastTransitionTime."""
    conds = set_condition([], "Ready", "False", reason="Pending", now=T0)
    conds = set_condition(conds, "Ready", "False", reason="Waiting", message="db", now=T1)
    assert conds[0]["lastTransitionTime"] == "2026-01-01T00:00:00Z"
    assert (conds[0]["reason"], conds[0]["message"]) == ("Waiting", "db")


def test_status_change_moves_transition_time_in_place() -> None:
    """A status change sets a new lastTransitionTime and keeps the other conditions' order."""
    conds = set_condition([], "Ready", "False", reason="Pending", now=T0)
    conds = set_condition(conds, "Degraded", "False", reason="Fine", now=T0)
    conds = set_condition(conds, "Ready", "True", reason="Available", now=T1)
    assert [c["type"] for c in conds] == ["Ready", "Degraded"]
    ready = get_condition(conds, "Ready")
    assert ready is not None and ready["lastTransitionTime"] == "2026-01-01T00:05:00Z"
    assert get_condition(conds, "Missing") is None


def test_bad_condition_is_refused() -> None:
    """A status outside True/False/Unknown or an empty reason is refused."""
    with pytest.raises(errors.InvalidRequestError, match="status must be one of"):
        set_condition([], "Ready", "yes", reason="R")
    with pytest.raises(errors.InvalidRequestError, match="reason is required"):
        set_condition([], "Ready", "True", reason="")


def test_patch_status_sets_observed_generation(
        kube: KubeClient, namespace: str, gadgets: dict[str, Any]) -> None:
    """patch_status writes through /status with observedGeneration from metadata.generation."""
    ref = kube.resolve("example.com/v1", "Gadget")
    obj = kube.create(ref, {"apiVersion": "example.com/v1", "kind": "Gadget",
                            "metadata": {"name": "g", "namespace": namespace},
                            "spec": {"size": 1}})
    obj = kube.patch(ref, "g", {"spec": {"size": 2}}, namespace=namespace)
    assert obj["metadata"]["generation"] == 2
    conds = set_condition([], "Ready", "True", reason="Available", observed_generation=2)
    out = patch_status(kube, obj, {"phase": "Running", "conditions": conds})
    assert out["status"]["observedGeneration"] == 2
    assert out["status"]["phase"] == "Running"
    assert out["status"]["conditions"][0]["type"] == "Ready"
    assert out["metadata"]["generation"] == 2  # a status write is not a spec change
    again = patch_status(kube, out, {"observedGeneration": 1})
    assert again["status"]["observedGeneration"] == 1 and again["status"]["phase"] == "Running"
