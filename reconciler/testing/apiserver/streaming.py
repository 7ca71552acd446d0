"""Watch streams: the initial state or the backlog, then live changes, bookmarks and the end.

A watch is a chunked HTTP/1.1 response of JSON lines ``{"type": ..., "object": ...}``. It ends
at ``timeoutSeconds`` (default: the server's watch timeout), when the server stops, when a test
cuts all watches, or when the client goes away. A watch from a resourceVersion older than the
retained history answers 200 with one ``ERROR`` event carrying a 410 ``Expired`` Status and
ends, as the real server's watch cache does.

With a selector, an object that stops matching is sent as ``DELETED`` and one that starts
matching as ``ADDED``, as in Kubernetes. ``BOOKMARK`` events (with ``allowWatchBookmarks``) carry
only ``metadata.resourceVersion``, are sent every ``bookmark_interval`` seconds, and never run
ahead of an event the watch has yet to send.

Difference from the real server: a watch from a resourceVersion newer than the latest write
starts at once, where the real server waits up to 3 s for it and then answers 504.
"""

from __future__ import annotations

import json
import queue
import select
import time
from typing import TYPE_CHECKING, Any

from reconciler.testing.apiserver import resources, routing, status, tables, watch
from reconciler.testing.apiserver.selectors import Matcher

if TYPE_CHECKING:
    from reconciler.testing.apiserver.handler import Context, Handler

JsonObj = dict[str, Any]


def _matches(obj: JsonObj | None, namespace: str, matchers: list[Matcher]) -> bool:
    if obj is None:
        return False
    if namespace and obj["metadata"].get("namespace") != namespace:
        return False
    return all(m(obj) for m in matchers)


def translate(change: watch.Change, namespace: str,
              matchers: list[Matcher]) -> tuple[str, JsonObj] | None:
    """The event a watcher with this filter sees for a change, or None."""
    now = _matches(change.obj, namespace, matchers)
    if change.type == "MODIFIED" and (namespace or matchers):
        before = _matches(change.old, namespace, matchers)
        if before and not now:
            return "DELETED", change.obj
        if now and not before:
            return "ADDED", change.obj
    return (change.type, change.obj) if now else None


class _Stream:
    """Writes chunked JSON lines to one client."""

    def __init__(self, handler: Handler, rt: resources.ResourceType, as_table: bool,
                 ctx: Context) -> None:
        self.handler = handler
        self.rt = rt
        self.as_table = as_table
        self.ctx = ctx
        handler.send_response(200)
        handler.send_header("Content-Type", "application/json")
        handler.send_header("Transfer-Encoding", "chunked")
        handler.end_headers()

    def send(self, kind: str, obj: JsonObj, change: watch.Change | None = None) -> None:
        key = (kind, self.rt.api_version)
        data = change.encoded.get(key) if change is not None and not self.as_table else None
        if data is None:
            if self.as_table and kind in ("ADDED", "MODIFIED", "DELETED"):
                obj = tables.render(self.rt, [obj], self.ctx.registry)
            elif kind in ("ADDED", "MODIFIED", "DELETED"):
                obj = self.ctx.store.present(self.rt, obj)
            data = json.dumps({"type": kind, "object": obj},
                              separators=(",", ":")).encode() + b"\n"
            if change is not None and not self.as_table:
                change.encoded[key] = data
        self.handler.wfile.write(f"{len(data):X}\r\n".encode() + data + b"\r\n")

    def end(self) -> None:
        try:
            self.handler.wfile.write(b"0\r\n\r\n")
        except OSError:
            self.handler.close_connection = True


def _client_gone(handler: Handler) -> bool:
    """Whether the client closed its end (readable with nothing to read)."""
    conn = handler.connection
    try:
        readable, _, _ = select.select([conn], [], [], 0)
        return bool(readable) and conn.recv(1, 2) == b""  # 2 == socket.MSG_PEEK
    except OSError:
        return True


def serve_watch(handler: Handler, ctx: Context, rt: resources.ResourceType, namespace: str, *,
                matchers: list[Matcher], query: routing.Query, as_table: bool) -> None:
    """Serve one watch request until it ends."""
    rv_param = query.text("resourceVersion")
    since: int | None = None
    if rv_param not in ("", "0"):
        try:
            since = int(rv_param)
        except ValueError as exc:
            raise status.bad_request(f'invalid resourceVersion "{rv_param}"') from exc
    timeout = query.number("timeoutSeconds", 0) or ctx.default_watch_timeout
    bookmarks = query.flag("allowWatchBookmarks")
    objects = ctx.store
    initial: list[JsonObj] = []
    try:
        with objects.lock:
            sub, backlog = objects.hub.subscribe(rt.storage_key, since, objects.resource_version)
            if since is None:
                initial, _ = objects.select(rt, namespace, matchers)
    except status.ApiError as err:
        if err.code != 410:
            raise
        stream = _Stream(handler, rt, as_table, ctx)
        stream.send("ERROR", err.status())
        stream.end()
        return
    stream = _Stream(handler, rt, as_table, ctx)
    try:
        for obj in initial:
            stream.send("ADDED", obj)
        for change in backlog:
            event = translate(change, namespace, matchers)
            if event is not None:
                stream.send(*event, change=change)
        _follow(stream, sub, namespace, matchers, timeout=timeout, bookmarks=bookmarks)
        stream.end()
    except OSError:
        handler.close_connection = True
    finally:
        sub.close()


def _follow(stream: _Stream, sub: watch.Subscription, namespace: str,
            matchers: list[Matcher], *, timeout: float, bookmarks: bool) -> None:
    """Send live changes (and bookmarks) until the watch ends for any reason."""
    ctx, handler = stream.ctx, stream.handler
    deadline = time.monotonic() + timeout
    next_bookmark = time.monotonic() + ctx.bookmark_interval
    while not ctx.stopping:
        now = time.monotonic()
        if now >= deadline:
            break
        wait = min(deadline, next_bookmark if bookmarks else deadline, now + 1.0) - now
        try:
            item = sub.queue.get(timeout=max(wait, 0.0))
        except queue.Empty:
            if _client_gone(handler):
                break
            if bookmarks and time.monotonic() >= next_bookmark:
                if not _bookmark(stream, sub, namespace, matchers):
                    break
                next_bookmark = time.monotonic() + ctx.bookmark_interval
            continue
        if item is watch.CLOSE:
            break
        event = translate(item, namespace, matchers)
        if event is not None:
            stream.send(*event, change=item)


def _bookmark(stream: _Stream, sub: watch.Subscription, namespace: str,
              matchers: list[Matcher]) -> bool:
    """Send pending changes, then a bookmark at the store's resourceVersion; False if closed."""
    objects, rt = stream.ctx.store, stream.rt
    with objects.lock:
        rv = objects.resource_version
    while True:
        try:
            item = sub.queue.get_nowait()
        except queue.Empty:
            break
        if item is watch.CLOSE:
            return False
        event = translate(item, namespace, matchers)
        if event is not None:
            stream.send(*event, change=item)
    stream.send("BOOKMARK", {"kind": rt.kind, "apiVersion": rt.api_version,
                             "metadata": {"resourceVersion": str(rv)}})
    return True
