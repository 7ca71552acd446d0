"""``reconciler watch --app MODULE[:ATTRIBUTE]``: the leader-elected watcher of an application.

Every replica validates the application against the API server (so a bad declaration fails
at start-up on every replica), then stands for election. The leader raises the fences of the
application's queues to its epoch and watches; the others retry every ``--retry`` seconds.

Exit codes: 0 after SIGTERM/SIGINT (the lock is released first, so a standby takes over at
once); 1 when leadership is lost (renewal failed past the deadline, deposed, or a queue write
was fenced): the process stops watching at once, as controller-runtime's managers do, and
its supervisor restarts it as a standby; 2 for a bad command line, application or setting.
"""

from __future__ import annotations

import argparse
import importlib
import logging
import os
import signal
import sys
import threading
from collections.abc import Sequence
from typing import Any

from reconciler import controller as controller_mod
from reconciler import errors, redisconn
from reconciler.leader import LeaderConfig, LeaderElector, LeadershipLostError, Term
from reconciler.watch import WatchConfig, Watcher

log = logging.getLogger("reconciler.cli.watch")


def register(subparsers: Any) -> None:
    """Add the ``watch`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "watch", help="run the leader-elected watcher of an application",
        description="List and watch the resources of every controller of an application and "
                    "add changed keys to their Redis work queues, on one elected replica.")
    add_arguments(parser)


def add_arguments(parser: argparse.ArgumentParser) -> None:
    """The options of ``reconciler watch``."""
    parser.add_argument("--app", required=True, metavar="MODULE[:ATTRIBUTE]",
                        help="the Application object (attribute defaults to 'app')")
    parser.add_argument("--redis-url", default=os.environ.get("REDIS_URL",
                                                              redisconn.DEFAULT_URL),
                        help="Redis URL (default: $REDIS_URL or %(default)s)")
    parser.add_argument("--kubeconfig", default=os.environ.get("KUBECONFIG"),
                        help="kubeconfig file (default: $KUBECONFIG, else in-cluster)")
    parser.add_argument("--context", default=None, help="kubeconfig context")
    parser.add_argument("--prefix", default=os.environ.get("RECONCILER_PREFIX", "reconciler"),
                        help="Redis key prefix (default: $RECONCILER_PREFIX or %(default)s)")
    parser.add_argument("--identity", default=None, help="this replica's name in the lock")
    parser.add_argument("--lease", type=float, default=15.0, help="lease seconds (15)")
    parser.add_argument("--renew-deadline", type=float, default=10.0,
                        help="renew deadline seconds (10)")
    parser.add_argument("--retry", type=float, default=2.0, help="retry period seconds (2)")
    parser.add_argument("--stall-timeout", type=float, default=120.0,
                        help="restart a watch silent this many seconds (120)")
    parser.add_argument("--log-level", default="INFO", help="logging level (INFO)")
    parser.set_defaults(func=run)


def load_app(spec: str) -> controller_mod.Application:
    """Import ``module[:attribute]`` and return the Application it names."""
    module_name, _, attribute = spec.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise errors.ConfigError(f"--app {spec!r}: cannot import {module_name!r}: {exc}") \
            from exc
    app = getattr(module, attribute or "app", None)
    if not isinstance(app, controller_mod.Application):
        raise errors.ConfigError(f"--app {spec!r}: {module_name}.{attribute or 'app'} is not a "
                                 f"reconciler Application (got {type(app).__name__})")
    return app


def _api_client(kubeconfig: str | None, context: str | None) -> Any:
    # Imported here (and untyped): only the watch command needs the client.
    client: Any = importlib.import_module("kubernetes.client")
    config: Any = importlib.import_module("kubernetes.config")
    if kubeconfig:
        return config.new_client_from_config(config_file=kubeconfig, context=context)
    configuration = client.Configuration()
    config.load_incluster_config(client_configuration=configuration)
    return client.ApiClient(configuration)


def run(args: argparse.Namespace) -> int:
    """Validate, stand for election, watch while leading; returns the exit code."""
    logging.basicConfig(level=args.log_level.upper(), stream=sys.stderr,
                        format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    try:
        app = load_app(args.app)
        leader_config = LeaderConfig(args.lease, args.renew_deadline, args.retry)
        watch_config = WatchConfig(stall_timeout=args.stall_timeout)
        redis = redisconn.connect(args.redis_url)
        api = _api_client(args.kubeconfig, args.context)
        Watcher(app, redis, api, epoch=None, prefix=args.prefix).resolve()
        # The elector's own connection times out within one retry period, so a hung Redis
        # cannot hold a renewal past the renew deadline.
        elector_redis = redisconn.connect(args.redis_url,
                                          socket_timeout=leader_config.retry_period)
        elector = LeaderElector(elector_redis, app.name, config=leader_config,
                                identity=args.identity, prefix=args.prefix)
    except Exception as exc:  # every start-up failure: say what, exit 2
        print(f"reconciler watch: {exc}", file=sys.stderr, flush=True)
        return 2
    halt = threading.Event()
    for sig in (signal.SIGTERM, signal.SIGINT):
        signal.signal(sig, lambda *_: halt.set())
    log.info("%s stands for election of %s (redis %s)", elector.identity, app.name,
             redisconn.redact(args.redis_url))
    term = elector.acquire(halt)
    if term is None:
        return 0
    return lead(app, elector, term, halt, redis=redis, api=api, prefix=args.prefix,
                config=watch_config)


def lead(app: controller_mod.Application, elector: LeaderElector, term: Term,
         halt: threading.Event, *, redis: Any, api: Any, prefix: str,
         config: WatchConfig) -> int:
    """Watch while holding the lock; returns 0 after ``halt``, 1 when leadership is lost."""
    watcher = Watcher(app, redis, api, epoch=term.epoch, prefix=prefix, config=config)

    def halt_on_failure() -> None:
        watcher.failed.wait()
        halt.set()

    threading.Thread(target=halt_on_failure, daemon=True, name="watch-failure").start()
    try:
        watcher.start()
        print(f"leading {app.name} as {term.identity}, epoch {term.epoch}", flush=True)
        elector.hold(halt, on_reset=lambda new: watcher.new_term(new.epoch))
    except (LeadershipLostError, errors.ReconcilerError) as exc:
        watcher.stop(timeout=1.0)
        log.error("stopped leading %s: %s", app.name, exc)
        return 1
    if watcher.failed.is_set():
        watcher.stop(timeout=1.0)
        log.error("stopped leading %s: %s: %s", app.name, type(watcher.error).__name__,
                  watcher.error)
        return 1
    watcher.stop()
    released = elector.release()
    log.info("shut down; lock %s", "released" if released else "was no longer ours")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``reconciler watch`` standalone: ``python -m reconciler.cli.watch --app ...``."""
    parser = argparse.ArgumentParser(prog="reconciler watch")
    add_arguments(parser)
    args = parser.parse_args(argv)
    code: int = args.func(args)
    return code


if __name__ == "__main__":
    sys.exit(main())
