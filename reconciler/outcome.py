"""The one place where the end of a reconcile becomes a queue action and a metric label.

The rules are controller-runtime's ``reconcileHandler`` (see :mod:`reconciler.reconcile` for
the table). The worker applies the action atomically together with releasing the lease
(``WorkQueue.finish``), so an outcome and its ``done`` cost one Redis round trip.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass

from reconciler.reconcile import Result, TerminalError


class Action(enum.Enum):
    """What happens to the key's place in the queue."""

    FORGET = "forget"
    """Reset the key's backoff; it runs again only when something adds it."""
    RATE_LIMITED = "rate_limited"
    """Count a failure and requeue after the key's exponential backoff."""
    AFTER = "after"
    """Reset the backoff and requeue after a fixed delay."""


@dataclass(frozen=True)
class Outcome:
    """How one reconcile ended: the queue action, its delay and the metric labels."""

    action: Action
    label: str
    """``controller_runtime_reconcile_total``'s ``result``: success, error, requeue,
    requeue_after."""
    delay: float = 0.0
    terminal: bool = False
    """A :class:`TerminalError`: counted in ``terminal_reconcile_errors_total``."""

    @property
    def is_error(self) -> bool:
        """Whether it counts in ``reconcile_errors_total``."""
        return self.label == "error"


def classify(result: object, error: BaseException | None = None) -> Outcome:
    """The outcome of a reconcile that returned ``result`` or raised ``error``."""
    if error is not None:
        terminal = isinstance(error, TerminalError) or isinstance(error.__cause__, TerminalError)
        if terminal:
            return Outcome(Action.FORGET, "error", terminal=True)
        return Outcome(Action.RATE_LIMITED, "error")
    if isinstance(result, Result):
        if result.requeue_after is not None and result.requeue_after > 0:
            return Outcome(Action.AFTER, "requeue_after", delay=result.requeue_after)
        if result.requeue:
            return Outcome(Action.RATE_LIMITED, "requeue")
    return Outcome(Action.FORGET, "success")
