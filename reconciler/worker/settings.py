"""Celery settings that make reconcile tasks safe by default, each with its reason.

* **JSON only** (``task_serializer``, ``accept_content``): a worker never unpickles a message,
  so a writable broker cannot run code on it. Task arguments are a key and a token.
* **acks_late + reject_on_worker_lost**: a message is acknowledged after the task ran, and
  returned to the broker if the worker process died (kill -9, OOM). The key's lease fences
  the redelivered run: it runs only while the lease is still current.
* **prefetch 1** (``worker_prefetch_multiplier``): a worker process holds one message beyond
  the one it runs, so the backlog stays in the work queue, where it is measured, rate-limited
  and deduplicated, not in a worker's buffer.
* **no result backend**: outcomes go to the work queue and metrics; results would only fill
  Redis. Set ``result_backend`` yourself if you want them.
* **time limits per controller**: a soft limit raises inside the reconcile (an error: retried
  with backoff); the hard limit kills the process (the message is redelivered).
* **visibility_timeout** (Redis broker): an unacknowledged message is redelivered after this
  long. It must exceed the hard time limit, or a long but healthy run would be duplicated;
  the default is the longest hard limit plus the lease duration, and at least one hour.
* ``global_keyprefix``: the broker's keys live under the same prefix as the queues, so one
  Redis serves both without collisions.
"""

from __future__ import annotations

from typing import Any

DEFAULT_SOFT_TIME_LIMIT = 300.0
DEFAULT_TIME_LIMIT = 360.0
TASK_QUEUE = "reconciler"


def celery_settings(
    *,
    broker_url: str,
    prefix: str = "reconciler",
    longest_time_limit: float = DEFAULT_TIME_LIMIT,
    lease_seconds: float = 30.0,
) -> dict[str, Any]:
    """The Celery configuration for a reconciler application."""
    visibility = max(3600.0, longest_time_limit + lease_seconds)
    transport: dict[str, Any] = {"visibility_timeout": visibility}
    if broker_url.startswith(("redis://", "rediss://", "unix://")):
        transport["global_keyprefix"] = f"{prefix}:celery:"
    return {
        "broker_url": broker_url,
        "broker_connection_retry_on_startup": True,
        "broker_transport_options": transport,
        "task_serializer": "json",
        "result_serializer": "json",
        "accept_content": ["json"],
        "result_accept_content": ["json"],
        "result_backend": None,
        "task_ignore_result": True,
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_default_queue": TASK_QUEUE,
        "task_soft_time_limit": DEFAULT_SOFT_TIME_LIMIT,
        "task_time_limit": DEFAULT_TIME_LIMIT,
        "worker_hijack_root_logger": False,
        "worker_send_task_events": True,
        "task_send_sent_event": True,
    }
