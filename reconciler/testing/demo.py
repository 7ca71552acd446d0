"""Run a workload against a whole local deployment and measure how it converges.

An application module describes its demo with a :class:`DemoSpec`: its CRD, how to make an
object, how to change one, which owned objects must exist, and when an object counts as
converged. :func:`run_demo` creates, updates and deletes objects, follows the primary
resource with a watch to time each change until its status reports it, shows progress, and
returns a :class:`Summary`.
"""

from __future__ import annotations

import concurrent.futures
import statistics
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from reconciler import kube
from reconciler.queue import QueueStats
from reconciler.watch import http

Obj = dict[str, Any]


@dataclass(frozen=True)
class DemoSpec:
    """What ``reconciler demo`` needs to know about an application's primary resource."""

    crd: Path
    api_version: str
    kind: str
    make: Callable[[str, int], Obj]
    """``make(name, i)``: a new object (without namespace)."""
    change: Callable[[Obj], Obj]
    """A merge patch that changes the spec (bumps ``generation``)."""
    owned: tuple[tuple[str, str], ...] = ()
    """``(apiVersion, kind)`` of objects named like the primary that must exist while it
    does and be gone after it."""
    converged: Callable[[Obj], bool] = lambda obj: (
        (obj.get("status") or {}).get("observedGeneration") == obj["metadata"].get("generation")
    )
    extra_gone: Callable[[str, str], bool] = lambda namespace, name: True
    """Whether anything outside Kubernetes of a deleted object was cleaned up."""


@dataclass
class Summary:
    """The outcome of a demo run."""

    live: int
    deleted: int
    converged: int
    gone: int
    seconds: float
    latencies: list[float] = field(default_factory=list)
    results: dict[str, int] = field(default_factory=dict)
    queue: QueueStats | None = None
    pending: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """Every live object converged, every deleted one is gone, no work is outstanding."""
        queue_idle = self.queue is not None and _idle(self.queue)
        return self.converged == self.live and self.gone == self.deleted and queue_idle

    def percentile(self, q: float) -> float:
        """The ``q`` quantile of the change-to-converged latencies, in seconds."""
        if not self.latencies:
            return float("nan")
        if len(self.latencies) == 1:
            return self.latencies[0]
        return statistics.quantiles(self.latencies, n=100, method="inclusive")[round(q * 100) - 1]


def _idle(stats: QueueStats) -> bool:
    return stats.ready == 0 and stats.leased == 0 and stats.dirty == 0


class _Timeline:
    """When each (name, generation) was written and when the watch first saw it converged."""

    def __init__(self) -> None:
        self.written: dict[tuple[str, int], float] = {}
        self.seen: dict[tuple[str, int], float] = {}
        self.lock = threading.Lock()

    def wrote(self, obj: Obj) -> None:
        with self.lock:
            md = obj["metadata"]
            self.written.setdefault((md["name"], int(md.get("generation", 1))), time.monotonic())

    def saw(self, obj: Obj) -> None:
        with self.lock:
            md = obj["metadata"]
            self.seen.setdefault((md["name"], int(md.get("generation", 1))), time.monotonic())

    def latencies(self) -> list[float]:
        with self.lock:
            return sorted(self.seen[k] - t for k, t in self.written.items() if k in self.seen)


def _follow(client: kube.KubeClient, ref: kube.ResourceRef, *, namespace: str,
            spec: DemoSpec, timeline: _Timeline, stop: threading.Event) -> None:
    """Watch the primary resource and note when each generation is first seen converged."""
    stream = http.KubeHttp(client.api_client)
    path = ref.path(namespace)
    while not stop.is_set():
        try:
            listing = client.list(ref, namespace)
            for obj in listing.get("items", []):
                if spec.converged(obj):
                    timeline.saw(obj)
            params = {"watch": "true", "timeoutSeconds": "5",
                      "resourceVersion": listing["metadata"]["resourceVersion"]}
            for batch in stream.stream(path, params, read_timeout=10):
                for event in batch:
                    obj = event.get("object") or {}
                    if event.get("type") in ("ADDED", "MODIFIED") and spec.converged(obj):
                        timeline.saw(obj)
                if stop.is_set():
                    return
        except (kube.KubeError, http.ApiStatusError, http.TransportError):
            stop.wait(0.2)


class _Progress:
    """A bar redrawn in place on a terminal; a line every few seconds elsewhere (CI logs)."""

    def __init__(self, out: TextIO, total: int) -> None:
        self.out, self.total = out, total
        self.started = time.monotonic()
        self.tty = out.isatty()
        self.last_line = 0.0

    def show(self, done: int, *, final: bool = False) -> None:
        elapsed = time.monotonic() - self.started
        width = 30
        filled = int(width * done / self.total) if self.total else width
        text = (f"[{'#' * filled}{'.' * (width - filled)}] {done}/{self.total} converged "
                f"{elapsed:6.1f}s")
        if self.tty:
            self.out.write(f"\r{text}" + ("\n" if final else ""))
        elif final or elapsed - self.last_line >= 5:
            self.out.write(text + "\n")
            self.last_line = elapsed
        self.out.flush()


def warm_up(client: kube.KubeClient, spec: DemoSpec, *, namespace: str,
            timeout: float = 120.0, interrupted: threading.Event | None = None) -> float:
    """Create one object and wait until it converges, so the measured run starts with a
    leading watcher and ready workers; the object is deleted again. Returns the seconds."""
    ref = client.resolve(spec.api_version, spec.kind)
    started = time.monotonic()
    obj = spec.make("warm-up", 0)
    obj.setdefault("metadata", {})["namespace"] = namespace
    client.create(ref, obj, namespace)
    stop = interrupted or threading.Event()
    while not spec.converged(client.get(ref, "warm-up", namespace)):
        if time.monotonic() - started > timeout:
            raise TimeoutError(f"the warm-up object did not converge within {timeout}s")
        if stop.wait(0.1):
            return time.monotonic() - started
    client.delete(ref, "warm-up", namespace)
    return time.monotonic() - started


def ensure_namespace(client: kube.KubeClient, namespace: str) -> None:
    """Create ``namespace`` unless it exists."""
    try:
        client.create(client.resolve("v1", "Namespace"),
                      {"apiVersion": "v1", "kind": "Namespace", "metadata": {"name": namespace}})
    except kube.ApiError as exc:
        if not kube.is_already_exists(exc):
            raise


def run_demo(
    client: kube.KubeClient,
    spec: DemoSpec,
    *,
    objects: int,
    updates: int,
    deletes: int,
    namespace: str = "demo",
    timeout: float = 300.0,
    queue_stats: Callable[[], tuple[QueueStats, dict[str, int]]] | None = None,
    out: TextIO = sys.stderr,
    interrupted: threading.Event | None = None,
) -> Summary:
    """Create ``objects``, change the first ``updates`` and delete the last ``deletes``,
    then wait (up to ``timeout``) until everything converged. Setting ``interrupted`` (from
    a signal handler, say) ends the run early with what was reached."""
    interrupted = interrupted or threading.Event()
    ref = client.resolve(spec.api_version, spec.kind)
    owned_refs = [client.resolve(api_version, kind) for api_version, kind in spec.owned]
    names = [f"{spec.kind.lower()}-{i:05d}" for i in range(objects)]
    timeline, stop = _Timeline(), threading.Event()
    follower = threading.Thread(
        target=_follow, args=(client, ref), daemon=True,
        kwargs={"namespace": namespace, "spec": spec, "timeline": timeline, "stop": stop},
    )
    follower.start()
    progress = _Progress(out, len(names))
    started = progress.started

    def create(i: int) -> None:
        if interrupted.is_set():
            return
        obj = spec.make(names[i], i)
        obj.setdefault("metadata", {})["namespace"] = namespace
        timeline.wrote(client.create(ref, obj, namespace))

    def update(name: str) -> None:
        if interrupted.is_set():
            return
        current = client.get(ref, name, namespace)
        timeline.wrote(client.patch(ref, name, spec.change(current), namespace=namespace))

    with concurrent.futures.ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(create, range(objects)))
        list(pool.map(update, names[:updates]))
        deleted = names[objects - deletes:] if deletes else []
        list(pool.map(lambda name: interrupted.is_set() or client.delete(ref, name, namespace),
                      deleted))
    live = [n for n in names if n not in set(deleted)]

    deadline = time.monotonic() + timeout
    while True:
        items = {o["metadata"]["name"]: o for o in client.list(ref, namespace)["items"]}
        owned = [{o["metadata"]["name"] for o in client.list(r, namespace)["items"]}
                 for r in owned_refs]
        converged = [n for n in live if n in items and spec.converged(items[n])
                     and all(n in names_ for names_ in owned)]
        gone = [n for n in deleted if n not in items and all(n not in names_ for names_ in owned)
                and spec.extra_gone(namespace, n)]
        finished = len(converged) == len(live) and len(gone) == len(deleted)
        progress.show(len(converged) + len(gone), final=finished)
        if finished or time.monotonic() > deadline or interrupted.wait(0.25):
            break
    seconds = time.monotonic() - started
    stop.set()
    follower.join(timeout=10)
    stats, results = queue_stats() if queue_stats else (None, {})
    # Converged objects can still have runs coming (their owned objects' events queue them
    # again); the demo is over when the queue has nothing left to do but periodic checks.
    while stats is not None and queue_stats is not None and not _idle(stats):
        if time.monotonic() > deadline or interrupted.wait(0.1):
            break
        stats, results = queue_stats()
    pending = sorted(set(live) - set(converged)) + sorted(set(deleted) - set(gone))
    return Summary(live=len(live), deleted=len(deleted), converged=len(converged),
                   gone=len(gone), seconds=seconds, latencies=timeline.latencies(),
                   results=results, queue=stats, pending=pending)
