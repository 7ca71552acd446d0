"""Tests of reconciler.leader.config: defaults and refused combinations."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.leader import LeaderConfig


def test_defaults_follow_controller_runtime() -> None:
    """The defaults are lease 15 s, renew deadline 10 s, retry 2 s."""
    config = LeaderConfig()
    assert (config.lease_duration, config.renew_deadline, config.retry_period) == (15, 10, 2)
    assert config.lease_ms == 15000


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"lease_duration": 0}, "lease_duration"),
        ({"renew_deadline": -1}, "renew_deadline"),
        ({"retry_period": float("nan")}, "retry_period"),
        ({"retry_period": True}, "retry_period"),
        ({"lease_duration": 10, "renew_deadline": 10}, "lease_duration"),
        ({"renew_deadline": 2.4, "retry_period": 2}, "renew_deadline"),
    ],
)
def test_invalid_combinations_are_refused(kwargs: dict[str, float], field: str) -> None:
    """Non-positive values, lease <= renew deadline and renew deadline <= 1.2 x retry fail."""
    with pytest.raises(errors.ConfigError, match=field):
        LeaderConfig(**kwargs)


def test_short_test_timings_are_valid() -> None:
    """The short timings the process tests use are accepted."""
    assert LeaderConfig(lease_duration=2, renew_deadline=1.5, retry_period=0.2).lease_ms == 2000
