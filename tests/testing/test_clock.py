"""The fake clock moves only forward and only when told."""

from __future__ import annotations

import pytest

from reconciler.testing.clock import FakeClock


def test_advance_moves_time_forward() -> None:
    """advance adds seconds to the reading; reading does not move it."""
    clock = FakeClock(start=100.0)
    assert clock() == clock() == 100.0
    clock.advance(1.5)
    assert clock() == 101.5


def test_time_cannot_go_back() -> None:
    """A negative advance is refused."""
    with pytest.raises(ValueError, match="cannot go back"):
        FakeClock().advance(-1)
