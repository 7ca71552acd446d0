"""Connecting to Redis: clear errors, no passwords in messages, auth URLs that work."""

from __future__ import annotations

import pytest

from reconciler import errors, redisconn
from reconciler.testing.redisserver import EmbeddedRedis, free_port


def test_redact_hides_the_password_only() -> None:
    """A URL's password becomes *** and everything else stays."""
    assert redisconn.redact("redis://user:hunter2@host:6380/2") == "redis://user:***@host:6380/2"
    assert redisconn.redact("rediss://:hunter2@host/0?x=1") == "rediss://:***@host/0?x=1"
    assert redisconn.redact("redis://host:6379/0") == "redis://host:6379/0"


def test_unreachable_server_is_named_without_its_password() -> None:
    """connect() to a dead port raises RedisUnavailableError with the redacted URL."""
    url = f"redis://:hunter2@127.0.0.1:{free_port()}/0"
    with pytest.raises(errors.RedisUnavailableError) as caught:
        redisconn.connect(url, socket_timeout=1)
    assert "127.0.0.1" in str(caught.value) and "***" in str(caught.value)
    assert "hunter2" not in str(caught.value)


def test_malformed_url_is_a_config_error() -> None:
    """A URL redis-py cannot parse raises ConfigError naming it."""
    with pytest.raises(errors.ConfigError, match="invalid Redis URL"):
        redisconn.connect("http://example/0")


def test_password_urls_work_and_wrong_passwords_are_refused_clearly() -> None:
    """A server with requirepass accepts the right URL and refuses a wrong one, unleaked."""
    with EmbeddedRedis(password="s3cret-pw") as server:
        client = redisconn.connect(server.url)
        assert client.ping() is True
        client.close()
        bad = server.url.replace("s3cret-pw", "wrong-pw")
        with pytest.raises(errors.RedisUnavailableError) as caught:
            redisconn.connect(bad)
        assert "wrong-pw" not in str(caught.value)


def test_describe_names_the_server() -> None:
    """describe() gives host, port and db of a client, for error messages."""
    client = redisconn.connect("redis://127.0.0.1:1/3", check=False)
    assert redisconn.describe(client) == "redis://127.0.0.1:1/3"
