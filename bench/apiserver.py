"""Benchmark of the embedded API server: write, list and watch fan-out rates over real HTTP.

Run: ``.venv/bin/python -m bench.apiserver`` (defaults: 10,000 objects, 10 watchers, 4 writer
threads). Clients use raw ``http.client`` keep-alive connections, so the figures measure the
server rather than a client library's (de)serialisation.
"""

from __future__ import annotations

import argparse
import http.client
import json
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from reconciler.testing.apiserver import ApiServer

NS = "bench"


def _conn(url: str) -> http.client.HTTPConnection:
    parts = urlsplit(url)
    return http.client.HTTPConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)


def _request(conn: http.client.HTTPConnection, method: str, path: str, body: Any = None,
             content_type: str = "application/json") -> tuple[int, bytes]:
    data = None if body is None else json.dumps(body).encode()
    conn.request(method, path, body=data, headers={"Content-Type": content_type})
    resp = conn.getresponse()
    return resp.status, resp.read()


def _parallel(url: str, threads: int, count: int, work: Any) -> float:
    """Run ``work(conn, i)`` for i in range(count) over ``threads`` connections; seconds taken."""
    def run(offset: int) -> None:
        conn = _conn(url)
        for i in range(offset, count, threads):
            work(conn, i)
        conn.close()

    start = time.perf_counter()
    workers = [threading.Thread(target=run, args=(n,)) for n in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return time.perf_counter() - start


class _Watchers:
    """N raw watch streams that each count MODIFIED events until they have seen ``expect``."""

    def __init__(self, url: str, rv: str, *, count: int, expect: int) -> None:
        self.url, self.rv, self.count, self.expect = url, rv, count, expect
        self.done: list[float] = []
        self._connected = threading.Semaphore(0)
        self.threads = [threading.Thread(target=self._run) for _ in range(count)]
        for t in self.threads:
            t.start()
        for _ in range(count):
            self._connected.acquire(timeout=30)

    def _run(self) -> None:
        conn = _conn(self.url)
        conn.request("GET", f"/api/v1/namespaces/{NS}/configmaps?watch=true"
                            f"&resourceVersion={self.rv}&timeoutSeconds=600")
        resp = conn.getresponse()
        self._connected.release()
        seen = 0
        while seen < self.expect:
            line = resp.readline()
            if not line:
                break
            if json.loads(line)["type"] == "MODIFIED":
                seen += 1
        self.done.append(time.perf_counter())
        conn.close()

    def join(self) -> None:
        for t in self.threads:
            t.join(timeout=300)


def _bench_lists(conn: http.client.HTTPConnection, objects: int) -> list[tuple[str, str]]:
    rows = []
    lists = 5
    start = time.perf_counter()
    for _ in range(lists):
        code, body = _request(conn, "GET", f"/api/v1/namespaces/{NS}/configmaps")
        assert code == 200 and len(json.loads(body)["items"]) == objects
    took = time.perf_counter() - start
    rows.append((f"full list of {objects} objects",
                 f"{took / lists * 1000:,.0f} ms/list ({objects * lists / took:,.0f} objects/s)"))
    start = time.perf_counter()
    pages, token = 0, ""
    while True:
        code, body = _request(conn, "GET", f"/api/v1/namespaces/{NS}/configmaps?limit=500"
                                           f"&continue={token}")
        pages += 1
        token = json.loads(body)["metadata"].get("continue", "")
        if not token:
            break
    took = time.perf_counter() - start
    rows.append(("paged list, limit=500", f"{pages} pages in {took * 1000:,.0f} ms"))
    start = time.perf_counter()
    _request(conn, "GET", f"/api/v1/namespaces/{NS}/configmaps?labelSelector=shard%3D3")
    took = time.perf_counter() - start
    rows.append(("label-selected list (1 in 10)", f"{took * 1000:,.0f} ms"))
    return rows


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--objects", type=int, default=10_000)
    parser.add_argument("--watchers", type=int, default=10)
    parser.add_argument("--threads", type=int, default=4)
    parser.add_argument("--updates", type=int, default=2_000)
    args = parser.parse_args()
    rows: list[tuple[str, str]] = []
    with ApiServer(history_size=max(100_000, args.objects * 3)) as server:
        conn = _conn(server.url)
        _request(conn, "POST", "/api/v1/namespaces", {"metadata": {"name": NS}})

        def ping(c: http.client.HTTPConnection, i: int) -> None:
            code, _ = _request(c, "GET", "/version")
            assert code == 200

        took = _parallel(server.url, args.threads, 4000, ping)
        rows.append((f"GET /version round trips, baseline ({args.threads} clients)",
                     f"{4000 / took:,.0f} requests/s"))

        def create(c: http.client.HTTPConnection, i: int) -> None:
            code, body = _request(c, "POST", f"/api/v1/namespaces/{NS}/configmaps", {
                "metadata": {"name": f"cm-{i}", "labels": {"shard": str(i % 10)}},
                "data": {"key": "value" * 4}})
            assert code == 201, body

        took = _parallel(server.url, args.threads, args.objects, create)
        rows.append((f"create {args.objects} ConfigMaps ({args.threads} clients)",
                     f"{args.objects / took:,.0f} writes/s"))

        rows += _bench_lists(conn, args.objects)
        rv = json.loads(_request(conn, "GET", f"/api/v1/namespaces/{NS}/configmaps?limit=1")[1])[
            "metadata"]["resourceVersion"]
        watchers = _Watchers(server.url, rv, count=args.watchers, expect=args.updates)

        def update(c: http.client.HTTPConnection, i: int) -> None:
            code, body = _request(c, "PATCH", f"/api/v1/namespaces/{NS}/configmaps/cm-{i}",
                                  {"data": {"key": f"updated-{i}"}},
                                  "application/merge-patch+json")
            assert code == 200, body

        start = time.perf_counter()
        took_writes = _parallel(server.url, args.threads, args.updates, update)
        watchers.join()
        done = watchers.done
        took = max(done) - start if len(done) == args.watchers else float("nan")
        rows.append((f"patch {args.updates} objects while {args.watchers} watch",
                     f"{args.updates / took_writes:,.0f} writes/s"))
        rows.append((f"watch fan-out: {args.updates} events x {args.watchers} watchers",
                     f"{args.updates * args.watchers / took:,.0f} events/s delivered, "
                     f"all in {took:.2f} s"))
        conn.close()
    print("| measurement | result |")
    print("|---|---|")
    for name, value in rows:
        print(f"| {name} | {value} |")


if __name__ == "__main__":
    main()
