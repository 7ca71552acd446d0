"""Tests of reconciler.controller: declarations are validated with messages naming the
controller and the field."""

from __future__ import annotations

from typing import Any

import pytest

from reconciler import errors
from reconciler.controller import (
    DEFAULT_RESYNC_PERIOD,
    Application,
    Controller,
    InvalidControllerError,
    Resource,
    Watch,
)


def noop(*_: Any) -> None:
    """A reconcile function."""


WIDGETS = Resource("example.com/v1", "Widget")


def test_a_valid_declaration_lists_its_sources() -> None:
    """Primary, owned and watched resources come back in order with their roles and fields."""
    ctl = Controller("widgets", WIDGETS, noop, owns=[Resource("v1", "ConfigMap")],
                     watches=[Watch(Resource("v1", "secrets"), lambda obj: [])])
    assert [(s.role, s.field) for s in ctl.sources()] == [
        ("primary", "resource"), ("owned", "owns[0]"), ("watched", "watches[0]")]
    assert ctl.resync_period == DEFAULT_RESYNC_PERIOD == 36000
    assert WIDGETS.group == "example.com" and WIDGETS.version == "v1"


def test_namespace_defaults_from_the_controller() -> None:
    """A resource without a namespace takes the controller's; its own wins otherwise."""
    ctl = Controller("w", WIDGETS, noop, namespace="prod")
    assert ctl.namespace_of(WIDGETS) == "prod"
    assert ctl.namespace_of(Resource("v1", "Pod", namespace="dev")) == "dev"


@pytest.mark.parametrize(
    ("kwargs", "pattern"),
    [
        ({"reconcile": None}, r"'widgets'.*'reconcile'.*callable"),
        ({"name": "Bad Name"}, r"'Bad Name'.*'name'"),
        ({"resource": "widgets"}, r"'resource'"),
        ({"owns": ["ConfigMap"]}, r"'owns\[0\]'"),
        ({"owns": [Resource("v1", "")]}, r"'owns\[0\]'.*kind"),
        ({"watches": [Watch(WIDGETS, None)]}, r"'watches\[0\]'"),  # type: ignore[arg-type]
        ({"resource": Resource("apps", "Deployment")}, r"'resource'.*api_version"),
        ({"resource": Resource("v1", "Pod", label_selector="a in (")}, r"'resource'.*selector"),
        ({"resource": Resource("v1", "Pod", predicate=len)}, r"'resource'.*predicate"),  # type: ignore[arg-type]
        ({"namespace": "Not_OK"}, r"'namespace'"),
        ({"resync_period": 0}, r"'resync_period'"),
        ({"resync_jitter": 2}, r"'resync_jitter'"),
    ],
)
def test_invalid_declarations_name_controller_and_field(kwargs: dict[str, Any],
                                                        pattern: str) -> None:
    """Each malformed field is refused with InvalidControllerError naming it."""
    args: dict[str, Any] = {"name": "widgets", "resource": WIDGETS, "reconcile": noop, **kwargs}
    with pytest.raises(InvalidControllerError, match=pattern):
        Controller(**args)


def test_duplicate_names_are_refused() -> None:
    """An application refuses a second controller with the same name."""
    app = Application("demo", [Controller("a", WIDGETS, noop)])
    with pytest.raises(InvalidControllerError, match=r"'a'.*'name'.*duplicate"):
        app.add(Controller("a", Resource("v1", "Pod"), noop))


def test_decorator_registers_and_returns_the_function() -> None:
    """``@app.controller`` adds a controller and leaves the function unchanged."""
    app = Application("demo")

    @app.controller("widgets", WIDGETS, owns=[Resource("v1", "ConfigMap")],
                    resync_period=60)
    def reconcile(request: Any) -> None:
        """Reconcile a widget."""

    assert [c.name for c in app.controllers] == ["widgets"]
    assert app.controllers[0].reconcile is reconcile
    assert app.controllers[0].resync_period == 60


def test_errors_are_config_errors() -> None:
    """InvalidControllerError is a ConfigError (and a ValueError)."""
    assert issubclass(InvalidControllerError, errors.ConfigError)
    assert issubclass(InvalidControllerError, ValueError)
    with pytest.raises(errors.ConfigError, match="application name"):
        Application("Bad Name")
