"""A small application for the process-level tests: ``--app watchapp:app`` (needs this folder
on PYTHONPATH). Its controller watches ConfigMaps in ``$WATCHAPP_NAMESPACE``."""

from __future__ import annotations

import os
from typing import Any

from reconciler.controller import Application, Controller, Resource


def reconcile(request: Any) -> None:
    """Does nothing: these tests look at the queue, not at reconciles."""


app = Application("watchapp", [
    Controller("cms", Resource("v1", "configmaps"), reconcile,
               namespace=os.environ.get("WATCHAPP_NAMESPACE", "default")),
])

bad_app = Application("badapp", [
    Controller("broken", Resource("v1", "configmaps"), reconcile,
               owns=[Resource("example.com/v1", "Gadget")]),
])

not_an_app = 42
