"""A whole reconciler deployment on one machine: Redis, the embedded API server with an
application's CRDs, and the Procfile's processes (watchers, workers, Flower) as real children.

``reconciler demo`` and the end-to-end tests both run on it, so they exercise the same
commands a user runs with ``honcho start``. Redis is the one at ``redis_url`` when it answers,
else an embedded server; every key lives under a fresh prefix that :meth:`LocalStack.close`
deletes, so a shared Redis is never flushed.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
import uuid
from collections.abc import Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import yaml

from reconciler import kube, redisconn
from reconciler.testing import redisserver
from reconciler.testing.apiserver import ApiServer
from reconciler.testing.processes import ProcessGroup, read_procfile

REPO_ROOT = Path(__file__).resolve().parents[2]


class LocalStack:
    """``with LocalStack(crds=[path]) as stack: stack.processes.start("worker", count=2)``."""

    def __init__(
        self,
        *,
        crds: Sequence[Path] = (),
        redis_url: str | None = None,
        procfile: Path | None = None,
        cwd: Path | None = None,
        extra_env: dict[str, str] | None = None,
    ) -> None:
        self.crds = list(crds)
        self.requested_redis = redis_url or os.environ.get("REDIS_URL", redisconn.DEFAULT_URL)
        self.cwd = cwd or REPO_ROOT
        self.procfile_path = procfile or self.cwd / "Procfile"
        self.extra_env = extra_env or {}
        self.prefix = f"demo-{uuid.uuid4().hex[:8]}"
        self._stack = contextlib.ExitStack()
        self.redis_url = ""
        self.api: ApiServer | None = None
        self.kube: kube.KubeClient | None = None
        self.processes: ProcessGroup | None = None
        self.workdir = Path(".")

    def start(self) -> LocalStack:
        """Start Redis (if needed) and the API server, install the CRDs, prepare processes."""
        stack = self._stack
        self.workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="reconciler-")))
        self.redis_url = stack.enter_context(redisserver.available(self.requested_redis))
        self.api = stack.enter_context(ApiServer())
        kubeconfig = self.workdir / "kubeconfig"
        self.api.write_kubeconfig(kubeconfig)
        self.kube = kube.KubeClient.from_kubeconfig(str(kubeconfig))
        stack.callback(self.kube.close)
        crd_ref = self.kube.resolve("apiextensions.k8s.io/v1", "CustomResourceDefinition")
        for path in self.crds:
            for doc in yaml.safe_load_all(path.read_text()):
                if doc:
                    self.kube.create(crd_ref, doc)
        env = {
            **os.environ,
            "REDIS_URL": self.redis_url,
            "KUBECONFIG": str(kubeconfig),
            "RECONCILER_PREFIX": self.prefix,
            "PYTHONUNBUFFERED": "1",
            **self.extra_env,
        }
        # Children find the venv's commands (reconciler, celery) next to this interpreter.
        env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
        self.processes = ProcessGroup(
            read_procfile(self.procfile_path), env=env, log_dir=self.workdir, cwd=self.cwd
        )
        stack.callback(self._cleanup_redis)
        stack.callback(self.processes.stop)
        return self

    def _cleanup_redis(self) -> None:
        client = redisconn.connect(self.redis_url, check=False)
        try:
            redisserver.delete_prefixed(client, self.prefix)
        finally:
            client.close()

    def close(self) -> None:
        """Stop every process and server and delete this stack's Redis keys."""
        self._stack.close()

    def __enter__(self) -> LocalStack:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def describe(self) -> dict[str, Any]:
        """Where everything is, for printing."""
        return {
            "api_server": self.api.url if self.api else None,
            "kubeconfig": str(self.workdir / "kubeconfig"),
            "redis": redisconn.redact(self.redis_url),
            "prefix": self.prefix,
            "logs": str(self.workdir),
        }
