"""Bounded waits for tests: poll a condition instead of sleeping a fixed time."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any


class WaitTimeoutError(AssertionError):
    """A condition did not become true in time; test runners report it as a failure."""


def wait_until(check: Callable[[], Any], *, timeout: float = 10.0,
               what: str | Callable[[], str] = "condition", interval: float = 0.02) -> Any:
    """Poll ``check`` until it returns something truthy, and return that; after ``timeout``
    seconds raise :class:`WaitTimeoutError` naming ``what`` and the last value. ``what`` may
    be a callable, evaluated only on failure (to include a log's tail, say)."""
    deadline = time.monotonic() + timeout
    last: Any = None
    while True:
        last = check()
        if last:
            return last
        if time.monotonic() >= deadline:
            break
        time.sleep(interval)
    described = what() if callable(what) else what
    raise WaitTimeoutError(f"timed out after {timeout}s waiting for {described} "
                           f"(last value: {last!r})")
