"""An Application becomes a Celery app: one task per controller, options checked by name,
settings from the environment."""

from __future__ import annotations

import pytest

from reconciler import errors
from reconciler.controller import Application, Controller, Resource
from reconciler.worker import application


def app_with(**options: object) -> Application:
    return Application("shop", [Controller(
        "webapp", Resource("demo.reconciler.dev/v1", "WebApp"), lambda ctx, req: None,
        options=options)])


def test_unknown_worker_options_are_refused_by_name() -> None:
    """A typo in Controller(options=...) fails at start-up naming the controller and option."""
    with pytest.raises(errors.ConfigError, match=r"'webapp'.*max_inflight"):
        application.celery_app(app_with(max_inflight=3), redis_url="redis://127.0.0.1:1/0")


def test_options_reach_the_task(monkeypatch: pytest.MonkeyPatch) -> None:
    """Time limits come from the controller's options; dispatch follows the environment."""
    monkeypatch.setenv("RECONCILER_DISPATCH_IN_WORKERS", "0")
    app = application.celery_app(app_with(soft_time_limit=5, time_limit=9),
                                 redis_url="redis://127.0.0.1:1/0")
    task = app.tasks["reconcile.webapp"]
    assert (task.soft_time_limit, task.time_limit) == (5, 9)
    assert app.conf.broker_url == "redis://127.0.0.1:1/0"
    assert not any("DispatchStep" in repr(step) for step in app.steps["worker"])


def test_soft_limit_must_be_below_the_hard_limit() -> None:
    """soft_time_limit >= time_limit is refused."""
    with pytest.raises(errors.ConfigError, match="soft_time_limit"):
        application.celery_app(app_with(soft_time_limit=9, time_limit=9),
                               redis_url="redis://127.0.0.1:1/0")
