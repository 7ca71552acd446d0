"""kopf, a third-party operator framework, runs a small operator against the server."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from reconciler.testing.apiserver import ApiServer

OPERATOR = '''
import pathlib
import kopf

OUT = pathlib.Path({out!r})

@kopf.on.create("example.com", "v1", "widgets")
def created(name, spec, **_):
    (OUT / f"created-{{name}}").write_text(str(spec.get("size")))
    return {{"seen": True}}

@kopf.on.delete("example.com", "v1", "widgets")
def deleted(name, **_):
    (OUT / f"deleted-{{name}}").write_text("bye")
'''


@pytest.mark.usefixtures("widgets")
def test_kopf_create_and_delete_handlers_fire(server: ApiServer, http: Any, tmp_path: Path,
                                              namespace: str, eventually: Any) -> None:
    """kopf's create handler runs, its finalizer holds the delete, its delete handler runs."""
    operator = tmp_path / "operator.py"
    operator.write_text(OPERATOR.format(out=str(tmp_path)))
    kubeconfig = server.write_kubeconfig(tmp_path / "kubeconfig")
    log = (tmp_path / "kopf.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "kopf", "run", "--standalone", "--namespace", namespace,
         str(operator)],
        env={"KUBECONFIG": str(kubeconfig), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"},
        stdout=log, stderr=subprocess.STDOUT)
    base = f"/apis/example.com/v1/namespaces/{namespace}/widgets"

    def kopf_log() -> str:
        return (tmp_path / "kopf.log").read_text()[-3000:]

    try:
        code, body = http("POST", base, {"apiVersion": "example.com/v1", "kind": "Widget",
                                         "metadata": {"name": "w1"}, "spec": {"size": 4}})
        assert code == 201, body
        eventually((tmp_path / "created-w1").exists, timeout=30,
                   what=lambda: f"kopf's create handler; log:\n{kopf_log()}")
        assert (tmp_path / "created-w1").read_text() == "4"
        code, obj = http("GET", f"{base}/w1")
        assert any(f.startswith("kopf.zalando.org/") for f in obj["metadata"]["finalizers"])
        code, _ = http("DELETE", f"{base}/w1")
        assert code in (200, 202)
        eventually((tmp_path / "deleted-w1").exists, timeout=30,
                   what=lambda: f"kopf's delete handler; log:\n{kopf_log()}")
        eventually(lambda: http("GET", f"{base}/w1")[0] == 404, timeout=30,
                   what=lambda: f"the widget to go after kopf's finalizer; log:\n{kopf_log()}")
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
    if proc.returncode not in (0, -15):
        pytest.fail(f"kopf exited with {proc.returncode}; log:\n{kopf_log()}")
