"""The contract: requests map to and from queue keys; results validate their delay."""

from __future__ import annotations

import math

import pytest

from reconciler import errors
from reconciler.reconcile import Request, Result, TerminalError


def test_request_round_trips_through_its_key() -> None:
    """namespace/name for namespaced objects, name alone for cluster-scoped ones."""
    assert Request.from_key("default/db-1") == Request("default", "db-1")
    assert Request("default", "db-1").key == "default/db-1"
    assert Request.from_key("node-1") == Request("", "node-1")
    assert Request("", "node-1").key == "node-1"


def test_a_key_without_a_name_is_refused() -> None:
    """A key ending in a slash names no object."""
    with pytest.raises(errors.InvalidKeyError, match="no object name"):
        Request.from_key("default/")


@pytest.mark.parametrize("bad", [-1, math.nan, math.inf, "5", True])
def test_result_refuses_a_bad_delay(bad: object) -> None:
    """requeue_after must be a finite, non-negative number of seconds."""
    with pytest.raises(errors.InvalidDelayError, match="requeue_after"):
        Result(requeue_after=bad)  # type: ignore[arg-type]


def test_terminal_error_is_a_library_error() -> None:
    """TerminalError is caught by the root error."""
    assert issubclass(TerminalError, errors.ReconcilerError)
