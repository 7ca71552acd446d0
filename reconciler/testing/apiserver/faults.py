"""Fault injection and request recording, for reliability tests.

A test (or anyone, through the ``/_reconciler/...`` admin endpoints) can make the server fail
the next N requests, or a fraction of them, that match a verb and a resource; answer them with
any code (``429`` with ``Retry-After``, ``500``, ``503`` ...); slow requests down; cut every open
watch; and compact the watch history so that a client resuming from an old resourceVersion gets
410 Expired. Every API request is recorded, so a test can assert what a controller actually
sent.

Rules are checked in the order they were added; the first match decides.
"""

from __future__ import annotations

import random
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from reconciler.testing.apiserver import status

JsonObj = dict[str, Any]

REASONS = {
    400: "BadRequest", 401: "Unauthorized", 403: "Forbidden", 404: "NotFound",
    409: "Conflict", 410: "Gone", 422: "Invalid", 429: "TooManyRequests",
    500: "InternalError", 503: "ServiceUnavailable", 504: "Timeout",
}


@dataclass
class FaultRule:
    """Fail matching requests with ``code``: the next ``times`` of them, or a ``fraction``."""

    code: int
    verb: str = "*"
    resource: str = "*"
    times: int | None = None
    fraction: float | None = None
    retry_after: int | None = None
    message: str = "injected fault"

    def matches(self, verb: str, resource: str) -> bool:
        """Whether a request with this verb and resource (``pods``, ``pods/status``) matches."""
        return self.verb in ("*", verb) and self.resource in ("*", resource)


@dataclass
class LatencyRule:
    """Delay matching requests by ``seconds``."""

    seconds: float
    verb: str = "*"
    resource: str = "*"


@dataclass(frozen=True)
class RecordedRequest:
    """One request as the server saw it."""

    method: str
    path: str
    query: str
    verb: str
    resource: str
    namespace: str
    name: str
    code: int = 0


@dataclass
class Faults:
    """The fault-injection controls of one server; thread-safe."""

    cut_watches_hook: Callable[[], int] = field(default=lambda: 0, repr=False)
    compact_hook: Callable[[], None] = field(default=lambda: None, repr=False)
    _rules: list[FaultRule] = field(default_factory=list)
    _latency: list[LatencyRule] = field(default_factory=list)
    _requests: list[RecordedRequest] = field(default_factory=list)
    _lock: threading.Lock = field(default_factory=threading.Lock, repr=False)
    _random: random.Random = field(default_factory=random.Random, repr=False)

    def fail(self, code: int, *, verb: str = "*", resource: str = "*", times: int | None = 1,
             fraction: float | None = None, retry_after: int | None = None,
             message: str = "injected fault") -> FaultRule:
        """Fail the next ``times`` matching requests (or a ``fraction`` of them, forever)."""
        if fraction is not None:
            if not 0 <= fraction <= 1:
                raise ValueError(f"fraction must be within [0, 1], got {fraction}")
            times = None
        elif times is None or times < 1:
            raise ValueError(f"times must be a positive integer, got {times}")
        if not 400 <= code <= 599:
            raise ValueError(f"code must be an HTTP error code, got {code}")
        rule = FaultRule(code, verb, resource, times, fraction, retry_after, message)
        with self._lock:
            self._rules.append(rule)
        return rule

    def add_latency(self, seconds: float, *, verb: str = "*", resource: str = "*") -> None:
        """Delay every matching request by ``seconds``."""
        if seconds < 0:
            raise ValueError(f"latency must not be negative, got {seconds}")
        with self._lock:
            self._latency.append(LatencyRule(seconds, verb, resource))

    def clear(self) -> None:
        """Remove every fault and latency rule (recorded requests stay)."""
        with self._lock:
            self._rules.clear()
            self._latency.clear()

    def cut_watches(self) -> int:
        """End every open watch stream now; returns how many were cut."""
        return self.cut_watches_hook()

    def compact(self) -> None:
        """Drop the watch history: a watch from any earlier resourceVersion gets 410."""
        self.compact_hook()

    @property
    def requests(self) -> list[RecordedRequest]:
        """Every request received so far, oldest first."""
        with self._lock:
            return list(self._requests)

    def clear_requests(self) -> None:
        """Forget the recorded requests."""
        with self._lock:
            self._requests.clear()

    def record(self, request: RecordedRequest) -> None:
        """Record one request (called by the HTTP layer)."""
        with self._lock:
            self._requests.append(request)

    def check(self, verb: str, resource: str) -> None:
        """Sleep for matching latency rules, then raise the first matching fault, if any."""
        with self._lock:
            delay = sum(r.seconds for r in self._latency if r.verb in ("*", verb)
                        and r.resource in ("*", resource))
            hit: FaultRule | None = None
            for rule in self._rules:
                if not rule.matches(verb, resource):
                    continue
                if rule.fraction is not None:
                    if self._random.random() < rule.fraction:
                        hit = rule
                        break
                    continue
                hit = rule
                assert rule.times is not None
                rule.times -= 1
                if rule.times <= 0:
                    self._rules.remove(rule)
                break
        if delay:
            time.sleep(delay)
        if hit is not None:
            headers = {"Retry-After": str(hit.retry_after)} if hit.retry_after is not None else {}
            details = {"retryAfterSeconds": hit.retry_after} if hit.retry_after is not None \
                else None
            raise status.ApiError(hit.code, REASONS.get(hit.code, "InternalError"), hit.message,
                                  details=details, headers=headers)

    def snapshot(self) -> JsonObj:
        """The active rules, as the admin endpoint shows them."""
        with self._lock:
            return {"faults": [asdict(r) for r in self._rules],
                    "latency": [asdict(r) for r in self._latency]}
