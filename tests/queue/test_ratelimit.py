"""Rate-limiter settings are validated and handed to the Lua script in milliseconds."""

from __future__ import annotations

import math

import pytest

from reconciler import errors
from reconciler.queue import CLIENT_GO_DEFAULT, RateLimiter, TokenBucket


def test_defaults_are_client_go_s() -> None:
    """Per-key 5 ms doubling to 1000 s; client-go's full default adds a 10 qps, 100 burst bucket."""
    limiter = RateLimiter()
    assert (limiter.base_delay, limiter.max_delay, limiter.bucket) == (0.005, 1000.0, None)
    assert CLIENT_GO_DEFAULT.bucket == TokenBucket(qps=10, burst=100)


def test_script_args_are_milliseconds() -> None:
    """The script receives base and max in ms, then qps and burst (0, 0 without a bucket)."""
    assert RateLimiter().script_args() == [5.0, 1_000_000.0, 0, 0]
    assert CLIENT_GO_DEFAULT.script_args() == [5.0, 1_000_000.0, 10.0, 100]


@pytest.mark.parametrize(
    ("make", "field"),
    [
        (lambda: RateLimiter(base_delay=0), "base_delay"),
        (lambda: RateLimiter(base_delay=-1), "base_delay"),
        (lambda: RateLimiter(max_delay=math.inf), "max_delay"),
        (lambda: RateLimiter(base_delay=2, max_delay=1), "max_delay"),
        (lambda: TokenBucket(qps=0), "qps"),
        (lambda: TokenBucket(burst=0), "burst"),
        (lambda: TokenBucket(burst=1.5), "burst"),  # type: ignore[arg-type]
    ],
)
def test_invalid_settings_name_the_field(make: object, field: str) -> None:
    """A bad limiter setting raises ConfigError naming the field."""
    with pytest.raises(errors.ConfigError, match=field):
        make()  # type: ignore[operator]
