"""Work-queue throughput against Redis round trips, measured in the same run.

    .venv/bin/python bench/workqueue.py [--redis-url URL] [--cycles N] [--batch B] [--rounds R]

One *cycle* is add + get + done of one key. The baseline is the same client's PING round trips
per second; the ratio says how many round trips' worth one cycle costs (goal: ratio >= 0.33,
that is, at most 3 round trips per cycle). Rounds alternate baseline and queue so machine noise
hits both alike; the median of the rounds is printed. Uses REDIS_URL, or an embedded server
when none answers.
"""

from __future__ import annotations

import argparse
import statistics
import time
import uuid
from collections.abc import Callable

from reconciler import redisconn
from reconciler.queue import WorkQueue
from reconciler.testing import redisserver


def rate(work: Callable[[], int]) -> float:
    started = time.perf_counter()
    count = work()
    return count / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--redis-url")
    parser.add_argument("--cycles", type=int, default=3000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()

    with redisserver.available(args.redis_url) as url:
        client = redisconn.connect(url)
        queue = WorkQueue(client, "bench", prefix=f"bench-{uuid.uuid4().hex[:8]}")
        keys = [f"ns/obj-{i}" for i in range(args.cycles)]

        def pings() -> int:
            for _ in range(args.cycles):
                client.ping()
            return args.cycles

        def single() -> int:
            for key in keys:
                queue.add(key)
                lease = queue.get(timeout=0)
                assert lease is not None
                queue.done(lease)
            return len(keys)

        def batched() -> int:
            for i in range(0, len(keys), args.batch):
                queue.add_many(keys[i : i + args.batch])
                leases = queue.get_batch(args.batch)
                assert all(queue.done_many(leases))
            return len(keys)

        results: dict[str, list[float]] = {"ping": [], "single": [], "batched": []}
        try:
            single()  # warm up: load scripts, open connections
            for _ in range(args.rounds):
                for name, work in (("ping", pings), ("single", single), ("batched", batched)):
                    results[name].append(rate(work))
        finally:
            queue.delete()
            client.close()

    ping = statistics.median(results["ping"])
    print(f"redis: {redisconn.redact(url)}  cycles/round: {args.cycles}  rounds: {args.rounds}")
    print(f"{'measure':<34}{'per second':>12}{'ratio to PING':>15}")
    print(f"{'PING round trips (baseline)':<34}{ping:>12,.0f}{1.0:>15.2f}")
    for name, label in (("single", "add+get+done, one key a call"),
                        ("batched", f"add+get+done, batches of {args.batch}")):
        value = statistics.median(results[name])
        print(f"{label:<34}{value:>12,.0f}{value / ping:>15.2f}")
    single_ratio = statistics.median(results["single"]) / ping
    print(f"single-key cycle costs {1 / single_ratio:.2f} round trips (goal <= 3)")


if __name__ == "__main__":
    main()
