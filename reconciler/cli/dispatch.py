"""``reconciler dispatch --app MODULE``: dispatchers as processes of their own.

By default every Celery worker node dispatches (its main process runs one dispatcher thread
per controller), so dispatch capacity grows with the workers. On small machines, or to keep
workers busy with reconciles only, run this command instead and start the workers with
``RECONCILER_DISPATCH_IN_WORKERS=0``. Any number of dispatch processes may run: taking keys
is atomic, and the in-flight cap holds across all of them.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import signal
import threading
from typing import Any

from celery import Celery

from reconciler import errors
from reconciler.dispatch import Dispatcher
from reconciler.worker.celeryapp import Runtime, celery_publisher

log = logging.getLogger("reconciler.cli.dispatch")


def register(subparsers: Any) -> None:
    """Add the ``dispatch`` subcommand."""
    parser = subparsers.add_parser("dispatch", help="move ready keys into Celery tasks",
                                   description=__doc__.split("\n\n")[1] if __doc__ else None)
    parser.add_argument("--app", required=True, metavar="MODULE[:ATTRIBUTE]",
                        help="the module of the Celery app (attribute defaults to 'app')")
    parser.add_argument("--batch", type=int, default=50, help="keys per round trip (50)")
    parser.add_argument("--log-level", default="INFO", help="logging level (INFO)")
    parser.set_defaults(func=run)


def load_celery(spec: str) -> Celery:
    """Import ``module[:attribute]`` and return the reconciler Celery app it names."""
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise errors.ConfigError(f"--app {spec!r}: cannot import {module_name!r}: {exc}") from exc
    app = getattr(module, attribute or "app", None)
    if not isinstance(app, Celery) or not isinstance(
        getattr(app, "reconciler_runtime", None), Runtime
    ):
        raise errors.ConfigError(
            f"--app {spec!r}: {module_name}.{attribute or 'app'} is not a Celery app made by "
            f"reconciler (create_celery_app or celery_app)"
        )
    return app


def run(args: argparse.Namespace) -> int:
    """Dispatch every controller of the app until SIGTERM or SIGINT."""
    logging.basicConfig(level=args.log_level, format="%(asctime)s %(levelname)s %(name)s: "
                                                     "%(message)s")
    app = load_celery(args.app)
    runtime: Runtime = app.reconciler_runtime
    stop = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: stop.set())
    threads = []
    for name in runtime.controllers:
        dispatcher = Dispatcher(runtime.queue(name), celery_publisher(app, name),
                                max_in_flight=runtime.options[name].max_in_flight,
                                batch=args.batch)
        thread = threading.Thread(target=dispatcher.run, args=(stop,), name=f"dispatch {name}")
        thread.start()
        threads.append(thread)
    log.info("dispatching for %s", ", ".join(runtime.controllers))
    for thread in threads:
        thread.join()
    return 0
