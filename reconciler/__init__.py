"""reconciler: Kubernetes controllers whose reconcile work scales out across many machines.

This module is the public surface; everything else is importable but internal. Names that
need the Kubernetes client or Celery (``Context``, ``KubeClient``, ``celery_app`` ...) load
on first use, so ``import reconciler`` stays cheap. The testing kit (``reconciler.testing``)
stands beside it and is imported on purpose, never by the library.
"""

from __future__ import annotations

import importlib
from typing import Any

from reconciler.controller import Application, Controller, Resource, Watch
from reconciler.errors import (
    ConfigError,
    FencedError,
    InvalidDelayError,
    InvalidKeyError,
    QueueError,
    ReconcilerError,
    RedisUnavailableError,
)
from reconciler.queue import (
    CLIENT_GO_DEFAULT,
    KeyState,
    Lease,
    QueueStats,
    RateLimiter,
    TokenBucket,
    WorkQueue,
)
from reconciler.reconcile import Request, Result, TerminalError
from reconciler.redisconn import connect as connect_redis
from reconciler.watch.predicates import (
    Predicate,
    all_of,
    annotations_changed,
    any_of,
    generation_changed,
    label_selector,
    labels_changed,
    not_,
)

#: Public names loaded on first access, from the module that defines them.
_LAZY = {
    "ApiError": "reconciler.kube",
    "Context": "reconciler.worker.context",
    "EventRecorder": "reconciler.kube",
    "KubeClient": "reconciler.kube",
    "LeaderConfig": "reconciler.leader",
    "LeaderElector": "reconciler.leader",
    "celery_app": "reconciler.worker.application",
}


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        return getattr(importlib.import_module(_LAZY[name]), name)
    raise AttributeError(f"module 'reconciler' has no attribute {name!r}")


__all__ = [
    "CLIENT_GO_DEFAULT",
    "ApiError",
    "Application",
    "ConfigError",
    "Context",
    "Controller",
    "EventRecorder",
    "FencedError",
    "InvalidDelayError",
    "InvalidKeyError",
    "KeyState",
    "KubeClient",
    "LeaderConfig",
    "LeaderElector",
    "Lease",
    "Predicate",
    "QueueError",
    "QueueStats",
    "RateLimiter",
    "ReconcilerError",
    "RedisUnavailableError",
    "Request",
    "Resource",
    "Result",
    "TerminalError",
    "TokenBucket",
    "Watch",
    "WorkQueue",
    "all_of",
    "annotations_changed",
    "any_of",
    "celery_app",
    "connect_redis",
    "generation_changed",
    "label_selector",
    "labels_changed",
    "not_",
]
