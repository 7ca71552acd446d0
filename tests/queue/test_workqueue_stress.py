"""Many processes hammer one queue on a real Redis server; afterwards the logs prove that no key
was leased twice at once, that every add was followed by a run, and that nothing was lost."""

from __future__ import annotations

import itertools
import json
import multiprocessing
import random
import time
from collections import defaultdict
from pathlib import Path

import pytest
from redis import Redis

from reconciler import redisconn
from reconciler.queue import WorkQueue

PROCESSES = 4
OPS_PER_PROCESS = 5500
KEYS = [f"ns/obj-{i}" for i in range(40)]
LEASE_SECONDS = 0.4
#: The queue keeps time in whole milliseconds, truncated: a lease may end up to 1 ms before
#: ``time of the get + LEASE_SECONDS`` as this host's clock reads it.
HELD_AT_LEAST = LEASE_SECONDS - 0.001


def worker(url: str, prefix: str, seed: int, log_path: str) -> None:
    """Random adds, delayed adds, gets, dones and crashes (leases abandoned to expire).

    Every entry is stamped with this host's wall clock, shared by all processes:
    ``add`` [start, end] around the call; ``lease`` [after get, end of holding].
    """
    rng = random.Random(seed)
    client = redisconn.connect(url)
    queue = WorkQueue(client, "stress", prefix=prefix, lease_seconds=LEASE_SECONDS)
    log: list[dict[str, object]] = []
    ops = 0
    while ops < OPS_PER_PROCESS:
        roll = rng.random()
        if roll < 0.35:
            key = rng.choice(KEYS)
            start = time.time()
            queue.add(key)
            log.append({"op": "add", "key": key, "start": start, "end": time.time()})
            ops += 1
        elif roll < 0.45:
            key = rng.choice(KEYS)
            start = time.time()
            queue.add_after(key, rng.choice([0.001, 0.01, 0.05]))
            log.append({"op": "add", "key": key, "start": start, "end": time.time()})
            ops += 1
        else:
            before = time.time()
            lease = queue.get(timeout=0.05)
            ops += 1
            if lease is None:
                continue
            got = time.time()
            if rng.random() < 0.03:
                # A crash: the lease is abandoned. It is ours at least until before + HELD_AT_LEAST.
                log.append({"op": "lease", "key": lease.key, "token": lease.token,
                            "start": got, "end": before + HELD_AT_LEAST, "crashed": True})
                continue
            if rng.random() < 0.2:  # the key changes during its own run
                start = time.time()
                queue.add(lease.key)
                log.append({"op": "add", "key": lease.key, "start": start, "end": time.time()})
                ops += 1
            if rng.random() < 0.1:
                queue.add_rate_limited(lease.key)
                ops += 1
            else:
                queue.forget(lease.key)
            release = time.time()
            released = queue.done(lease)
            ops += 1
            log.append({"op": "lease", "key": lease.key, "token": lease.token, "start": got,
                        "end": release if released else before + HELD_AT_LEAST,
                        "crashed": False, "released": released})
    Path(log_path).write_text(json.dumps(log))
    client.close()


def drain_until_empty(queue: WorkQueue, deadline: float) -> list[dict[str, object]]:
    """Process what the workers left (delays and expiring leases included) until nothing is
    pending or leased."""
    log: list[dict[str, object]] = []
    while time.monotonic() < deadline:
        stats = queue.stats()
        if stats.pending == 0 and stats.leased == 0:
            return log
        lease = queue.get(timeout=0.5)
        if lease is None:
            continue
        got = time.time()
        release = time.time()
        assert queue.done(lease)
        log.append({"op": "lease", "key": lease.key, "token": lease.token, "start": got,
                    "end": release, "crashed": False, "released": True})
    raise AssertionError(f"queue not empty after the drain deadline: {queue.stats()}")


@pytest.mark.integration
@pytest.mark.slow
def test_many_processes_keep_the_queue_guarantees(
    redis_url: str, real_redis: Redis, key_prefix: str, tmp_path: Path
) -> None:
    """4 processes x 5,500 operations with crashes: exclusive leases, no lost adds."""
    ctx = multiprocessing.get_context("fork")
    paths = [tmp_path / f"log-{i}.json" for i in range(PROCESSES)]
    procs = [
        ctx.Process(target=worker, args=(redis_url, key_prefix, seed, str(path)))
        for seed, path in enumerate(paths)
    ]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(240)
        assert proc.exitcode == 0, f"stress worker exited with {proc.exitcode}"
    queue = WorkQueue(real_redis, "stress", prefix=key_prefix, lease_seconds=LEASE_SECONDS)
    log = [entry for path in paths for entry in json.loads(path.read_text())]
    log += drain_until_empty(queue, time.monotonic() + 60)

    leases = defaultdict(list)
    last_add: dict[str, float] = {}
    for entry in log:
        key = str(entry["key"])
        if entry["op"] == "lease":
            leases[key].append(entry)
        else:
            last_add[key] = max(last_add.get(key, 0.0), float(entry["start"]))  # type: ignore[arg-type]

    # Exclusive: the holding intervals of one key never overlap, and tokens are never reused.
    tokens = [entry["token"] for entries in leases.values() for entry in entries]
    assert len(tokens) == len(set(tokens)), "a fencing token was issued twice"
    for key, entries in leases.items():
        entries.sort(key=lambda e: e["start"])  # type: ignore[arg-type, return-value]
        for first, second in itertools.pairwise(entries):
            overlap = f"{key} was leased twice at once: {first} {second}"
            assert first["end"] <= second["start"], overlap  # type: ignore[operator]

    # No lost add: after each key's last add began, the key was leased again.
    for key, added in last_add.items():
        latest = max((float(e["start"]) for e in leases[key]), default=0.0)  # type: ignore[arg-type]
        assert latest >= added, f"{key} was added at {added} but never leased after that"

    total_ops = sum(1 for entry in log if entry["op"] == "add") + len(tokens)
    assert total_ops >= 10_000  # adds and leases alone; every lease was also a get and a done
    stats = queue.stats()
    assert stats.pending == 0 and stats.leased == 0
    assert stats.expired_leases >= 1, "the simulated crashes should have expired some leases"
