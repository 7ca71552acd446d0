"""``ApiServer``: start and stop the embedded API server in-process.

::

    with ApiServer() as server:              # port 0: the OS picks a free port
        server.write_kubeconfig("kubeconfig")
        client = kubernetes.client.ApiClient(server.client_configuration())
        server.faults.fail(500, verb="create", resource="configmaps")

The server binds loopback only and has no TLS and no authentication. It starts with the
namespaces a fresh cluster has (``default``, ``kube-system``, ``kube-public``,
``kube-node-lease``).
"""

from __future__ import annotations

import ipaddress
import os
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from reconciler.testing.apiserver import faults, gc, handler, resources, store

INITIAL_NAMESPACES = ("default", "kube-system", "kube-public", "kube-node-lease")


class ApiServer:
    """An embedded Kubernetes API server serving real HTTP on a loopback port."""

    def __init__(self, *, host: str = "127.0.0.1", port: int = 0, history_size: int = 100_000,
                 bookmark_interval: float = 5.0, watch_timeout: float = 1800.0) -> None:
        if not ipaddress.ip_address(host).is_loopback:
            raise ValueError(f"the embedded API server binds loopback only, not {host!r}")
        if history_size < 1:
            raise ValueError(f"history_size must be positive, got {history_size}")
        self.host = host
        self._port = port
        self.registry = resources.Registry()
        self.store = store.Store(self.registry, history_size=history_size)
        self.faults = faults.Faults(cut_watches_hook=self.store.hub.close_all,
                                    compact_hook=self._compact)
        self._context = handler.Context(self.registry, self.store, self.faults,
                                        bookmark_interval=bookmark_interval,
                                        default_watch_timeout=watch_timeout)
        self._gc = gc.GarbageCollector(self.store)
        self._http: handler.Server | None = None
        self._thread: threading.Thread | None = None
        namespaces = self.registry.get("", "v1", "namespaces")
        assert namespaces is not None
        for name in INITIAL_NAMESPACES:
            self.store.create(namespaces, "", {"metadata": {"name": name}})

    def _compact(self) -> None:
        with self.store.lock:
            self.store.hub.compact(self.store.resource_version)

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> ApiServer:
        """Bind the port and serve on a background thread; returns self."""
        if self._http is not None:
            raise RuntimeError("the API server is already running")
        self._http = handler.Server((self.host, self._port), self._context)
        self._port = self._http.server_address[1]
        self._context.address = f"{self.host}:{self._port}"
        self._context.stopping = False
        self._gc.start()
        self._thread = threading.Thread(target=self._http.serve_forever,
                                        kwargs={"poll_interval": 0.1},
                                        name=f"apiserver-{self._port}", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """End every watch, stop serving and close the port."""
        if self._http is None:
            return
        self._context.stopping = True
        self.store.hub.close_all()
        self._http.shutdown()
        self._http.server_close()
        self._http.close_connections()
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._gc.stop()
        self._http = None

    def __enter__(self) -> ApiServer:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.stop()

    # -- access ----------------------------------------------------------------------------

    @property
    def port(self) -> int:
        """The bound port (the requested one until started)."""
        return self._port

    @property
    def url(self) -> str:
        """The base URL, e.g. ``http://127.0.0.1:43121``."""
        return f"http://{self.host}:{self._port}"

    @property
    def open_watches(self) -> int:
        """How many watch streams are open now."""
        return self.store.hub.open_watches

    def kubeconfig(self, *, context: str = "reconciler") -> dict[str, Any]:
        """A kubeconfig document pointing at this server (no credentials needed)."""
        return {
            "apiVersion": "v1",
            "kind": "Config",
            "clusters": [{"name": context, "cluster": {"server": self.url}}],
            "users": [{"name": context, "user": {}}],
            "contexts": [{"name": context, "context": {"cluster": context, "user": context,
                                                         "namespace": "default"}}],
            "current-context": context,
            "preferences": {},
        }

    def write_kubeconfig(self, path: str | os.PathLike[str], *,
                         context: str = "reconciler") -> Path:
        """Write :meth:`kubeconfig` to ``path`` (mode 0600) and return the path."""
        target = Path(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(yaml.safe_dump(self.kubeconfig(context=context), sort_keys=False))
        target.chmod(0o600)
        return target

    def client_configuration(self) -> Any:
        """A ``kubernetes.client.Configuration`` for this server (needs the client installed)."""
        from kubernetes import client  # noqa: PLC0415 - optional; only this helper needs it

        config = client.Configuration()
        config.host = self.url
        return config
