"""Bounded waits return the condition's value, or fail naming what was awaited."""

from __future__ import annotations

import itertools

import pytest

from reconciler.testing.waiting import WaitTimeoutError, wait_until


def test_returns_the_first_truthy_value() -> None:
    """The value that ended the wait is returned."""
    counter = itertools.count()
    assert wait_until(lambda: next(counter) >= 3 and "done", timeout=5) == "done"


def test_times_out_naming_the_condition_and_last_value() -> None:
    """A condition that never holds fails after the timeout with a readable message."""
    with pytest.raises(WaitTimeoutError, match=r"the answer \(last value: 0\)"):
        wait_until(lambda: 0, timeout=0.05, what="the answer")


def test_what_may_be_computed_on_failure_only() -> None:
    """A callable description is evaluated only when the wait fails."""
    calls: list[int] = []
    wait_until(lambda: True, what=lambda: str(calls.append(1)))
    assert calls == []
    with pytest.raises(AssertionError, match="log tail"):
        wait_until(lambda: None, timeout=0.01, what=lambda: "log tail")
