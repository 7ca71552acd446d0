"""The ApiServer lifecycle, its kubeconfig and the ``reconciler apiserver`` command."""

from __future__ import annotations

import subprocess
import sys
import urllib.request
from pathlib import Path

import pytest
import urllib3
import yaml
from kubernetes import client, config

from reconciler.testing.apiserver import ApiServer


def test_starts_on_a_free_port_and_stops() -> None:
    """Port 0 picks a free port; after stop the port no longer answers."""
    with ApiServer() as srv:
        assert srv.port > 0 and srv.url == f"http://127.0.0.1:{srv.port}"
        with urllib.request.urlopen(srv.url + "/healthz", timeout=5) as resp:
            assert resp.read() == b"ok"
    with pytest.raises(OSError):
        urllib.request.urlopen(srv.url + "/healthz", timeout=2)


def test_refuses_non_loopback_addresses() -> None:
    """The server binds loopback only."""
    with pytest.raises(ValueError, match="loopback"):
        ApiServer(host="0.0.0.0")


def test_kubeconfig_works_with_the_official_client(tmp_path: Path) -> None:
    """write_kubeconfig produces a file the kubernetes client loads and uses."""
    with ApiServer() as srv:
        path = srv.write_kubeconfig(tmp_path / "kc" / "config")
        assert path.stat().st_mode & 0o777 == 0o600
        api = config.new_client_from_config(config_file=str(path))
        names = [n.metadata.name for n in client.CoreV1Api(api).list_namespace().items]
        assert names == ["default", "kube-node-lease", "kube-public", "kube-system"]


def test_cli_prints_url_and_writes_kubeconfig(tmp_path: Path) -> None:
    """``reconciler apiserver --port 0`` prints its URL, writes the kubeconfig and serves."""
    kubeconfig = tmp_path / "kubeconfig"
    proc = subprocess.Popen(
        [sys.executable, "-m", "reconciler", "apiserver", "--port", "0",
         "--kubeconfig", str(kubeconfig)],
        stdout=subprocess.PIPE, text=True)
    try:
        assert proc.stdout is not None
        first = proc.stdout.readline()
        assert first.startswith("API server listening on http://127.0.0.1:"), first
        url = first.split()[-1]
        assert f"kubeconfig written to {kubeconfig}" in proc.stdout.readline()
        doc = yaml.safe_load(kubeconfig.read_text())
        assert doc["clusters"][0]["cluster"]["server"] == url
        with urllib.request.urlopen(url + "/version", timeout=5) as resp:
            assert b'"major":"1"' in resp.read()
    finally:
        proc.terminate()
        assert proc.wait(timeout=10) == 0


def test_cli_reports_a_port_in_use(tmp_path: Path) -> None:
    """Starting on a port that is taken exits with code 2 and says why."""
    with ApiServer() as srv:
        result = subprocess.run(
            [sys.executable, "-m", "reconciler", "apiserver", "--port", str(srv.port),
             "--kubeconfig", str(tmp_path / "kc")],
            capture_output=True, text=True, timeout=120, check=False)
    assert result.returncode == 2 and "cannot start" in result.stdout, (
        result.returncode, result.stdout, result.stderr)


def test_stop_closes_pooled_client_connections() -> None:
    """After stop, a client's kept-alive connection fails instead of reaching a dead server."""
    srv = ApiServer().start()
    with client.ApiClient(srv.client_configuration()) as api:
        core = client.CoreV1Api(api)
        core.list_namespace()
        srv.stop()
        with pytest.raises(urllib3.exceptions.HTTPError):
            core.list_namespace(_request_timeout=5)
