"""Each way a reconcile can end maps to controller-runtime's queue action and metric label."""

from __future__ import annotations

import pytest

from reconciler.outcome import Action, Outcome, classify
from reconciler.reconcile import Result, TerminalError


@pytest.mark.parametrize(
    ("result", "error", "expected"),
    [
        (None, None, Outcome(Action.FORGET, "success")),
        ("anything", None, Outcome(Action.FORGET, "success")),
        (Result(), None, Outcome(Action.FORGET, "success")),
        (Result(requeue=True), None, Outcome(Action.RATE_LIMITED, "requeue")),
        (Result(requeue_after=30), None, Outcome(Action.AFTER, "requeue_after", delay=30)),
        (Result(requeue=True, requeue_after=5), None,
         Outcome(Action.AFTER, "requeue_after", delay=5)),
        (Result(requeue=True, requeue_after=0), None, Outcome(Action.RATE_LIMITED, "requeue")),
        (None, RuntimeError("boom"), Outcome(Action.RATE_LIMITED, "error")),
        (None, TerminalError("bad spec"), Outcome(Action.FORGET, "error", terminal=True)),
    ],
)
def test_outcomes_follow_controller_runtime(
    result: object, error: BaseException | None, expected: Outcome
) -> None:
    """The table in reconciler.reconcile holds for every case."""
    assert classify(result, error) == expected


def test_an_error_raised_from_a_terminal_error_is_terminal() -> None:
    """`raise ValueError(...) from TerminalError(...)` still counts as terminal."""
    try:
        try:
            raise TerminalError("invalid spec")
        except TerminalError as cause:
            raise ValueError("wrapped") from cause
    except ValueError as error:
        outcome = classify(None, error)
    assert outcome.terminal and outcome.action is Action.FORGET and outcome.is_error
