"""kubectl (Debian's kubernetes-client, v1.20) against the server over HTTP."""

from __future__ import annotations

import json
import queue
import subprocess
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from reconciler.testing.apiserver import ApiServer

Kubectl = Callable[..., str]

DEPLOYMENT = """
apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {app: web}
spec:
  selector: {matchLabels: {app: web}}
  template:
    metadata: {labels: {app: web}}
    spec:
      containers:
      - name: web
        image: nginx:1
        env: [{name: A, value: "1"}]
"""


@pytest.fixture
def k(kubectl: str, server: ApiServer, tmp_path: Path, namespace: str) -> Kubectl:
    """Run kubectl with a kubeconfig for the server in the test's namespace; returns stdout."""
    config = server.write_kubeconfig(tmp_path / "kubeconfig")
    env = {"KUBECONFIG": str(config), "HOME": str(tmp_path), "PATH": "/usr/bin:/bin"}

    def run(*args: str, stdin: str | None = None, ok: bool = True) -> str:
        result = subprocess.run(
            [kubectl, f"--cache-dir={tmp_path / 'cache'}", "-n", namespace, *args],
            input=stdin, capture_output=True, text=True, env=env, timeout=60, check=False)
        if ok and result.returncode != 0:
            pytest.fail(f"kubectl {' '.join(args)} failed ({result.returncode}): "
                        f"{result.stderr}")
        return result.stdout if ok else result.stdout + result.stderr

    run.env = env  # type: ignore[attr-defined]
    return run


def test_api_resources_lists_kinds_and_short_names(k: Kubectl) -> None:
    """kubectl api-resources shows built-in resources with their short names and groups."""
    out = k("api-resources")
    rows = {line.split()[0]: line for line in out.splitlines()[1:]}
    assert "deploy" in rows["deployments"] and "apps/v1" in rows["deployments"]
    assert "cm" in rows["configmaps"]
    assert "coordination.k8s.io/v1" in rows["leases"]


def test_apply_get_label_patch_delete(k: Kubectl) -> None:
    """apply creates then configures, get -o yaml shows it, label/patch/delete change it."""
    assert "deployment.apps/web created" in k("apply", "-f", "-", stdin=DEPLOYMENT)
    assert "unchanged" in k("apply", "-f", "-", stdin=DEPLOYMENT)
    changed = DEPLOYMENT.replace('value: "1"}]', 'value: "2"}, {name: B, value: "3"}]')
    assert "configured" in k("apply", "-f", "-", stdin=changed)
    dep = yaml.safe_load(k("get", "deployment", "web", "-o", "yaml"))
    assert dep["metadata"]["generation"] == 2
    assert dep["spec"]["template"]["spec"]["containers"][0]["env"] == [
        {"name": "A", "value": "2"}, {"name": "B", "value": "3"}]
    k("label", "deploy", "web", "tier=frontend")
    k("patch", "deploy", "web", "-p",
      json.dumps({"spec": {"template": {"spec": {"containers": [
          {"name": "web", "image": "nginx:2"}]}}}}))
    dep = json.loads(k("get", "deploy", "web", "-o", "json"))
    assert dep["metadata"]["labels"] == {"app": "web", "tier": "frontend"}
    container = dep["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "nginx:2" and len(container["env"]) == 2
    assert 'deployment.apps "web" deleted' in k("delete", "deploy", "web")
    assert "NotFound" in k("get", "deploy", "web", ok=False)


def test_get_events(k: Kubectl, http: Any, namespace: str) -> None:
    """kubectl get events lists the namespace's events."""
    http("POST", f"/api/v1/namespaces/{namespace}/events", {
        "metadata": {"name": "ev1"}, "involvedObject": {"kind": "Pod", "name": "p"},
        "reason": "Started", "message": "hello", "type": "Normal"})
    assert "ev1" in k("get", "events")


def test_get_watch_streams_changes(k: Kubectl, kubectl: str, tmp_path: Path,
                                   namespace: str) -> None:
    """kubectl get --watch prints the listed object, then a line for its change and delete."""
    k("create", "configmap", "watched", "--from-literal=a=b")
    proc = subprocess.Popen(
        [kubectl, f"--cache-dir={tmp_path / 'cache'}", "-n", namespace, "get", "configmaps",
         "--watch", "--request-timeout=30s"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env=k.env)  # type: ignore[attr-defined]
    lines: queue.Queue[str] = queue.Queue()
    assert proc.stdout is not None
    reader = proc.stdout
    threading.Thread(target=lambda: [lines.put(line) for line in reader], daemon=True).start()
    seen: list[str] = []

    def wait_for_lines(count: int) -> None:
        while sum("watched" in line for line in seen) < count:
            try:
                seen.append(lines.get(timeout=20))
            except queue.Empty:
                pytest.fail(f"kubectl get --watch printed only {seen}")

    try:
        wait_for_lines(1)  # the initial list: the watch starts from its resourceVersion
        k("label", "configmap", "watched", "x=y")
        k("delete", "configmap", "watched")
        wait_for_lines(3)
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_crd_and_custom_resources(k: Kubectl, widget_crd: dict[str, Any]) -> None:
    """kubectl applies a CRD, then its custom resources by kind and short name, with columns."""
    k("apply", "-f", "-", stdin=json.dumps(widget_crd))
    try:
        out = k("apply", "-f", "-", stdin=yaml.safe_dump({
            "apiVersion": "example.com/v1", "kind": "Widget", "metadata": {"name": "w1"},
            "spec": {"size": 3}}))
        assert "widget.example.com/w1 created" in out
        table = k("get", "wd")
        assert table.split("\n")[0].split() == ["NAME", "SIZE", "AGE"]
        assert table.split("\n")[1].split()[:2] == ["w1", "3"]
        k("patch", "widget", "w1", "--type=merge", "-p", '{"spec":{"size":5}}')
        assert yaml.safe_load(k("get", "widgets", "w1", "-o", "yaml"))["spec"]["size"] == 5
        assert "is invalid" in k("patch", "widget", "w1", "--type=merge", "-p",
                                 '{"spec":{"size":0}}', ok=False)
        assert "example.com/v1" in k("api-resources", "--api-group=example.com")
        k("delete", "widget", "w1")
    finally:
        k("delete", "crd", "widgets.example.com")
