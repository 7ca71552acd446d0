"""``reconciler apiserver``: run the embedded Kubernetes API server standalone.

It prints the URL, writes a kubeconfig (``--kubeconfig``, default ``./kubeconfig``) and serves
until interrupted, so kubectl, the Python client or a controller under development can use it
as a throwaway local cluster: ``KUBECONFIG=./kubeconfig kubectl get ns``.
"""

from __future__ import annotations

import argparse
import signal
import threading
from typing import Any

from reconciler.testing.apiserver import ApiServer


def register(subparsers: Any) -> None:
    """Add the ``apiserver`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "apiserver",
        help="run the embedded Kubernetes API server (for tests and demos)",
        description="Serve the Kubernetes REST API on a loopback port, with no TLS and no "
                    "auth, and write a kubeconfig that points at it.",
    )
    parser.add_argument("--port", type=int, default=6443,
                        help="port to listen on, 0 for any free port (default: 6443)")
    parser.add_argument("--host", default="127.0.0.1",
                        help="loopback address to bind (default: 127.0.0.1)")
    parser.add_argument("--kubeconfig", default="kubeconfig",
                        help="where to write the kubeconfig (default: ./kubeconfig)")
    parser.add_argument("--history", type=int, default=100_000,
                        help="watch history window in changes; older resourceVersions get "
                             "410 Expired (default: 100000)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    """Serve until SIGINT or SIGTERM; returns the exit code."""
    try:
        server = ApiServer(host=args.host, port=args.port, history_size=args.history)
        server.start()
    except (ValueError, OSError) as exc:
        print(f"reconciler apiserver: cannot start: {exc}", flush=True)
        return 2
    done = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: done.set())
    try:
        path = server.write_kubeconfig(args.kubeconfig)
        print(f"API server listening on {server.url}", flush=True)
        print(f"kubeconfig written to {path.resolve()}", flush=True)
        print(f"try: KUBECONFIG={path} kubectl get namespaces", flush=True)
        done.wait()
    finally:
        server.stop()
    return 0
