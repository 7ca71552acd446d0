"""End to end: the Procfile's processes (two watchers, two Celery workers) reconcile the
example WebApps against the embedded API server and a real Redis, through a worker's kill -9."""

from __future__ import annotations

import dataclasses
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from reconciler import kube, redisconn
from reconciler.queue import WorkQueue
from reconciler.testing.demo import Summary, ensure_namespace, run_demo, warm_up
from reconciler.testing.stack import REPO_ROOT, LocalStack
from reconciler.testing.waiting import wait_until
from tasks.demo import demo
from tasks.webapp import SIMULATED_LATENCY

pytestmark = [pytest.mark.integration, pytest.mark.slow]


@pytest.fixture
def stack(redis_url: str) -> Iterator[LocalStack]:
    with LocalStack(crds=[demo.crd], redis_url=redis_url,
                    extra_env={"WEBAPP_LEASE_SECONDS": "3"}) as running:
        yield running


def test_procfile_processes_converge_through_a_worker_kill(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Creates, updates and deletes all converge although one worker node is SIGKILLed mid-run."""
    monkeypatch.setenv("REDIS_URL", stack.redis_url)
    monkeypatch.setenv("RECONCILER_PREFIX", stack.prefix)
    processes, client = stack.processes, stack.kube
    assert processes is not None and client is not None
    processes.start("watcher", count=2)
    [doomed] = processes.start("worker")
    ensure_namespace(client, "demo")
    warm_up(client, demo, namespace="demo")
    queue = WorkQueue(redisconn.connect(stack.redis_url), "webapp", prefix=stack.prefix)
    slow = dataclasses.replace(demo, make=lambda name, i: slowed(demo.make(name, i)))

    outcome: list[Summary] = []
    runner = threading.Thread(target=lambda: outcome.append(run_demo(
        client, slow, objects=60, updates=20, deletes=10, timeout=150,
        queue_stats=lambda: (queue.stats(), queue.results()))))
    runner.start()
    # The only worker node is busy with slow reconciles once two keys are leased.
    wait_until(lambda: queue.stats().leased >= 2, timeout=60,
               what=lambda: f"two leased keys\n{processes.logs()}")
    processes.start("worker")
    processes.kill(doomed, signal.SIGKILL)  # the node and its pool, mid-reconcile
    runner.join(200)
    assert outcome, "the workload did not finish"
    summary = outcome[0]
    assert summary.ok, f"not converged: {summary.pending}\n{processes.logs()}"
    assert summary.converged == 50 and summary.gone == 10
    assert summary.queue is not None and summary.queue.expired_leases >= 1
    assert doomed.process.poll() is not None and processes.alive("worker")


def slowed(obj: dict[str, Any]) -> dict[str, Any]:
    """The object with a simulated 0.1 s external call in each reconcile."""
    obj["metadata"].setdefault("annotations", {})[SIMULATED_LATENCY] = "0.1"
    return obj


def test_honcho_start_runs_the_procfile(tmp_path: Path, stack: LocalStack) -> None:
    """`honcho start` with the Procfile reconciles a WebApp (the README's local run)."""
    client = stack.kube
    assert client is not None
    env_file = tmp_path / ".env"
    env_file.write_text(
        f"REDIS_URL={stack.redis_url}\nKUBECONFIG={stack.workdir / 'kubeconfig'}\n"
        f"RECONCILER_PREFIX={stack.prefix}\n"
    )
    bin_dir = Path(sys.executable).parent
    honcho = subprocess.Popen(
        [str(bin_dir / "honcho"), "-f", str(REPO_ROOT / "Procfile"), "-e", str(env_file),
         "start", "watcher", "worker"],
        cwd=REPO_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        env={"PATH": f"{bin_dir}:/usr/bin:/bin", "HOME": str(tmp_path)},
    )
    try:
        ensure_namespace(client, "demo")
        ref = client.resolve(demo.api_version, demo.kind)
        obj = demo.make("from-honcho", 1)
        obj["metadata"]["namespace"] = "demo"
        client.create(ref, obj, "demo")
        wait_until(lambda: honcho.poll() is not None
                   or demo.converged(client.get(ref, "from-honcho", "demo")),
                   timeout=60, what="the WebApp to converge under honcho")
        assert honcho.poll() is None, "honcho exited early"
        deployment = client.get(client.resolve("apps/v1", "Deployment"), "from-honcho", "demo")
        assert deployment["metadata"]["ownerReferences"][0]["kind"] == "WebApp"
    finally:
        honcho.send_signal(signal.SIGTERM)
        try:
            output, _ = honcho.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            honcho.kill()
            output, _ = honcho.communicate()
    assert b"watcher.1" in output and b"worker.1" in output


def test_invalid_spec_gets_a_warning_event_and_backoff(
    stack: LocalStack, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A WebApp with negative replicas gets Ready=False, a Warning event and retries; fixing
    the spec makes it converge."""
    monkeypatch.setenv("REDIS_URL", stack.redis_url)
    monkeypatch.setenv("RECONCILER_PREFIX", stack.prefix)
    processes, client = stack.processes, stack.kube
    assert processes is not None and client is not None
    processes.start("watcher")
    processes.start("worker")
    ensure_namespace(client, "demo")
    ref = client.resolve(demo.api_version, demo.kind)
    obj = demo.make("broken", 1)
    obj["metadata"]["namespace"] = "demo"
    obj["spec"]["replicas"] = -1
    created = client.create(ref, obj, "demo")
    queue = WorkQueue(redisconn.connect(stack.redis_url), "webapp", prefix=stack.prefix)
    wait_until(lambda: queue.num_requeues("demo/broken") >= 2, timeout=60,
               what=lambda: f"two retries\n{processes.logs()}")
    current = client.get(ref, "broken", "demo")
    ready = current["status"]["conditions"][0]
    assert (ready["status"], ready["reason"]) == ("False", "InvalidSpec")
    warnings = [e for e in kube.recorded_events(client, created) if e["type"] == "Warning"]
    assert warnings and "spec.replicas" in warnings[0]["message"]
    client.patch(ref, "broken", {"spec": {"replicas": 2}}, namespace="demo")
    wait_until(lambda: demo.converged(client.get(ref, "broken", "demo")), timeout=60,
               what="the fixed WebApp to converge")
